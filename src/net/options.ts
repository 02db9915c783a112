/**
 * Options shared by NoiseSocket, connect() and createServer(), with their defaults and the
 * checks applied at the API boundary.
 */
import type { KeyPair } from '../crypto/types.js';
import type { BackendChoice } from '../crypto/resolve.js';
import { NoiseError } from '../errors.js';
import { MAX_MESSAGE_LENGTH } from '../engine/cipher-state.js';
import { RekeyPolicy } from './rekey-policy.js';

/** Default time allowed for a handshake (connection set-up included), in milliseconds. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;
/** Default idle timeout in milliseconds: 0, i.e. off. */
export const DEFAULT_IDLE_TIMEOUT = 0;
/** Default limit of handshakes a server runs at once. */
export const DEFAULT_MAX_CONCURRENT_HANDSHAKES = 128;

/**
 * Decides whether to accept the peer, once every handshake message from it has been read and
 * before this side sends anything more (handshake or application data).
 *
 * @param remoteStaticKey the peer's static public key (`undefined` when the pattern has none)
 * @param payloads every handshake payload received from the peer, in order
 * @returns true to accept; false (or a rejected promise / thrown error) refuses the peer
 */
export type VerifyRemote = (remoteStaticKey: Uint8Array | undefined, payloads: Uint8Array[]) => boolean | Promise<boolean>;

/**
 * The handshake payload this side sends. A Uint8Array is sent in the LAST handshake message this
 * side writes (the one with the strongest payload security, spec section 7.7); the other
 * messages carry empty payloads. A function is asked for each message this side writes
 * (`messageIndex` is the 0-based index in the pattern) and may return `undefined` for empty.
 */
export type HandshakePayload = Uint8Array | ((messageIndex: number) => Uint8Array | undefined);

/** Automatic rekey (spec section 11.3), applied identically by both sides to each direction. */
export interface RekeyOptions {
  /** Rekey a direction after this many transport messages in it. */
  messages?: number;
  /** Rekey a direction once this many plaintext bytes have gone through it since the last rekey. */
  bytes?: number;
}

/** Options of a Noise channel over a byte stream. */
export interface NoiseSocketOptions {
  /** Full protocol name, e.g. `Noise_XX_25519_ChaChaPoly_BLAKE2s`. Must be an interactive pattern. */
  protocol: string;
  /** This side's static key pair, when the pattern uses one. */
  staticKeyPair?: KeyPair;
  /** The peer's static public key, when the pattern has it as a pre-message (e.g. IK, NK, KK initiator). */
  remoteStaticKey?: Uint8Array;
  /** Pre-shared keys (32 bytes each) for psk patterns, in token order. */
  psks?: readonly Uint8Array[];
  /** Prologue bytes (spec section 6): configured on both sides, never sent. */
  prologue?: Uint8Array;
  /** Crypto backend: `auto` (default), `node`, `stablelib`, or your own. */
  backend?: BackendChoice;
  /** Payload this side sends in its handshake messages. */
  handshakePayload?: HandshakePayload;
  /** Accept or refuse the peer before any application data is delivered or sent. */
  verifyRemote?: VerifyRemote;
  /** Milliseconds allowed for the whole handshake (default 10 000; 0 = no limit). */
  handshakeTimeout?: number;
  /** Milliseconds without traffic after which the connection is closed (default 0 = off). */
  idleTimeout?: number;
  /** Automatic rekey policy; both sides must use the same one. */
  rekey?: RekeyOptions;
  /** Largest handshake message accepted from the peer (default 65535). */
  maxHandshakeMessageLength?: number;
}

/** Checks option values that the engine does not check itself. */
export function checkSocketOptions(options: Partial<NoiseSocketOptions>): void {
  if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
  checkMillis('handshakeTimeout', options.handshakeTimeout);
  checkMillis('idleTimeout', options.idleTimeout);
  const p = options.handshakePayload;
  if (p !== undefined && !(p instanceof Uint8Array) && typeof p !== 'function') {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'handshakePayload must be a Uint8Array or a function');
  }
  if (options.verifyRemote !== undefined && typeof options.verifyRemote !== 'function') {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'verifyRemote must be a function');
  }
  const m = options.maxHandshakeMessageLength;
  if (m !== undefined && (!Number.isInteger(m) || m < 0 || m > MAX_MESSAGE_LENGTH)) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `maxHandshakeMessageLength must be an integer in [0, ${MAX_MESSAGE_LENGTH}]`);
  }
  if (options.rekey !== undefined) new RekeyPolicy(options.rekey); // throws on invalid limits
}

function checkMillis(name: string, v: unknown): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 2 ** 31 - 1) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${name} must be a number of milliseconds in [0, 2^31-1]`);
  }
}

/** The `maxConcurrentHandshakes` option with its default; ERR_NOISE_INVALID_ARGUMENT unless a positive integer. */
export function maxHandshakes(value: number | undefined): number {
  const max = value ?? DEFAULT_MAX_CONCURRENT_HANDSHAKES;
  if (!Number.isInteger(max) || max < 1) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'maxConcurrentHandshakes must be a positive integer');
  return max;
}
