/**
 * The server (Bob) of a Noise Pipe (spec section 10.4). Message 1's negotiation byte says `XX`
 * or `IK`; an `IK` message Bob cannot decrypt (his static key changed, the client's cache is
 * stale) switches him to `XXfallback` as its initiator, with the client's ephemeral taken from
 * the failed message (section 10.2).
 */
import { HandshakeState, type HandshakeAction } from '../engine/handshake-state.js';
import type { TransportState } from '../engine/transport-state.js';
import { NoiseError, isNoiseError } from '../errors.js';
import { checkBytes, EMPTY } from '../bytes.js';
import { readType, withType, type PipesMode } from './negotiation.js';
import { handshakeOptions, type PipesOptions } from './options.js';

/** The server (Bob) of a Noise Pipe. */
export class PipesResponder {
  readonly #options: PipesOptions;
  #hs: HandshakeState | undefined;
  #mode: PipesMode | undefined;
  #count = 0;
  #earlyData = false;

  /** Checks the options; the pattern is chosen by the client's first message. */
  constructor(options: PipesOptions) {
    // Fail now, not on the first message, when the options cannot make any of the three states.
    new HandshakeState(handshakeOptions(options, 'XX', false)).destroy();
    this.#options = { ...options };
  }

  /** The pattern in use, once message 1 has been read. */
  get mode(): PipesMode | undefined {
    return this.#mode;
  }

  /** True when the client's `IK` message could not be decrypted and this pipe fell back. */
  get fellBack(): boolean {
    return this.#mode === 'XXfallback';
  }

  /** True when message 1 was an `IK` message we decrypted: its payload was zero-RTT data. */
  get earlyDataAccepted(): boolean {
    return this.#earlyData;
  }

  /** The current protocol name, once known. */
  get protocol(): string | undefined {
    return this.#hs?.protocol.name;
  }

  /** What to do next. */
  get action(): HandshakeAction {
    return this.#hs ? this.#hs.action : 'read';
  }

  /** True while a handshake message from the peer is still to be read (see HandshakeState). */
  get readsRemain(): boolean {
    return this.#hs?.readsRemain ?? true;
  }

  /** True once the handshake is complete. */
  get isFinished(): boolean {
    return this.#hs?.isFinished ?? false;
  }

  /** The handshake hash (section 11.2). */
  get handshakeHash(): Uint8Array {
    if (!this.#hs) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'no handshake message has been read yet');
    return this.#hs.handshakeHash;
  }

  /** The client's static key, once received. */
  get remoteStaticKey(): Uint8Array | undefined {
    return this.#hs?.remoteStaticKey;
  }

  /**
   * Reads the next handshake message. For message 1 this picks the pattern from the negotiation
   * byte; an undecryptable `IK` message returns an empty payload and makes this pipe
   * `XXfallback` (nothing of that message is released). A non-empty `XX` message 1 payload is
   * refused: it would be unauthenticated plaintext. Later messages that fail to read end the
   * handshake as in HandshakeState, unless the pipe was made with `retryAfterFailedRead` (UDP).
   */
  readMessage(message: Uint8Array): Uint8Array {
    checkBytes('message', message);
    if (this.#hs) {
      const out = this.#hs.readMessage(message);
      this.#count++;
      return out;
    }
    const { mode, body } = readType(message, ['XX', 'IK']);
    const hs = new HandshakeState(handshakeOptions(this.#options, mode, false));
    let out: Uint8Array;
    try {
      out = hs.readMessage(body);
    } catch (err) {
      if (mode !== 'IK' || !isNoiseError(err, 'ERR_NOISE_DECRYPT')) {
        hs.destroy();
        throw err;
      }
      let fb: HandshakeState;
      try {
        fb = hs.fallback({ failedMessage: body });
      } finally {
        hs.destroy();
      }
      this.#hs = fb;
      this.#mode = 'XXfallback';
      this.#count++;
      return EMPTY;
    }
    if (mode === 'XX' && out.length > 0) {
      hs.destroy();
      throw new NoiseError('ERR_NOISE_MALFORMED_MESSAGE', 'an XX message 1 payload would be unauthenticated plaintext; Noise Pipes requires it empty');
    }
    this.#hs = hs;
    this.#mode = mode;
    this.#earlyData = mode === 'IK';
    this.#count++;
    return out;
  }

  /** Writes the next handshake message; message 2 gets the negotiation byte of this pipe's mode. */
  writeMessage(payload: Uint8Array = EMPTY): Uint8Array {
    if (!this.#hs || !this.#mode) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'cannot write before reading message 1');
    const msg = this.#hs.writeMessage(payload);
    const out = this.#count === 1 ? withType(this.#mode, msg) : msg;
    this.#count++;
    return out;
  }

  /** The transport state (once finished). */
  split(): TransportState {
    if (!this.#hs) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'the handshake is not finished');
    return this.#hs.split();
  }

  /** Wipes every secret. */
  destroy(): void {
    this.#hs?.destroy();
  }
}
