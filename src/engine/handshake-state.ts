/**
 * HandshakeState (Noise spec section 5.3): runs any valid handshake pattern token by token.
 *
 * There is no per-pattern code: the pattern comes from the registry (or the caller), the role
 * logic is one lookup from (token, role) to (local key, remote key), and the psk rules of
 * section 9.2 are on whenever the pattern has a psk token.
 *
 * A failed writeMessage leaves the state exactly as it was (see SymmetricState.begin/commit/
 * rollback). A message that fails to read ends the handshake, as section 5.3 says ("the handshake
 * has failed"): only fallback() and destroy() remain. With `retryAfterFailedRead` (datagram
 * transports) the failed message is dropped instead and the state stays as it was.
 */
import type { BackendChoice } from '../crypto/resolve.js';
import { resolveSuite } from '../crypto/resolve.js';
import type { KeyPair, Suite } from '../crypto/types.js';
import { NoiseError } from '../errors.js';
import { checkBytes, concat, copyBytes, EMPTY, ON_HEAP_MAX, viewBytes, wipe } from '../bytes.js';
import { formatProtocolName, parseProtocolName, type ProtocolName } from '../protocol-name.js';
import { builtinPatterns, frozenCopy } from '../patterns/registry.js';
import { applyModifiers } from '../patterns/modifiers.js';
import { checkPatternShape, validatePattern } from '../patterns/validate.js';
import { isOneWay, pskCount, usesPsk, type Direction, type HandshakePattern, type Token } from '../patterns/types.js';
import { SymmetricState } from './symmetric-state.js';
import { MAX_MESSAGE_LENGTH, TAG_LENGTH } from './cipher-state.js';
import { TransportState } from './transport-state.js';
import { kFixedEphemeral, kFinalChainingKey } from './internal.js';

/** Options for a new HandshakeState (Initialize(), section 5.3). */
export interface HandshakeOptions {
  /** Full protocol name, e.g. `Noise_XX_25519_ChaChaPoly_BLAKE2s` (section 8). */
  protocol: string;
  /** True for the initiator (the party that sends the first handshake message). */
  initiator: boolean;
  /** Prologue (section 6); both parties must use the same bytes. Default empty. */
  prologue?: Uint8Array;
  /** Local static key pair `s`, when the pattern uses one. */
  staticKeyPair?: KeyPair;
  /** Remote static public key `rs`, when a pre-message carries it. */
  remoteStaticKey?: Uint8Array;
  /**
   * Local ephemeral key pair `e`, only for patterns whose pre-message carries it (compound
   * protocols such as `XXfallback`, section 10). Ephemerals sent in messages are always fresh.
   */
  ephemeralKeyPair?: KeyPair;
  /** Remote ephemeral public key `re`, only when a pre-message carries it (section 10). */
  remoteEphemeralKey?: Uint8Array;
  /** Pre-shared keys, 32 bytes each, used by the psk tokens in order (section 9). */
  psks?: readonly Uint8Array[];
  /** Crypto backend: `auto` (default), `node`, `stablelib`, or your own. */
  backend?: BackendChoice;
  /** A custom base pattern to use instead of the built-in one of the same name. */
  pattern?: HandshakePattern;
  /**
   * Keep this state usable after a message fails to read, as if that message had never arrived.
   * Section 5.3 ends a handshake at the first DECRYPT() or DH() error, and so does this state
   * without the option (only fallback() and destroy() are then possible). For datagram
   * transports, where anyone can inject a packet and one forged packet must not end a handshake.
   */
  retryAfterFailedRead?: boolean;
  /** Test-only: fixed ephemeral for `e` tokens (not part of the public API). */
  [kFixedEphemeral]?: KeyPair;
  /** Profile-only: receives a copy of the final `ck` (BOLT 8 key rotation); see engine/internal.ts. */
  [kFinalChainingKey]?: (ck: Uint8Array) => void;
}

/**
 * Options for {@link HandshakeState.fallback} (section 10.2): what differs between the failed
 * first protocol and the fallback protocol. Everything else (static key, prologue, backend, psks)
 * is carried over.
 */
export interface FallbackOptions {
  /** The fallback protocol; default: the same prefix and algorithms with `XXfallback` (Noise Pipes, 10.4). */
  protocol?: string;
  /** Bob only: the first message he could not read; its first DHLEN bytes are Alice's `e`. */
  failedMessage?: Uint8Array;
  /**
   * Pre-shared keys for the fallback protocol; default: the ones of this state, or none when the
   * fallback protocol uses no psk (e.g. `IKpsk2` falling back to the default `XXfallback`).
   */
  psks?: readonly Uint8Array[];
}

/** What the application should do next with a HandshakeState (as in noise-c). */
export type HandshakeAction = 'write' | 'read' | 'split' | 'done';

type KeyName = 'e' | 's';

/** Resolves a protocol name to its validated pattern (built-in or caller-supplied). */
export function resolvePattern(name: ProtocolName, custom?: HandshakePattern): HandshakePattern {
  if (!custom) return builtinPatterns().get(name.pattern, name.modifiers);
  checkPatternShape(custom);
  if (custom.name !== name.pattern) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `pattern ${custom.name} does not match the protocol name's pattern ${name.pattern}`);
  }
  // A frozen copy: the caller's object could otherwise be changed after it was validated.
  return frozenCopy(validatePattern(applyModifiers(validatePattern(frozenCopy(custom)), name.modifiers)));
}

export class HandshakeState {
  /** The parsed protocol name. */
  readonly protocol: ProtocolName;
  /** The handshake pattern being run (modifiers applied). */
  readonly pattern: HandshakePattern;
  /** True for the initiator. */
  readonly initiator: boolean;
  /** The resolved algorithms. */
  readonly suite: Suite;

  /** The SymmetricState; released once the handshake is finished (its h is kept in #handshakeHash). */
  #ss: SymmetricState | undefined;
  readonly #isAlice: boolean;
  readonly #initiatorDirection: Direction;
  readonly #psk: boolean;
  readonly #psks: Uint8Array[];
  #pskIndex = 0;
  #s: KeyPair | undefined;
  #e: KeyPair | undefined;
  #rs: Uint8Array | undefined;
  #re: Uint8Array | undefined;
  #messageIndex = 0;
  #transport: TransportState | undefined;
  #split = false;
  /** Set by destroy(): the state refuses every further message, split and fallback. */
  #destroyed = false;
  /** The error code of the message that failed to read (section 5.3); only fallback() remains. */
  #failed: string | undefined;
  readonly #retryAfterFailedRead: boolean;
  #handshakeHash: Uint8Array | undefined;
  readonly #fixedEphemeral: KeyPair | undefined;
  readonly #onFinalChainingKey: ((ck: Uint8Array) => void) | undefined;
  /** Kept for fallback(): the inputs a compound protocol carries over (section 10.2). */
  readonly #prologue: Uint8Array;
  readonly #backend: BackendChoice | undefined;
  /** Whether we generated `e` (and so must wipe it), as opposed to a caller-supplied pre-message e. */
  #ownsEphemeral = false;

  /** Initialize() (section 5.3). */
  constructor(options: HandshakeOptions) {
    if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
    if (typeof options.initiator !== 'boolean') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options.initiator must be a boolean');
    this.protocol = parseProtocolName(options.protocol);
    this.pattern = resolvePattern(this.protocol, options.pattern);
    this.suite = resolveSuite(this.protocol, options.backend);
    this.initiator = options.initiator;
    this.#initiatorDirection = this.pattern.messages[0]!.direction;
    // Alice is the party that sends "->" messages; DH tokens name Alice's key first (section 7.2).
    this.#isAlice = (this.#initiatorDirection === '->') === this.initiator;
    const legacyPsk = this.protocol.prefix === 'NoisePSK';
    this.#psk = legacyPsk || usesPsk(this.pattern);
    this.#fixedEphemeral = options[kFixedEphemeral];
    this.#onFinalChainingKey = options[kFinalChainingKey];

    const dh = this.suite.dh;
    const prologue = options.prologue ?? EMPTY;
    checkBytes('prologue', prologue);
    this.#prologue = copyBytes(prologue);
    this.#backend = options.backend;
    this.#retryAfterFailedRead = options.retryAfterFailedRead === true;
    if (options.staticKeyPair) this.#s = checkKeyPair('staticKeyPair', options.staticKeyPair, dh.dhLen, dh.privateKeyLength);
    if (options.remoteStaticKey !== undefined) {
      checkBytes('remoteStaticKey', options.remoteStaticKey, dh.dhLen);
      this.#rs = copyBytes(options.remoteStaticKey);
    }
    if (options.remoteEphemeralKey !== undefined) {
      checkBytes('remoteEphemeralKey', options.remoteEphemeralKey, dh.dhLen);
      this.#re = copyBytes(options.remoteEphemeralKey);
    }
    if (options.ephemeralKeyPair) this.#e = checkKeyPair('ephemeralKeyPair', options.ephemeralKeyPair, dh.dhLen, dh.privateKeyLength);

    const needed = pskCount(this.pattern) + (legacyPsk ? 1 : 0);
    const psks = options.psks ?? [];
    if (!Array.isArray(psks)) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'psks must be an array');
    if (psks.length !== needed) {
      throw new NoiseError('ERR_NOISE_INVALID_PSK', `${this.pattern.name} needs ${needed} psk(s), got ${psks.length}`);
    }
    psks.forEach((p, i) => {
      if (!(p instanceof Uint8Array) || p.length !== 32) throw new NoiseError('ERR_NOISE_INVALID_PSK', `psk ${i} must be 32 bytes`);
    });
    this.#checkKeys(options);
    // Copied only once every check has passed: a constructor that throws leaves no copy behind.
    this.#psks = psks.map((p) => copyBytes(p));

    this.#ss = new SymmetricState(this.suite, this.protocol.name);
    this.#sym.mixPrologue(prologue);
    if (legacyPsk) this.#sym.mixLegacyPsk(this.#psks[this.#pskIndex++]!);
    // Pre-messages: the initiator's first (section 5.3), each key in the order listed.
    const pre = [...this.pattern.preMessages].sort((a, b) =>
      a.direction === b.direction ? 0 : a.direction === this.#initiatorDirection ? -1 : 1,
    );
    for (const m of pre) {
      const mine = this.#sentByMe(m.direction);
      for (const t of m.tokens) {
        const key = mine ? (t === 'e' ? this.#e!.publicKey : this.#s!.publicKey) : t === 'e' ? this.#re! : this.#rs!;
        this.#sym.mixHash(key);
        if (t === 'e' && this.#psk) this.#sym.mixKey(key); // section 9.2
      }
    }
  }

  /** Checks that every key the pattern needs is present, and none that it would overwrite is. */
  #checkKeys(options: HandshakeOptions): void {
    const local = { e: false, s: false };
    const remote = { e: false, s: false };
    const uses = { s: false };
    for (const m of this.pattern.preMessages) {
      const mine = this.#sentByMe(m.direction);
      for (const t of m.tokens as KeyName[]) (mine ? local : remote)[t] = true;
    }
    for (const m of this.pattern.messages) {
      for (const t of m.tokens) {
        if (t === 's' && this.#sentByMe(m.direction)) uses.s = true;
        if (t.length === 2) {
          const [mineKey] = this.#dhKeys(t);
          if (mineKey === 's') uses.s = true;
        }
      }
    }
    const name = this.pattern.name;
    if ((local.s || uses.s) && !this.#s) throw new NoiseError('ERR_NOISE_MISSING_KEY', `${name} needs the local static key pair (staticKeyPair)`);
    if (remote.s && !this.#rs) throw new NoiseError('ERR_NOISE_MISSING_KEY', `${name} needs the remote static key (remoteStaticKey) from a pre-message`);
    if (local.e && !this.#e) throw new NoiseError('ERR_NOISE_MISSING_KEY', `${name} needs the local ephemeral key pair from its pre-message (ephemeralKeyPair)`);
    if (remote.e && !this.#re) throw new NoiseError('ERR_NOISE_MISSING_KEY', `${name} needs the remote ephemeral key from its pre-message (remoteEphemeralKey)`);
    if (!remote.s && options.remoteStaticKey !== undefined) {
      throw new NoiseError('ERR_NOISE_INVALID_KEY', `${name} has no pre-message with the remote static key; remoteStaticKey would be overwritten`);
    }
    if (!local.e && options.ephemeralKeyPair) {
      throw new NoiseError('ERR_NOISE_INVALID_KEY', `${name} generates its own ephemeral; ephemeralKeyPair is only for pre-messages`);
    }
    if (!remote.e && options.remoteEphemeralKey !== undefined) {
      throw new NoiseError('ERR_NOISE_INVALID_KEY', `${name} has no pre-message with the remote ephemeral key`);
    }
    if (!local.s && !uses.s && options.staticKeyPair) {
      // Harmless (e.g. a dummy key), but a sign of a misconfigured deployment.
      throw new NoiseError('ERR_NOISE_INVALID_KEY', `${name} does not use a local static key`);
    }
  }

  /** True when this party sends messages of the given direction. */
  #sentByMe(direction: Direction): boolean {
    return (direction === '->') === this.#isAlice;
  }

  /** (token, role) -> (local key, remote key): DH tokens name Alice's key first. */
  #dhKeys(token: Token): [KeyName, KeyName] {
    const alice = token[0] as KeyName;
    const bob = token[1] as KeyName;
    return this.#isAlice ? [alice, bob] : [bob, alice];
  }

  #dh(token: Token): void {
    const [localName, remoteName] = this.#dhKeys(token);
    const local = localName === 'e' ? this.#e : this.#s;
    const remote = remoteName === 'e' ? this.#re : this.#rs;
    if (!local || !remote) throw new NoiseError('ERR_NOISE_MISSING_KEY', `"${token}" needs a key that is not present`);
    const out = this.suite.dh.dh(local, remote);
    try {
      this.#sym.mixKey(out);
    } finally {
      wipe(out);
    }
  }

  /** What to do next: write a message, read one, split, or done (after split, destroy() or a failed read). */
  get action(): HandshakeAction {
    if (this.#split || this.#destroyed || this.#failed) return 'done';
    if (this.#transport) return 'split';
    return this.#sentByMe(this.pattern.messages[this.#messageIndex]!.direction) ? 'write' : 'read';
  }

  /**
   * True while the pattern still has a message for this side to read; false once the peer's last
   * handshake message has been read (the point to check the peer before sending anything more).
   */
  get readsRemain(): boolean {
    const messages = this.pattern.messages;
    for (let i = this.#messageIndex; i < messages.length; i++) if (!this.#sentByMe(messages[i]!.direction)) return true;
    return false;
  }

  /** True once the last handshake message has been written or read. */
  get isFinished(): boolean {
    return this.#transport !== undefined || this.#split;
  }

  /** The handshake hash `h` (section 11.2). Final once the handshake is finished. */
  get handshakeHash(): Uint8Array {
    return copyBytes(this.#handshakeHash ?? this.#sym.h);
  }

  /** The remote static public key, once known. */
  get remoteStaticKey(): Uint8Array | undefined {
    return this.#rs && copyBytes(this.#rs);
  }

  /** The remote ephemeral public key, once known. */
  get remoteEphemeralKey(): Uint8Array | undefined {
    return this.#re && copyBytes(this.#re);
  }

  /** The local ephemeral public key, once generated. */
  get localEphemeralPublicKey(): Uint8Array | undefined {
    return this.#e && copyBytes(this.#e.publicKey);
  }

  /** The index of the next handshake message (0-based). */
  get messageIndex(): number {
    return this.#messageIndex;
  }

  /** WriteMessage(payload): returns the handshake message. On error the state is unchanged. */
  writeMessage(payload: Uint8Array = EMPTY): Uint8Array {
    checkBytes('payload', payload);
    this.#checkAlive('write a message');
    if (this.action !== 'write') throw new NoiseError('ERR_NOISE_INVALID_STATE', `cannot write now (next action: ${this.action})`);
    const m = this.pattern.messages[this.#messageIndex]!;
    const expected = this.#messageLength(m.tokens, payload.length);
    if (expected > MAX_MESSAGE_LENGTH) {
      throw new NoiseError('ERR_NOISE_MESSAGE_TOO_LONG', `the handshake message would be ${expected} bytes (max ${MAX_MESSAGE_LENGTH})`);
    }
    const snap = this.#sym.begin();
    const saved = { e: this.#e, pskIndex: this.#pskIndex, owns: this.#ownsEphemeral };
    const parts: Uint8Array[] = [];
    try {
      for (const t of m.tokens) {
        switch (t) {
          case 'e': {
            if (this.#e) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'e is already set');
            this.#e = this.#fixedEphemeral ?? this.suite.dh.generateKeyPair();
            this.#ownsEphemeral = this.#fixedEphemeral === undefined;
            parts.push(this.#e.publicKey);
            this.#sym.mixHash(this.#e.publicKey);
            if (this.#psk) this.#sym.mixKey(this.#e.publicKey);
            break;
          }
          case 's':
            parts.push(this.#sym.encryptAndHash(this.#s!.publicKey));
            break;
          case 'psk':
            this.#sym.mixKeyAndHash(this.#psks[this.#pskIndex++]!);
            break;
          default:
            this.#dh(t);
        }
      }
      parts.push(this.#sym.encryptAndHash(payload));
    } catch (err) {
      this.#sym.rollback(snap);
      if (this.#e !== saved.e && this.#ownsEphemeral) wipe(this.#e?.privateKey);
      this.#e = saved.e;
      this.#ownsEphemeral = saved.owns;
      this.#pskIndex = saved.pskIndex;
      throw err;
    }
    this.#sym.commit(snap);
    this.#advance();
    return concat(...parts);
  }

  /**
   * ReadMessage(message): returns the payload. A message that fails to read (ERR_NOISE_DECRYPT,
   * ERR_NOISE_DH, too short) ends the handshake (section 5.3) unless `retryAfterFailedRead`:
   * its keys are wiped, and only fallback() and destroy() remain.
   */
  readMessage(message: Uint8Array): Uint8Array {
    checkBytes('message', message);
    this.#checkAlive('read a message');
    if (this.action !== 'read') throw new NoiseError('ERR_NOISE_INVALID_STATE', `cannot read now (next action: ${this.action})`);
    // Longer than any Noise message (section 3): refused like a wrong argument, before reading.
    if (message.length > MAX_MESSAGE_LENGTH) {
      throw new NoiseError('ERR_NOISE_MESSAGE_TOO_LONG', `handshake message of ${message.length} bytes (max ${MAX_MESSAGE_LENGTH})`);
    }
    try {
      return this.#read(message);
    } catch (err) {
      if (!this.#retryAfterFailedRead) {
        this.#failed = err instanceof NoiseError ? err.code : 'ERR_NOISE_DECRYPT';
        this.#ss?.wipe();
        // Only what a fallback() can still use is kept: the ephemeral we sent in message 1 and
        // the psks after its reply failed; the psks alone after message 1 failed to read.
        const can = this.#fallbackAfterFailure();
        if (can !== 'wroteFirst') this.#wipeEphemeral();
        if (!can) this.#psks.forEach(wipe);
      }
      throw err;
    }
  }

  #read(message: Uint8Array): Uint8Array {
    const m = this.pattern.messages[this.#messageIndex]!;
    const minimum = this.#messageLength(m.tokens, 0);
    if (message.length < minimum) {
      throw new NoiseError('ERR_NOISE_MALFORMED_MESSAGE', `handshake message ${this.#messageIndex + 1} must be at least ${minimum} bytes, got ${message.length}`);
    }
    const dhLen = this.suite.dh.dhLen;
    const snap = this.#sym.begin();
    const saved = { re: this.#re, rs: this.#rs, pskIndex: this.#pskIndex };
    let payload: Uint8Array;
    try {
      let off = 0;
      for (const t of m.tokens) {
        switch (t) {
          case 'e': {
            if (this.#re) throw new NoiseError('ERR_NOISE_INVALID_STATE', 're is already set');
            this.#re = copyBytes(message, off, off + dhLen);
            off += dhLen;
            this.#sym.mixHash(this.#re);
            if (this.#psk) this.#sym.mixKey(this.#re);
            break;
          }
          case 's': {
            if (this.#rs) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'rs is already set');
            const len = this.#sym.cipherState.hasKey() ? dhLen + TAG_LENGTH : dhLen;
            const rs = this.#sym.decryptAndHash(viewBytes(message, off, off + len));
            this.#rs = copyBytes(rs);
            off += len;
            break;
          }
          case 'psk':
            this.#sym.mixKeyAndHash(this.#psks[this.#pskIndex++]!);
            break;
          default:
            this.#dh(t);
        }
      }
      // The payload must never alias the caller's message. Without a key DecryptAndHash returns
      // its input, and a cipher of the caller's own may decrypt in place; small messages were
      // copied by viewBytes already (and comparing `.buffer` would move them off V8's heap, see
      // ON_HEAP_MAX in bytes.ts).
      const plain = !this.#sym.cipherState.hasKey();
      payload = this.#sym.decryptAndHash(viewBytes(message, off));
      if (message.length > ON_HEAP_MAX && (plain || payload.buffer === message.buffer)) payload = copyBytes(payload);
    } catch (err) {
      this.#sym.rollback(snap);
      this.#re = saved.re;
      this.#rs = saved.rs;
      this.#pskIndex = saved.pskIndex;
      throw err;
    }
    this.#sym.commit(snap);
    this.#advance();
    return payload;
  }

  /** Length of a message with these tokens and a payload of `payloadLength` bytes. */
  #messageLength(tokens: readonly Token[], payloadLength: number): number {
    const dhLen = this.suite.dh.dhLen;
    let hasKey = this.#sym.cipherState.hasKey();
    let len = 0;
    for (const t of tokens) {
      if (t === 'e') {
        len += dhLen;
        if (this.#psk) hasKey = true;
      } else if (t === 's') len += dhLen + (hasKey ? TAG_LENGTH : 0);
      else hasKey = true; // every DH token and psk calls MixKey
    }
    return len + payloadLength + (hasKey ? TAG_LENGTH : 0);
  }

  #advance(): void {
    this.#messageIndex++;
    if (this.#messageIndex < this.pattern.messages.length) return;
    // Last message: split now so ck can be wiped at once (section 5.3).
    const [c1, c2] = this.#sym.split();
    this.#handshakeHash = this.#sym.h;
    const oneWay = isOneWay(this.pattern);
    // Section 7.4: the second CipherState of a one-way pattern is discarded (wiped, it then
    // refuses every use), so the recipient has nothing to send with.
    if (oneWay) c2.wipe();
    this.#transport = new TransportState({
      send: this.initiator ? c1 : c2,
      receive: this.initiator ? c2 : c1,
      handshakeHash: this.#handshakeHash,
      canSend: !oneWay || this.initiator,
      canReceive: !oneWay || !this.initiator,
    });
    this.#onFinalChainingKey?.(this.#sym.ck);
    this.#ss?.wipe();
    this.#ss = undefined; // nothing of it is used again: a finished state keeps less (bench/memory.ts)
    this.#wipeKeys();
  }

  /**
   * The state of the fallback protocol (section 10.2; Noise Pipes, 10.4), with roles reversed:
   * - Alice (she wrote message 1 and waits for a reply) gets the responder state that reuses her
   *   ephemeral from message 1 as the pre-message `e` (a copy: the two states stay independent);
   * - Bob (message 1 failed to read, e.g. ERR_NOISE_DECRYPT) passes that message as
   *   `failedMessage` and gets the initiator state with Alice's `e` as the pre-message `re`.
   *
   * The static key pair, prologue, backend and psks are carried over. This state is not changed,
   * so a forged reply cannot spoil it: destroy() whichever of the two states you stop using.
   */
  fallback(options: FallbackOptions = {}): HandshakeState {
    this.#checkAlive('fall back');
    if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'fallback options must be an object');
    const first = this.pattern.messages[0]!;
    if (this.protocol.modifiers.includes('fallback')) {
      throw new NoiseError('ERR_NOISE_INVALID_STATE', `${this.protocol.name} is already a fallback protocol; it does not fall back again (section 10.2)`);
    }
    if (first.tokens.find((t) => t !== 'psk') !== 'e') {
      throw new NoiseError('ERR_NOISE_INVALID_STATE', `${this.pattern.name} does not start with "e"; there is no ephemeral to fall back with`);
    }
    const protocol = options.protocol ?? formatProtocolName({ ...this.protocol, pattern: 'XX', modifiers: ['fallback'] });
    const name = parseProtocolName(protocol);
    if (!name.modifiers.includes('fallback')) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${protocol} is not a fallback protocol`);
    if (name.dh !== this.protocol.dh) {
      throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${protocol} must use the DH of ${this.protocol.name} to reuse its ephemeral`);
    }
    const common: HandshakeOptions = {
      protocol,
      initiator: !this.initiator,
      prologue: this.#prologue,
      staticKeyPair: this.#s,
      psks: options.psks ?? (pskCount(resolvePattern(name)) + (name.prefix === 'NoisePSK' ? 1 : 0) === 0 ? [] : this.#psks),
      backend: this.#backend,
      retryAfterFailedRead: this.#retryAfterFailedRead,
      [kFixedEphemeral]: this.#fixedEphemeral,
    };
    if (this.#wroteFirst()) {
      if (!this.#e) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'the ephemeral of message 1 is gone');
      const e = { publicKey: copyBytes(this.#e.publicKey), privateKey: copyBytes(this.#e.privateKey) };
      try {
        const next = new HandshakeState({ ...common, ephemeralKeyPair: e });
        next.#ownsEphemeral = true;
        return next;
      } catch (err) {
        wipe(e.privateKey);
        throw err;
      }
    }
    if (this.#sentByMe(first.direction) || this.#messageIndex !== 0) {
      throw new NoiseError('ERR_NOISE_INVALID_STATE', 'fallback is only possible after writing or failing to read message 1');
    }
    const failed = options.failedMessage;
    checkBytes('failedMessage', failed);
    const dhLen = this.suite.dh.dhLen;
    if (failed.length < dhLen) throw new NoiseError('ERR_NOISE_MALFORMED_MESSAGE', `message 1 must start with a ${dhLen}-byte ephemeral, got ${failed.length} bytes`);
    return new HandshakeState({ ...common, remoteEphemeralKey: failed.subarray(0, dhLen) });
  }

  /** Split(): the transport state, once finished. Can be called once. */
  split(): TransportState {
    this.#checkAlive('split');
    const t = this.#transport;
    if (!t) throw new NoiseError('ERR_NOISE_INVALID_STATE', this.#split ? 'split() was already called' : 'the handshake is not finished');
    this.#transport = undefined;
    this.#split = true;
    return t;
  }

  /** The SymmetricState of a handshake still running. */
  get #sym(): SymmetricState {
    const ss = this.#ss;
    if (!ss) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'the handshake is finished');
    return ss;
  }

  /** True after writing message 1 while its reply is still to come: fallback() reuses our `e`. */
  #wroteFirst(): boolean {
    return this.#sentByMe(this.pattern.messages[0]!.direction) && this.#messageIndex === 1 && !this.isFinished;
  }

  /**
   * Which fallback() can still follow a failed read: after writing message 1 (it reuses our `e`
   * and the psks), after failing to read message 1 (the psks only), or none. A fallback protocol
   * does not fall back again (section 10.2 defines the modifier for patterns Alice starts).
   */
  #fallbackAfterFailure(): 'wroteFirst' | 'failedFirst' | undefined {
    const first = this.pattern.messages[0]!;
    if (this.protocol.modifiers.includes('fallback') || first.tokens.find((t) => t !== 'psk') !== 'e') return undefined;
    if (this.#wroteFirst()) return 'wroteFirst';
    return !this.#sentByMe(first.direction) && this.#messageIndex === 0 ? 'failedFirst' : undefined;
  }

  /** Wipes the ephemeral private key (when this state made or owns it) and lets it go. */
  #wipeEphemeral(): void {
    if (this.#ownsEphemeral) wipe(this.#e?.privateKey);
    this.#e = undefined;
  }

  /** Wipes the ephemeral private key (when this state owns it) and the psks. */
  #wipeKeys(): void {
    this.#wipeEphemeral();
    this.#psks.forEach(wipe);
  }

  /** ERR_NOISE_INVALID_STATE once destroy() has been called, or (except for fallback) a read failed. */
  #checkAlive(what: 'write a message' | 'read a message' | 'fall back' | 'split'): void {
    if (this.#destroyed) throw new NoiseError('ERR_NOISE_INVALID_STATE', `cannot ${what}: this handshake state was destroyed`);
    if (this.#failed && what !== 'fall back') {
      throw new NoiseError('ERR_NOISE_INVALID_STATE', `cannot ${what}: the handshake failed at a message that did not read (${this.#failed}); section 5.3 ends it there (fallback() and destroy() remain)`);
    }
  }

  /**
   * Wipes every secret this state holds (ephemeral private key, ck, k, psks). The state is then
   * finished with: writeMessage, readMessage, split and fallback throw ERR_NOISE_INVALID_STATE,
   * and `action` is `done`. A TransportState already returned by split() is not affected.
   */
  destroy(): void {
    this.#destroyed = true;
    this.#ss?.wipe();
    this.#wipeKeys();
    this.#transport?.destroy();
    this.#transport = undefined;
  }
}

function checkKeyPair(name: string, kp: KeyPair, publicLength: number, privateLength: number): KeyPair {
  if (!kp || typeof kp !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${name} must be { publicKey, privateKey }`);
  checkBytes(`${name}.publicKey`, kp.publicKey, publicLength);
  checkBytes(`${name}.privateKey`, kp.privateKey, privateLength);
  return kp;
}
