/**
 * The client (Alice) of a Noise Pipe (spec section 10.4): `IK` with zero-RTT data when the
 * server's static key is cached, `XX` otherwise; if the server answers an `IK` attempt with
 * `XXfallback` (section 10.2), Alice continues as its responder, reusing her ephemeral.
 *
 * Message oriented and transport agnostic: writeMessage/readMessage return and take whole
 * handshake messages including the negotiation byte of negotiation.ts.
 */
import { HandshakeState, type HandshakeAction } from '../engine/handshake-state.js';
import type { TransportState } from '../engine/transport-state.js';
import { NoiseError } from '../errors.js';
import { checkBytes, EMPTY } from '../bytes.js';
import { readType, withType, type PipesMode } from './negotiation.js';
import { handshakeOptions, type PipesOptions } from './options.js';

/** Options for the client end of a Noise Pipe. */
export interface PipesInitiatorOptions extends PipesOptions {
  /** The server's cached static public key: present → `IK` (zero-RTT), absent → `XX`. */
  remoteStaticKey?: Uint8Array;
}

/** The client (Alice) of a Noise Pipe. */
export class PipesInitiator {
  #hs: HandshakeState;
  #mode: PipesMode;
  #count = 0;
  readonly #attempted: PipesMode;
  readonly #retryAfterFailedRead: boolean;
  /** The error code of message 2 when it failed to read (section 5.3): the pipe is then done. */
  #failed: string | undefined;

  /** Starts an `IK` attempt when `remoteStaticKey` is given, an `XX` handshake otherwise. */
  constructor(options: PipesInitiatorOptions) {
    if (typeof options !== 'object' || options === null) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
    this.#mode = this.#attempted = options?.remoteStaticKey !== undefined ? 'IK' : 'XX';
    this.#retryAfterFailedRead = options.retryAfterFailedRead === true;
    this.#hs = new HandshakeState(handshakeOptions(options, this.#mode, true, options.remoteStaticKey));
  }

  /** The pattern in use: `XX`, `IK`, or `XXfallback` once the server switched. */
  get mode(): PipesMode {
    return this.#mode;
  }

  /** The pattern of the first message: `IK` or `XX`. */
  get attempted(): PipesMode {
    return this.#attempted;
  }

  /** True once the server switched to `XXfallback` (it could not decrypt our `IK` message). */
  get fellBack(): boolean {
    return this.#mode === 'XXfallback';
  }

  /** True when the zero-RTT payload of the `IK` message was accepted (the server answered `IK`). */
  get earlyDataAccepted(): boolean {
    return this.#mode === 'IK' && this.#count >= 2;
  }

  /** The current protocol name. */
  get protocol(): string {
    return this.#hs.protocol.name;
  }

  /** What to do next. */
  get action(): HandshakeAction {
    return this.#failed ? 'done' : this.#hs.action;
  }

  /** True while a handshake message from the peer is still to be read (see HandshakeState). */
  get readsRemain(): boolean {
    return !this.#failed && this.#hs.readsRemain;
  }

  /** True once the handshake is complete. */
  get isFinished(): boolean {
    return this.#hs.isFinished;
  }

  /** The handshake hash (section 11.2). */
  get handshakeHash(): Uint8Array {
    return this.#hs.handshakeHash;
  }

  /** The server's static key: the cached one for `IK`, the one it sent for `XX`/`XXfallback`. */
  get remoteStaticKey(): Uint8Array | undefined {
    return this.#hs.remoteStaticKey;
  }

  /**
   * Writes the next handshake message. Message 1 gets its negotiation byte; in `IK` its payload
   * is zero-RTT data (encrypted, but replayable by an attacker: see docs/pipes.md). An `XX`
   * message 1 would carry its payload in clear, so it must be empty.
   */
  writeMessage(payload: Uint8Array = EMPTY): Uint8Array {
    checkBytes('payload', payload);
    this.#checkAlive('write a message');
    if (this.#count === 0) {
      if (this.#mode === 'XX' && payload.length > 0) {
        throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'XX message 1 is not encrypted; send data after the handshake (or cache the server key for IK)');
      }
      const out = withType(this.#mode, this.#hs.writeMessage(payload));
      this.#count++;
      return out;
    }
    const out = this.#hs.writeMessage(payload);
    this.#count++;
    return out;
  }

  /**
   * Reads the next handshake message. Message 2 starts with the server's negotiation byte;
   * `XXfallback` switches this pipe to the fallback state. A message that fails to read ends the
   * handshake as in HandshakeState, unless the pipe was made with `retryAfterFailedRead` (UDP).
   */
  readMessage(message: Uint8Array): Uint8Array {
    checkBytes('message', message);
    this.#checkAlive('read a message');
    if (this.#count !== 1) {
      const out = this.#hs.readMessage(message);
      this.#count++;
      return out;
    }
    if (this.#hs.action !== 'read') throw new NoiseError('ERR_NOISE_INVALID_STATE', `cannot read now (next action: ${this.#hs.action})`);
    try {
      return this.#readSecond(message);
    } catch (err) {
      // As in HandshakeState, a message longer than any Noise message is refused like a wrong
      // argument, before it is read: it does not end the handshake.
      if (!this.#retryAfterFailedRead && !(err instanceof NoiseError && err.code === 'ERR_NOISE_MESSAGE_TOO_LONG')) {
        this.#failed = err instanceof NoiseError ? err.code : 'ERR_NOISE_DECRYPT';
        this.#hs.destroy();
      }
      throw err;
    }
  }

  /** Message 2: its negotiation byte says whether the server answered `IK`/`XX` or switched to `XXfallback`. */
  #readSecond(message: Uint8Array): Uint8Array {
    const { mode, body } = readType(message, this.#attempted === 'IK' ? ['IK', 'XXfallback'] : ['XX']);
    if (mode !== 'XXfallback') {
      const out = this.#hs.readMessage(body);
      this.#count++;
      return out;
    }
    const fb = this.#hs.fallback();
    let out: Uint8Array;
    try {
      out = fb.readMessage(body);
    } catch (err) {
      fb.destroy();
      throw err;
    }
    this.#hs.destroy();
    this.#hs = fb;
    this.#mode = 'XXfallback';
    this.#count++;
    return out;
  }

  /** The transport state (once finished). */
  split(): TransportState {
    this.#checkAlive('split');
    return this.#hs.split();
  }

  /** ERR_NOISE_INVALID_STATE once message 2 failed to read (as HandshakeState after a failed read). */
  #checkAlive(what: string): void {
    if (this.#failed) {
      throw new NoiseError('ERR_NOISE_INVALID_STATE', `cannot ${what}: the handshake failed at a message that did not read (${this.#failed}); section 5.3 ends it there`);
    }
  }

  /** Wipes every secret. */
  destroy(): void {
    this.#hs.destroy();
  }
}

