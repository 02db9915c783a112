/**
 * noisekit errors: one class, `NoiseError`, with a stable machine-readable `code`.
 *
 * Codes are part of the public API: never rename one, only add. Messages are for
 * humans and may change. Error detail stays local: nothing here is ever sent to a peer.
 */

/** Every error code noisekit can raise, with a one-line meaning. */
export const ERROR_CODES = {
  ERR_NOISE_DECRYPT: 'authentication failed: the message was not produced by the expected peer or was altered',
  ERR_NOISE_NONCE_EXHAUSTED: 'the nonce reached 2^64-1 (reserved, spec 5.1); start a new handshake',
  ERR_NOISE_INVALID_PROTOCOL_NAME: 'the protocol name does not follow spec section 8',
  ERR_NOISE_UNSUPPORTED_ALGORITHM: 'no available backend implements a requested DH, cipher or hash',
  ERR_NOISE_UNKNOWN_PATTERN: 'no handshake pattern of that name is known',
  ERR_NOISE_PATTERN_SYNTAX: 'a pattern definition could not be parsed',
  ERR_NOISE_PATTERN_INVALID: 'a pattern breaks a validity rule of spec section 7.3 or 9.3',
  ERR_NOISE_INVALID_MODIFIER: 'a pattern modifier is unknown or cannot be applied',
  ERR_NOISE_MISSING_KEY: 'a key the pattern needs was not supplied',
  ERR_NOISE_INVALID_KEY: 'a key has the wrong length or is not allowed here',
  ERR_NOISE_INVALID_PSK: 'a pre-shared key is missing or is not 32 bytes',
  ERR_NOISE_INVALID_STATE: 'the operation is not allowed in the current state (e.g. out of turn)',
  ERR_NOISE_MESSAGE_TOO_LONG: 'a Noise message may be at most 65535 bytes (spec 3)',
  ERR_NOISE_MALFORMED_MESSAGE: 'the message is shorter than the pattern requires',
  ERR_NOISE_INVALID_ARGUMENT: 'an argument has the wrong type or range',
  ERR_NOISE_DH: 'the DH function rejected a public key',
  ERR_NOISE_ONE_WAY: 'the recipient of a one-way pattern must not send transport messages (spec 7.4)',
  ERR_NOISE_TRUNCATED: 'the connection closed without the authenticated end-of-stream message (spec 13)',
  ERR_NOISE_HANDSHAKE_TIMEOUT: 'the handshake did not finish within handshakeTimeout',
  ERR_NOISE_IDLE_TIMEOUT: 'nothing was sent or received within idleTimeout',
  ERR_NOISE_REMOTE_REJECTED: 'verifyRemote refused the peer (its static key or handshake payloads)',
  ERR_NOISE_REMOTE_KEY_CHANGED: 'the peer presented a different static key than the one pinned for it',
  ERR_NOISE_TOO_MANY_HANDSHAKES: 'the server refused a connection: maxConcurrentHandshakes handshakes already in progress',
  ERR_NOISE_SOCKET: 'the underlying stream failed (see cause)',
  ERR_NOISE_PROTOCOL: 'the peer broke the framing protocol (e.g. data after its end-of-stream message)',
  ERR_NOISE_TRUST_STORE: 'a trust file (authorized keys or known hosts) could not be read, parsed or written',
  ERR_NOISE_NEGOTIATION: 'a negotiation byte before a handshake message is unknown or not allowed here (Noise Pipes, spec 10.3 and 13)',
  ERR_NOISE_REPLAY: 'a datagram repeats a nonce already accepted, or is older than the replay window (spec 11.4)',
  ERR_NOISE_KEY_FILE: 'a key or psk file could not be read, parsed or written (see message)',
  ERR_NOISE_CONFIG: 'a deployment config file or command-line setting is invalid (see message)',
  ERR_NOISE_UNKNOWN_VERSION: 'a handshake act starts with a version byte this side does not speak (Lightning BOLT 8: only version 0)',
  ERR_NOISE_RELAY: 'the relay refused or broke the rendezvous (unknown or taken service name, malformed relay message, relay closed)',
} as const;

/** A stable error code string, such as `ERR_NOISE_DECRYPT`. */
export type NoiseErrorCode = keyof typeof ERROR_CODES;

/** The one error type of noisekit. Check `code`, not the message. */
export class NoiseError extends Error {
  /** Stable machine-readable code. */
  readonly code: NoiseErrorCode;

  constructor(code: NoiseErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ERROR_CODES[code], options);
    this.name = 'NoiseError';
    this.code = code;
  }
}

/** True when `err` is a NoiseError, optionally with the given code. */
export function isNoiseError(err: unknown, code?: NoiseErrorCode): err is NoiseError {
  return err instanceof NoiseError && (code === undefined || err.code === code);
}
