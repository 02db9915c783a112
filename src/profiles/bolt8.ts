/**
 * Lightning BOLT #8 ("Encrypted and Authenticated Transport", lightning/bolts 08-transport.md):
 * the `Noise_XK_secp256k1_ChaChaPoly_SHA256` profile, byte for byte.
 *
 * - Handshake ("Authenticated Key Exchange Handshake Specification"): Noise XK with prologue
 *   `lightning`, empty payloads, and a leading version byte (0) on each act: act one and act two
 *   are exactly 50 bytes (`0 || e || tag`), act three 66 bytes (`0 || enc(s) || tag`). The
 *   three acts are run by the generic engine (HandshakeState); this module adds the version byte,
 *   the exact-length reads and the key checks, and takes the final `ck` through the profile hook
 *   `kFinalChainingKey` (engine/internal.ts) for key rotation.
 * - Split: `sk, rk = HKDF(ck, zero)` for the initiator (reversed for the responder), which is
 *   Noise's Split(); `rck = sck = ck`.
 * - Messages ("Lightning Message Specification"): see Bolt8Transport in bolt8-transport.ts.
 *
 * Failure cases of Appendix A map to NoiseError codes: short read ERR_NOISE_MALFORMED_MESSAGE,
 * bad version ERR_NOISE_UNKNOWN_VERSION, bad public key ERR_NOISE_DH, bad MAC ERR_NOISE_DECRYPT.
 * After any failure the handshake is dead (BOLT 8: "terminate the connection").
 */
import { HandshakeState, type HandshakeOptions } from '../engine/handshake-state.js';
import { kFinalChainingKey, kFixedEphemeral } from '../engine/internal.js';
import type { BackendChoice } from '../crypto/resolve.js';
import type { KeyPair } from '../crypto/types.js';
import { isValidSecp256k1PublicKey } from '../crypto/secp256k1.js';
import { NoiseError } from '../errors.js';
import { checkBytes, concat, wipe } from '../bytes.js';
import { Bolt8Transport } from './bolt8-transport.js';

/** The protocol name BOLT 8 hashes into `h` ("Noise Protocol Instantiation"). */
export const BOLT8_PROTOCOL = 'Noise_XK_secp256k1_ChaChaPoly_SHA256';
/** The prologue: the ASCII string `lightning` ("Handshake State Initialization"). */
export const BOLT8_PROLOGUE: Uint8Array = new TextEncoder().encode('lightning');
/** The only handshake version this implementation speaks ("Handshake Versioning"). */
export const BOLT8_VERSION = 0;
/** Act lengths in bytes: act one 50, act two 50, act three 66. */
export const BOLT8_ACT_LENGTHS: readonly [number, number, number] = [50, 50, 66];

/** Options for a BOLT 8 handshake. */
export interface Bolt8HandshakeOptions {
  /** True for the initiator (the node that opens the connection). */
  initiator: boolean;
  /** This node's secp256k1 key pair (33-byte compressed public key, 32-byte private key). */
  staticKeyPair: KeyPair;
  /** Initiator only: the responder's node id (33-byte compressed public key). */
  remoteStaticKey?: Uint8Array;
  /** Crypto backend (default `auto`). */
  backend?: BackendChoice;
  /** Test-only (Appendix A vectors): the ephemeral key `generateKey()` returns. */
  [kFixedEphemeral]?: KeyPair;
}

/** What the caller does next: write an act, read one (of `nextActLength` bytes), or split. */
export type Bolt8Action = 'write' | 'read' | 'split' | 'failed' | 'done';

/** The BOLT 8 three-act handshake over the generic Noise XK engine. */
export class Bolt8Handshake {
  /** True for the initiator. */
  readonly initiator: boolean;
  readonly #hs: HandshakeState;
  readonly #backend: BackendChoice | undefined;
  #ck: Uint8Array | undefined;
  #act = 0;
  #failed = false;
  #split = false;

  constructor(options: Bolt8HandshakeOptions) {
    if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
    if (typeof options.initiator !== 'boolean') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options.initiator must be a boolean');
    this.initiator = options.initiator;
    this.#backend = options.backend;
    if (!options.staticKeyPair || !isValidSecp256k1PublicKey(options.staticKeyPair.publicKey)) {
      throw new NoiseError('ERR_NOISE_INVALID_KEY', 'staticKeyPair must be a secp256k1 key pair with a 33-byte compressed public key');
    }
    if (options.initiator) {
      if (options.remoteStaticKey === undefined) throw new NoiseError('ERR_NOISE_MISSING_KEY', 'the initiator must know the responder\'s node id (remoteStaticKey)');
      checkBytes('remoteStaticKey', options.remoteStaticKey, 33);
      if (!isValidSecp256k1PublicKey(options.remoteStaticKey)) {
        throw new NoiseError('ERR_NOISE_INVALID_KEY', 'remoteStaticKey is not a compressed secp256k1 public key');
      }
    } else if (options.remoteStaticKey !== undefined) {
      throw new NoiseError('ERR_NOISE_INVALID_KEY', 'the responder learns the remote static key in act three; do not pass remoteStaticKey');
    }
    const hsOptions: HandshakeOptions = {
      protocol: BOLT8_PROTOCOL,
      initiator: options.initiator,
      prologue: BOLT8_PROLOGUE,
      staticKeyPair: options.staticKeyPair,
      remoteStaticKey: options.remoteStaticKey,
      backend: options.backend,
      [kFixedEphemeral]: options[kFixedEphemeral],
      [kFinalChainingKey]: (ck) => {
        this.#ck = ck;
      },
    };
    this.#hs = new HandshakeState(hsOptions);
  }

  /** What to do next. */
  get action(): Bolt8Action {
    if (this.#failed) return 'failed';
    if (this.#split) return 'done';
    const a = this.#hs.action;
    return a === 'done' ? 'done' : a;
  }

  /** Length of the next act to read or write (50, 50, 66), or 0 after the handshake. */
  get nextActLength(): number {
    return BOLT8_ACT_LENGTHS[this.#act] ?? 0;
  }

  /** True once act three has been written (initiator) or read (responder). */
  get isFinished(): boolean {
    return this.#hs.isFinished;
  }

  /** The remote node id: known to the initiator from the start, to the responder after act three. */
  get remoteStaticKey(): Uint8Array | undefined {
    return this.#hs.remoteStaticKey;
  }

  /** The handshake hash `h` (for channel binding). */
  get handshakeHash(): Uint8Array {
    return this.#hs.handshakeHash;
  }

  /** Writes the next act (acts one and three for the initiator, act two for the responder). */
  writeAct(): Uint8Array {
    this.#live();
    if (this.#hs.action !== 'write') throw new NoiseError('ERR_NOISE_INVALID_STATE', `cannot write an act now (next action: ${this.action})`);
    try {
      const m = this.#hs.writeMessage();
      this.#act++;
      return concat(Uint8Array.of(BOLT8_VERSION), m);
    } catch (err) {
      this.#fail();
      throw err;
    }
  }

  /**
   * Reads the next act, which must be exactly `nextActLength` bytes. Any failure (short read,
   * unknown version, bad key, bad MAC) ends the handshake: BOLT 8 says to terminate the connection.
   */
  readAct(act: Uint8Array): void {
    checkBytes('act', act);
    this.#live();
    if (this.#hs.action !== 'read') throw new NoiseError('ERR_NOISE_INVALID_STATE', `cannot read an act now (next action: ${this.action})`);
    const n = this.#act + 1;
    const expected = this.nextActLength;
    try {
      // "Read exactly N bytes from the network buffer."
      if (act.length !== expected) {
        throw new NoiseError('ERR_NOISE_MALFORMED_MESSAGE', `act ${n} must be exactly ${expected} bytes, got ${act.length} (ACT${n}_READ_FAILED)`);
      }
      // "If v is an unrecognized handshake version, then the responder MUST abort."
      if (act[0] !== BOLT8_VERSION) {
        throw new NoiseError('ERR_NOISE_UNKNOWN_VERSION', `act ${n} has version ${act[0]}, expected ${BOLT8_VERSION} (ACT${n}_BAD_VERSION)`);
      }
      this.#hs.readMessage(act.subarray(1));
      this.#act++;
    } catch (err) {
      this.#fail();
      throw err;
    }
  }

  /** The transport keys; once, after the handshake. */
  split(): Bolt8Transport {
    this.#live();
    if (!this.#hs.isFinished || !this.#ck) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'the handshake is not finished');
    // The engine's Split() gives the same two keys as BOLT 8's HKDF(ck, zero); the transport
    // recomputes them from ck because rotation needs the raw key bytes.
    this.#hs.split().destroy();
    this.#split = true;
    const ck = this.#ck;
    this.#ck = undefined;
    try {
      return Bolt8Transport.fromChainingKey(ck, this.initiator, { backend: this.#backend, handshakeHash: this.#hs.handshakeHash, remoteStaticKey: this.#hs.remoteStaticKey });
    } finally {
      wipe(ck);
    }
  }

  /** Wipes every secret this handshake holds. */
  destroy(): void {
    this.#hs.destroy();
    wipe(this.#ck);
    this.#ck = undefined;
  }

  #live(): void {
    if (this.#failed) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'the handshake failed; BOLT 8 requires closing the connection');
    if (this.#split) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'split() was already called');
  }

  #fail(): void {
    this.#failed = true;
    this.destroy();
  }
}
