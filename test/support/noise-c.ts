/**
 * Typed loader and wrapper around the reference noise-c compiled to WebAssembly, for the interop
 * tests (see docs/interop.md).
 *
 * Two builds are used:
 * - `classic`: `noise-c.wasm@0.4.0`: the one-way and fundamental patterns with all 16 suites
 *   (25519/448 × ChaChaPoly/AESGCM × SHA256/SHA512/BLAKE2s/BLAKE2b), no rev-32+ psk names.
 * - `psk`: `@richardhopton/noise-c.wasm@0.5.0`: rev-34 psk names (`NNpsk0`, `XXpsk3`, ...), only
 *   for the suite `25519_ChaChaPoly_SHA256`.
 *
 * The wrapper hides the package's quirks:
 * - every byte argument is copied into a plain `Uint8Array` (a `Buffer` fails with
 *   NOISE_ERROR_INVALID_PARAM);
 * - the package frees a state itself when a call fails with a `NOISE_ERROR_*` error, and
 *   `Split()` frees the handshake state; we track that so `free()` is always safe to call once
 *   more (and idempotent);
 * - errors are rethrown as {@link NoiseCError} with the noise-c error name as `code`;
 * - the handshake hash is read before `Split()` (afterwards the state is gone);
 * - emscripten's "wasm streaming compile failed" warning is silenced.
 *
 * noise-c takes ONE pre-shared key; for patterns with several psk tokens it uses the same key at
 * each of them, so the noisekit side must be given that key once per token.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Which noise-c build to use. */
export type NoiseCFlavor = 'classic' | 'psk';

const PACKAGES: Record<NoiseCFlavor, string> = {
  classic: 'noise-c.wasm',
  psk: '@richardhopton/noise-c.wasm',
};

/** The suites `noise-c.wasm@0.4.0` supports (all 16). */
export const NOISE_C_SUITES: readonly string[] = ['25519', '448'].flatMap((dh) =>
  ['ChaChaPoly', 'AESGCM'].flatMap((cipher) => ['SHA256', 'SHA512', 'BLAKE2s', 'BLAKE2b'].map((hash) => `${dh}_${cipher}_${hash}`)),
);

/** The only suite of `@richardhopton/noise-c.wasm@0.5.0`. */
export const NOISE_C_PSK_SUITE = '25519_ChaChaPoly_SHA256';

/** What the handshake wants next (noise-c's NOISE_ACTION_*). */
export type NoiseCAction = 'write' | 'read' | 'split' | 'failed' | 'none';

/** An error reported by noise-c (or by the package's JavaScript glue). */
export class NoiseCError extends Error {
  /** The noise-c error name, e.g. `NOISE_ERROR_MAC_FAILURE`, or `NOISE_C_WRAPPER` for glue errors. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NoiseCError';
    this.code = code;
  }
}

// ---- The untyped package surface we use -------------------------------------------------------

interface RawCipherState {
  _state?: number;
  EncryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  DecryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  free(): void;
}

interface RawHandshakeState {
  Initialize(prologue: Uint8Array | null, s: Uint8Array | null, rs: Uint8Array | null, psk: Uint8Array | null): void;
  GetAction(): number;
  WriteMessage(payload: Uint8Array | null): Uint8Array;
  ReadMessage(message: Uint8Array, payloadNeeded: boolean, fallbackSupported?: boolean): Uint8Array | null;
  Split(): [RawCipherState, RawCipherState];
  GetHandshakeHash(): Uint8Array;
  GetRemotePublicKey(): Uint8Array | null;
  free(): void;
}

interface RawNoiseC {
  constants: Record<string, number>;
  HandshakeState: new (protocolName: string, role: number) => RawHandshakeState;
  CreateKeyPair(curveId: number): [Uint8Array, Uint8Array];
}

type Loader = (options: { print?: (s: string) => void; printErr?: (s: string) => void }, callback: (lib: RawNoiseC) => void) => void;

// ---- Loading ------------------------------------------------------------------------------------

const loaded = new Map<NoiseCFlavor, Promise<NoiseC>>();

/** Loads a noise-c build once per process (later calls share the same instance). */
export function loadNoiseC(flavor: NoiseCFlavor = 'classic'): Promise<NoiseC> {
  let p = loaded.get(flavor);
  if (!p) {
    p = new Promise<NoiseC>((resolve, reject) => {
      try {
        const loader = require(PACKAGES[flavor]) as Loader;
        // print/printErr: emscripten's own output (the harmless streaming-compile warning).
        loader({ print: () => {}, printErr: () => {} }, (lib) => resolve(new NoiseC(flavor, lib)));
      } catch (e) {
        reject(new NoiseCError('NOISE_C_WRAPPER', `cannot load ${PACKAGES[flavor]}: ${(e as Error).message}`, { cause: e }));
      }
    });
    loaded.set(flavor, p);
  }
  return p;
}

/** A plain, unshared Uint8Array copy (never a Buffer). */
function u8(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

function isNoiseErrorName(e: unknown): e is Error {
  return e instanceof Error && /^NOISE_ERROR_[A-Z_]+$/.test(e.message);
}

function wrapError(e: unknown, what: string): NoiseCError {
  if (e instanceof NoiseCError) return e;
  if (isNoiseErrorName(e)) return new NoiseCError(e.message, `noise-c ${what}: ${e.message}`, { cause: e });
  const msg = e instanceof Error ? e.message : String(e);
  return new NoiseCError('NOISE_C_WRAPPER', `noise-c ${what}: ${msg}`, { cause: e });
}

/** One loaded noise-c build. */
export class NoiseC {
  constructor(
    /** Which build this is. */
    readonly flavor: NoiseCFlavor,
    private readonly lib: RawNoiseC,
  ) {}

  /** A new key pair generated by noise-c itself (`25519` or `448`). */
  generateKeyPair(dh: '25519' | '448'): { publicKey: Uint8Array; privateKey: Uint8Array } {
    const id = dh === '448' ? this.lib.constants.NOISE_DH_CURVE448 : this.lib.constants.NOISE_DH_CURVE25519;
    try {
      const [privateKey, publicKey] = this.lib.CreateKeyPair(id as number);
      return { publicKey: u8(publicKey), privateKey: u8(privateKey) };
    } catch (e) {
      throw wrapError(e, 'CreateKeyPair');
    }
  }

  /** Whether this build knows the protocol name (creates and frees a state). */
  supports(protocol: string): boolean {
    try {
      new NoiseCHandshake(this.lib, protocol, true).free();
      return true;
    } catch {
      return false;
    }
  }

  /** Creates and initializes a handshake (Initialize() with prologue, keys and psk). */
  handshake(options: NoiseCHandshakeOptions): NoiseCHandshake {
    const hs = new NoiseCHandshake(this.lib, options.protocol, options.initiator);
    hs.initialize(options);
    return hs;
  }
}

/** Options of {@link NoiseC.handshake}. */
export interface NoiseCHandshakeOptions {
  protocol: string;
  initiator: boolean;
  prologue?: Uint8Array;
  /** Local static PRIVATE key (noise-c derives the public key). */
  staticPrivateKey?: Uint8Array;
  /** Remote static public key, for patterns with it in a pre-message. */
  remoteStaticKey?: Uint8Array;
  /** The single pre-shared key (used at every psk token). */
  psk?: Uint8Array;
}

/** A noise-c HandshakeState. Always call {@link free} (safe after errors and after split). */
export class NoiseCHandshake {
  #raw: RawHandshakeState | undefined;
  readonly #actions: Record<number, NoiseCAction>;

  /** @internal use {@link NoiseC.handshake} */
  constructor(lib: RawNoiseC, readonly protocol: string, readonly initiator: boolean) {
    const c = lib.constants;
    this.#actions = {
      [c.NOISE_ACTION_NONE as number]: 'none',
      [c.NOISE_ACTION_WRITE_MESSAGE as number]: 'write',
      [c.NOISE_ACTION_READ_MESSAGE as number]: 'read',
      [c.NOISE_ACTION_FAILED as number]: 'failed',
      [c.NOISE_ACTION_SPLIT as number]: 'split',
    };
    try {
      this.#raw = new lib.HandshakeState(protocol, (initiator ? c.NOISE_ROLE_INITIATOR : c.NOISE_ROLE_RESPONDER) as number);
    } catch (e) {
      throw wrapError(e, `HandshakeState(${protocol})`);
    }
  }

  /** True once the underlying state is gone (freed, failed or split). */
  get freed(): boolean {
    return this.#raw === undefined;
  }

  /** Runs `f` on the raw state; a NOISE_ERROR_* failure means the package already freed it. */
  #call<T>(what: string, f: (raw: RawHandshakeState) => T): T {
    const raw = this.#raw;
    if (!raw) throw new NoiseCError('NOISE_C_WRAPPER', `noise-c ${what}: the handshake state is already freed`);
    try {
      return f(raw);
    } catch (e) {
      if (isNoiseErrorName(e)) this.#raw = undefined;
      throw wrapError(e, what);
    }
  }

  /** @internal Initialize() (called by {@link NoiseC.handshake}). */
  initialize(o: Omit<NoiseCHandshakeOptions, 'protocol' | 'initiator'>): void {
    try {
      this.#call('Initialize', (raw) =>
        raw.Initialize(
          o.prologue && o.prologue.length > 0 ? u8(o.prologue) : null,
          o.staticPrivateKey ? u8(o.staticPrivateKey) : null,
          o.remoteStaticKey ? u8(o.remoteStaticKey) : null,
          o.psk ? u8(o.psk) : null,
        ),
      );
    } catch (e) {
      // Errors of the glue ("key required") do not free the state: do it here.
      this.free();
      throw e;
    }
  }

  /** What to do next. */
  get action(): NoiseCAction {
    if (!this.#raw) return 'none';
    return this.#actions[this.#raw.GetAction()] ?? 'failed';
  }

  /** Writes the next handshake message with `payload`. */
  writeMessage(payload: Uint8Array = new Uint8Array(0)): Uint8Array {
    return u8(this.#call('WriteMessage', (raw) => raw.WriteMessage(payload.length > 0 ? u8(payload) : null)));
  }

  /** Reads the next handshake message; returns its payload. */
  readMessage(message: Uint8Array): Uint8Array {
    const p = this.#call('ReadMessage', (raw) => raw.ReadMessage(u8(message), true));
    return p ? u8(p) : new Uint8Array(0);
  }

  /** The handshake hash (only once the action is `split`). */
  get handshakeHash(): Uint8Array {
    return u8(this.#call('GetHandshakeHash', (raw) => raw.GetHandshakeHash()));
  }

  /** The remote static public key, once known. */
  get remoteStaticKey(): Uint8Array | undefined {
    const k = this.#call('GetRemotePublicKey', (raw) => raw.GetRemotePublicKey());
    return k ? u8(k) : undefined;
  }

  /** Split(): the transport ciphers. The handshake state is freed by noise-c. */
  split(): NoiseCTransport {
    const handshakeHash = this.handshakeHash;
    const [send, receive] = this.#call('Split', (raw) => {
      const pair = raw.Split();
      this.#raw = undefined; // Split() freed it
      return pair;
    });
    return new NoiseCTransport(send, receive, handshakeHash);
  }

  /** Frees the state; idempotent, and a no-op after split or a NOISE_ERROR_* failure. */
  free(): void {
    const raw = this.#raw;
    this.#raw = undefined;
    if (!raw) return;
    try {
      raw.free();
    } catch {
      // nothing more can be done; the state is unusable either way
    }
  }
}

/** The two transport CipherStates of a split noise-c handshake. */
export class NoiseCTransport {
  #send: RawCipherState | undefined;
  #receive: RawCipherState | undefined;

  /** @internal */
  constructor(send: RawCipherState, receive: RawCipherState, readonly handshakeHash: Uint8Array) {
    // Defensive: treat a null cipher pointer as "no such direction" (noise-c.wasm returns both
    // ciphers even for one-way patterns; only initiator -> responder may be used there).
    this.#send = send && send._state ? send : undefined;
    this.#receive = receive && receive._state ? receive : undefined;
  }

  /** Whether this side has a sending (resp. receiving) cipher. */
  get canSend(): boolean {
    return this.#send !== undefined;
  }
  get canReceive(): boolean {
    return this.#receive !== undefined;
  }

  /**
   * The package's own cipher states, for the benchmark (bench/peers.ts): noise-c.wasm's API as
   * the package offers it, without this wrapper's defensive copies.
   */
  get rawCiphers(): { send?: RawCipherState; receive?: RawCipherState } {
    return { send: this.#send, receive: this.#receive };
  }

  /** Encrypts one transport message (empty associated data). */
  encrypt(plaintext: Uint8Array): Uint8Array {
    const cs = this.#send;
    if (!cs) throw new NoiseCError('NOISE_C_WRAPPER', 'noise-c encrypt: no sending cipher (one-way pattern, or freed)');
    try {
      return u8(cs.EncryptWithAd(new Uint8Array(0), u8(plaintext)));
    } catch (e) {
      throw wrapError(e, 'EncryptWithAd');
    }
  }

  /** Decrypts one transport message (empty associated data). */
  decrypt(ciphertext: Uint8Array): Uint8Array {
    const cs = this.#receive;
    if (!cs) throw new NoiseCError('NOISE_C_WRAPPER', 'noise-c decrypt: no receiving cipher (one-way pattern, or freed)');
    try {
      return u8(cs.DecryptWithAd(new Uint8Array(0), u8(ciphertext)));
    } catch (e) {
      throw wrapError(e, 'DecryptWithAd');
    }
  }

  /** Frees both ciphers; idempotent. */
  free(): void {
    for (const cs of [this.#send, this.#receive]) {
      try {
        cs?.free();
      } catch {
        // already unusable
      }
    }
    this.#send = undefined;
    this.#receive = undefined;
  }
}
