/**
 * NoiseSocket: a Noise channel over any byte stream, as a Node Duplex (like tls.TLSSocket).
 *
 * - Framing: every handshake and transport message is a 16-bit big-endian length plus the
 *   message (spec section 13); see framing.ts.
 * - Handshake: driven generically by `HandshakeState.action` (spec section 5.3), so any
 *   interactive pattern works, deferred and psk ones included. One-way patterns (section 7.4)
 *   are refused with ERR_NOISE_ONE_WAY: a socket is two-way.
 * - Peer check: `verifyRemote` runs once every handshake message from the peer has been read,
 *   before this side sends anything more; nothing is delivered or sent before it accepts
 *   (section 14, "Authentication").
 * - Transport: application data goes in transport messages of at most 65519 plaintext bytes
 *   (section 5.2); a transport message with an EMPTY plaintext is the authenticated end of
 *   stream (section 13, "Session termination"). A close without it is ERR_NOISE_TRUNCATED.
 * - Rekey (section 11.3) by a policy both sides apply identically; channel binding through
 *   `handshakeHash` (section 11.2).
 *
 * Failures close the connection with a typed NoiseError emitted as 'error' on this side; nothing
 * is sent to the peer. Backpressure is honoured both ways and at most one raw chunk of frames
 * (plus one partial frame) is held that the application has not accepted yet.
 */
import { Duplex } from 'node:stream';
import { HandshakeState } from '../engine/handshake-state.js';
import { TransportState, MAX_PLAINTEXT_LENGTH } from '../engine/transport-state.js';
import { MAX_MESSAGE_LENGTH } from '../engine/cipher-state.js';
import { isOneWay } from '../patterns/types.js';
import { NoiseError } from '../errors.js';
import { checkBytes, copyBytes, EMPTY } from '../bytes.js';
import { FrameDecoder, writeFrame } from './framing.js';
import { RekeyPolicy } from './rekey-policy.js';
import {
  checkSocketOptions,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_IDLE_TIMEOUT,
  type NoiseSocketOptions,
} from './options.js';
import { asNoiseError, streamError, verifyRejection } from './stream-error.js';

/** What `NoiseSocket.fromTransport` needs to know about a handshake run elsewhere. */
export interface TransportInfo {
  /** The protocol name that produced the transport state. */
  protocol: string;
  /** True when this side was the initiator. */
  initiator: boolean;
  /** The peer's static public key, if the pattern had one. */
  remoteStaticKey?: Uint8Array;
  /** The final handshake hash (channel binding, section 11.2). */
  handshakeHash: Uint8Array;
  /** Handshake payloads received from the peer, in order. */
  remoteHandshakePayloads?: Uint8Array[];
}

/** Options of the NoiseSocket constructor. */
export type NoiseSocketConstructorOptions = NoiseSocketOptions & {
  /** True for the side that sends the first handshake message. */
  initiator: boolean;
  /** Like net.Socket: when false (default) the writable side ends once the peer has ended. */
  allowHalfOpen?: boolean;
};

const kFromTransport = Symbol('noisekit.fromTransport');

/** Options that act only during a handshake; fromTransport() refuses them rather than ignore them. */
const HANDSHAKE_ONLY_OPTIONS = ['staticKeyPair', 'remoteStaticKey', 'psks', 'prologue', 'handshakePayload', 'verifyRemote', 'handshakeTimeout', 'maxHandshakeMessageLength'] as const;

interface FromTransport {
  transport: TransportState;
  info: TransportInfo;
}

type Callback = (err?: Error | null) => void;

/**
 * The listeners of a NoiseSocket's own events, typed as tls.TLSSocket's are: 'secure' (the peer
 * was accepted), 'secureConnect' (on sockets from connect()). Every Duplex event as usual
 * ('error' carries a NoiseError, unless the application passed its own error to destroy()).
 */
export interface NoiseSocket {
  on(event: 'secure' | 'secureConnect', listener: () => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this; // eslint-disable-line @typescript-eslint/no-explicit-any
  once(event: 'secure' | 'secureConnect', listener: () => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A Noise-secured Duplex over any byte stream. Emits 'secure' once the peer is accepted. */
export class NoiseSocket extends Duplex {
  /** The protocol name in use. */
  readonly protocol: string;
  /** True for the initiator. */
  readonly initiator: boolean;
  /** The underlying byte stream. */
  readonly rawSocket: Duplex;
  /** The peer's static public key, once known (undefined for patterns without one). */
  remoteStaticKey?: Uint8Array;
  /** The handshake hash (channel binding, section 11.2), set when the handshake finished. */
  handshakeHash?: Uint8Array;
  /** Every handshake payload received from the peer, in order. */
  remoteHandshakePayloads: Uint8Array[] = [];

  #hs: HandshakeState | undefined;
  #transport: TransportState | undefined;
  // Views: a frame that arrives whole in one read is decrypted from that read's buffer, uncopied
  // (the raw stream hands its chunks over, as streams do; framing.ts).
  readonly #decoder = new FrameDecoder(undefined, { views: true });
  /** Frames received but not processed yet: at most one raw chunk's worth. */
  #queue: Uint8Array[] = [];
  #secure = false;
  #verifying = false;
  #remoteEnded = false;
  #rawEnded = false;
  #rawClosed = false;
  #inputDoneHandled = false;
  #readWanted = true;
  #rawPaused = false;
  /** Set when an application listener threw: the socket is closed and delivers nothing more. */
  #listenerFailed = false;
  #pendingWrite: { chunk: Uint8Array; cb: Callback } | undefined;
  #pendingFinal: Callback | undefined;
  #drainCb: Callback | undefined;
  /** Whether #rawWrite has corked the raw stream until the next tick. */
  #corked = false;
  readonly #options: Partial<NoiseSocketOptions>;
  readonly #sendPolicy: RekeyPolicy;
  readonly #recvPolicy: RekeyPolicy;
  readonly #maxHandshakeMessage: number;
  #handshakeTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;

  /**
   * Wraps `raw` and starts the handshake at once (the initiator writes its first message).
   * Invalid options throw synchronously (NoiseError); connection failures are 'error' events.
   */
  constructor(raw: Duplex, options: NoiseSocketConstructorOptions) {
    super({ allowHalfOpen: options?.allowHalfOpen ?? false, readableHighWaterMark: MAX_MESSAGE_LENGTH });
    checkSocketOptions(options);
    if (!raw || typeof (raw as Duplex).write !== 'function' || typeof (raw as Duplex).on !== 'function') {
      throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'raw must be a Duplex stream');
    }
    if (typeof options.initiator !== 'boolean') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options.initiator must be a boolean');
    this.rawSocket = raw;
    this.initiator = options.initiator;
    this.#options = options;
    this.#sendPolicy = new RekeyPolicy(options.rekey);
    this.#recvPolicy = new RekeyPolicy(options.rekey);
    this.#maxHandshakeMessage = options.maxHandshakeMessageLength ?? MAX_MESSAGE_LENGTH;

    const from = (options as { [kFromTransport]?: FromTransport })[kFromTransport];
    if (from) {
      this.protocol = from.info.protocol;
      this.#transport = from.transport;
      this.#secure = true;
      this.handshakeHash = copyBytes(from.info.handshakeHash);
      if (from.info.remoteStaticKey) this.remoteStaticKey = copyBytes(from.info.remoteStaticKey);
      this.remoteHandshakePayloads = (from.info.remoteHandshakePayloads ?? []).map((p) => copyBytes(p));
    } else {
      const hs = new HandshakeState({
        protocol: options.protocol,
        initiator: options.initiator,
        prologue: options.prologue,
        staticKeyPair: options.staticKeyPair,
        remoteStaticKey: options.remoteStaticKey,
        psks: options.psks,
        backend: options.backend,
      });
      if (isOneWay(hs.pattern)) {
        hs.destroy();
        throw new NoiseError('ERR_NOISE_ONE_WAY', `${hs.pattern.name} is a one-way pattern (spec 7.4); a NoiseSocket needs an interactive pattern`);
      }
      this.protocol = hs.protocol.name;
      this.#hs = hs;
    }

    raw.on('data', this.#onRawData);
    raw.on('end', this.#onRawEnd);
    raw.on('error', this.#onRawError);
    raw.on('close', this.#onRawClose);
    raw.on('drain', this.#onRawDrain);
    // From here on this socket alone pauses and resumes `raw` (#process): a stream handed over
    // paused (after a peek and unshift, or by the Pipes handshake) would otherwise never be read,
    // since a 'data' listener does not resume a stream paused explicitly.
    if (raw.isPaused?.()) raw.resume();
    // A stream that closed before it was handed over will never say so again: without this its
    // handshake would hold a server's handshake slot until the timeout.
    if (raw.destroyed) process.nextTick(() => this.#onRawClose());

    if (this.#secure) {
      this.#startIdleTimer();
      process.nextTick(() => {
        if (!this.destroyed) this.emit('secure');
      });
    } else {
      const ms = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
      if (ms > 0) {
        this.#handshakeTimer = setTimeout(() => this.#fail(new NoiseError('ERR_NOISE_HANDSHAKE_TIMEOUT', `the handshake did not finish within ${ms} ms`)), ms);
      }
      this.#process();
    }
  }

  /**
   * Wraps a stream whose Noise handshake was run elsewhere (compound protocols such as Noise
   * Pipes, section 10). `bufferedBytes` are bytes already read from `raw` after the handshake.
   */
  static fromTransport(
    raw: Duplex,
    transport: TransportState,
    info: TransportInfo,
    options: Partial<NoiseSocketOptions> & { allowHalfOpen?: boolean } = {},
    bufferedBytes?: Uint8Array,
  ): NoiseSocket {
    if (!(transport instanceof TransportState)) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'transport must be a TransportState');
    if (!info || typeof info.protocol !== 'string' || !(info.handshakeHash instanceof Uint8Array) || typeof info.initiator !== 'boolean') {
      throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'info must be { protocol, initiator, handshakeHash, ... }');
    }
    if (info.remoteStaticKey !== undefined) checkBytes('info.remoteStaticKey', info.remoteStaticKey);
    if (info.remoteHandshakePayloads !== undefined && !(Array.isArray(info.remoteHandshakePayloads) && info.remoteHandshakePayloads.every((p) => p instanceof Uint8Array))) {
      throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'info.remoteHandshakePayloads must be an array of Uint8Array');
    }
    // The handshake is over: options that only act during one would be silently ignored.
    const handshakeOnly = HANDSHAKE_ONLY_OPTIONS.filter((k) => options && (options as Record<string, unknown>)[k] !== undefined);
    if (handshakeOnly.length > 0) {
      throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `fromTransport wraps a finished handshake; ${handshakeOnly.join(', ')} would have no effect (verify the peer before calling it)`);
    }
    const sock = new NoiseSocket(raw, {
      ...options,
      protocol: info.protocol,
      initiator: info.initiator,
      [kFromTransport]: { transport, info },
    } as NoiseSocketConstructorOptions);
    if (bufferedBytes && bufferedBytes.length > 0) sock.#onRawData(bufferedBytes);
    return sock;
  }

  /** True once the handshake finished and the peer was accepted. */
  get secure(): boolean {
    return this.#secure;
  }

  /** The peer's address, when the raw stream is a net.Socket. */
  get remoteAddress(): string | undefined {
    return (this.rawSocket as { remoteAddress?: string }).remoteAddress;
  }

  /** The peer's port, when the raw stream is a net.Socket. */
  get remotePort(): number | undefined {
    return (this.rawSocket as { remotePort?: number }).remotePort;
  }

  // ---- raw stream events -------------------------------------------------------------------

  #onRawData = (chunk: Uint8Array): void => {
    if (this.destroyed) return;
    this.#idleTimer?.refresh();
    let frames: Uint8Array[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (err) {
      this.#fail(err);
      return;
    }
    for (const f of frames) this.#queue.push(f);
    this.#process();
  };

  #onRawEnd = (): void => {
    // Frames may still be queued (verification running, or the reader is slow): decide once they are processed.
    this.#rawEnded = true;
    if (!this.destroyed) this.#process();
  };

  #onRawError = (err: Error): void => {
    if (this.destroyed) return;
    if (this.#remoteEnded && this.writableFinished) {
      // Both ends of stream were exchanged: nothing is lost, so a late reset is just a close.
      this.#onRawClose();
      return;
    }
    this.#fail(streamError(err, this.#remoteEnded));
  };

  #onRawClose = (): void => {
    this.#rawEnded = true;
    this.#rawClosed = true;
    if (!this.destroyed) this.#process();
  };

  /** Called when every frame received has been processed and the raw stream has ended. */
  #onInputDone(): void {
    if (this.#remoteEnded && !this.#decoder.atBoundary) {
      this.#fail(new NoiseError('ERR_NOISE_PROTOCOL', 'the peer sent a partial frame after its end of stream'));
      return;
    }
    if (this.#remoteEnded) {
      if (!this.#rawClosed) return; // the raw stream closes once our side has ended too
      // The peer ended cleanly; let the application read what is buffered, then close.
      if (this.readableEnded) this.destroy();
      // After every 'end' listener, so that one which throws still closes with ERR_NOISE_SOCKET.
      else this.once('end', () => process.nextTick(() => this.destroy()));
      return;
    }
    this.#fail(
      new NoiseError(
        'ERR_NOISE_TRUNCATED',
        this.#secure ? 'the peer closed the connection without the authenticated end of stream' : 'the connection closed during the handshake',
      ),
    );
  }

  #onRawDrain = (): void => {
    const cb = this.#drainCb;
    this.#drainCb = undefined;
    cb?.();
  };

  // ---- processing -----------------------------------------------------------------------

  /** Runs the handshake and/or delivers transport messages as far as currently possible. */
  #process(): void {
    try {
      if (this.#hs) this.#driveHandshake();
      if (this.#secure) this.#deliver();
    } catch (err) {
      this.#fail(err);
      return;
    }
    if (this.destroyed) return;
    if (this.#rawEnded && this.#queue.length === 0 && !this.#verifying && !this.#inputDoneHandled) {
      this.#inputDoneHandled = !this.#remoteEnded || this.#rawClosed;
      this.#onInputDone();
      return;
    }
    const hold = this.#queue.length > 0 || this.#verifying || (this.#secure && !this.#readWanted);
    if (hold && !this.#rawPaused) {
      this.#rawPaused = true;
      this.rawSocket.pause();
    } else if (!hold && this.#rawPaused) {
      this.#rawPaused = false;
      this.rawSocket.resume();
    }
  }

  /** Section 5.3: write when it is our turn, read queued frames when it is theirs. */
  #driveHandshake(): void {
    const hs = this.#hs!;
    // While verifyRemote runs, nothing moves: no message written, read or split (section 14).
    while (!this.destroyed && this.#hs && !this.#verifying) {
      const action = hs.action;
      if (action === 'write') {
        const index = hs.messageIndex;
        const message = hs.writeMessage(this.#payloadFor(index));
        this.#rawWrite(message);
      } else if (action === 'read') {
        const frame = this.#queue.shift();
        if (!frame) return;
        if (frame.length > this.#maxHandshakeMessage) {
          throw new NoiseError('ERR_NOISE_MESSAGE_TOO_LONG', `handshake message of ${frame.length} bytes (max ${this.#maxHandshakeMessage})`);
        }
        const payload = hs.readMessage(frame);
        this.remoteHandshakePayloads.push(payload);
        if (!hs.readsRemain) {
          this.remoteStaticKey = hs.remoteStaticKey;
          if (!this.#startVerify()) return;
        }
      } else {
        this.#finishHandshake(hs);
        return;
      }
    }
  }

  /** The payload for the handshake message at `index` that this side writes. */
  #payloadFor(index: number): Uint8Array {
    const p = this.#options.handshakePayload;
    if (p === undefined) return EMPTY;
    if (typeof p === 'function') {
      const out = p(index);
      if (out === undefined) return EMPTY;
      if (!(out instanceof Uint8Array)) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'handshakePayload() must return a Uint8Array or undefined');
      return out;
    }
    // A fixed payload goes in the last message this side writes.
    const hs = this.#hs!;
    const messages = hs.pattern.messages;
    const first = messages[0]!.direction;
    for (let i = index + 1; i < messages.length; i++) {
      if ((messages[i]!.direction === first) === this.initiator) return EMPTY;
    }
    return p;
  }

  /**
   * Runs verifyRemote. Returns true when the handshake may go on at once; false when it waits
   * for an asynchronous answer (raw reading is paused meanwhile) or failed.
   */
  #startVerify(): boolean {
    const verify = this.#options.verifyRemote;
    if (!verify) return true;
    const key = this.remoteStaticKey && copyBytes(this.remoteStaticKey);
    const payloads = this.remoteHandshakePayloads.map((p) => copyBytes(p));
    let result: boolean | Promise<boolean>;
    try {
      result = verify(key, payloads);
    } catch (err) {
      throw verifyRejection(err);
    }
    if (result === true) return true;
    if (result && typeof (result as Promise<boolean>).then === 'function') {
      this.#verifying = true;
      Promise.resolve(result).then(
        (ok) => {
          this.#verifying = false;
          if (this.destroyed) return;
          if (ok === true) this.#process();
          else this.#fail(verifyRejection(undefined));
        },
        (err) => {
          this.#verifying = false;
          this.#fail(verifyRejection(err));
        },
      );
      return false;
    }
    throw verifyRejection(undefined);
  }

  #finishHandshake(hs: HandshakeState): void {
    const transport = hs.split();
    this.#transport = transport;
    this.handshakeHash = transport.handshakeHash;
    this.remoteStaticKey = hs.remoteStaticKey;
    hs.destroy();
    this.#hs = undefined;
    this.#secure = true;
    clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    this.#startIdleTimer();
    this.emit('secure');
    if (this.destroyed) return;
    const w = this.#pendingWrite;
    this.#pendingWrite = undefined;
    if (w) this.#sendData(w.chunk, w.cb);
    const f = this.#pendingFinal;
    this.#pendingFinal = undefined;
    if (f) this.#sendEnd(f);
  }

  /**
   * Decrypts queued frames while the application wants data. The plaintexts of one pass go to
   * the readable side as one chunk per high-water mark: a stream bounds its buffer in bytes, not
   * chunks, so a peer sending 1-byte messages would otherwise park 65,535 arrays (some 12 MiB of
   * heap) per connection whose application is not reading.
   */
  #deliver(): void {
    const t = this.#transport!;
    const batch: Uint8Array[] = [];
    let size = 0;
    const flush = (): void => {
      if (batch.length === 0) return;
      const chunk = batch.length === 1 ? batch[0]! : concatWiping(batch, size);
      batch.length = 0;
      size = 0;
      this.#readWanted = this.push(chunk);
    };
    try {
      while (this.#queue.length > 0 && this.#readWanted && !this.destroyed) {
        const frame = this.#queue.shift()!;
        if (this.#remoteEnded) throw new NoiseError('ERR_NOISE_PROTOCOL', 'the peer sent data after its end of stream');
        const plaintext = t.decrypt(frame); // ERR_NOISE_DECRYPT is fatal: TCP is ordered, so it means tampering
        if (this.#recvPolicy.record(plaintext.length)) t.rekeyRecv();
        if (plaintext.length === 0) {
          flush();
          this.#remoteEnded = true;
          this.push(null);
        } else {
          batch.push(plaintext);
          size += plaintext.length;
          if (this.readableLength + size >= this.readableHighWaterMark) flush();
        }
      }
    } finally {
      // What authenticated before a failure is delivered, as it was message by message.
      if (!this.destroyed) flush();
    }
  }

  /**
   * Writes one Noise message, framed (section 13). The raw stream stays corked until the next
   * tick, so every frame written in one tick leaves in one writev(2): a chunk's frames, a last
   * message and the authenticated end that `end(chunk)` sends after it, or the last handshake
   * message and the first transport message waiting behind it.
   */
  #rawWrite(message: Uint8Array): boolean {
    this.#idleTimer?.refresh();
    if (!this.#corked) {
      this.#corked = true;
      this.rawSocket.cork();
      process.nextTick(this.#uncork);
    }
    return writeFrame(this.rawSocket, message);
  }

  #uncork = (): void => {
    this.#corked = false;
    this.rawSocket.uncork();
  };

  /** Encrypts `chunk` into transport messages; calls back when the raw stream can take more. */
  #sendData(chunk: Uint8Array, cb: Callback): void {
    const t = this.#transport!;
    let ok = true;
    try {
      for (let off = 0; off < chunk.length; off += MAX_PLAINTEXT_LENGTH) {
        const piece = chunk.subarray(off, Math.min(chunk.length, off + MAX_PLAINTEXT_LENGTH));
        const ct = t.encrypt(piece);
        if (this.#sendPolicy.record(piece.length)) t.rekeySend();
        ok = this.#rawWrite(ct);
      }
    } catch (err) {
      cb(asNoiseError(err));
      return;
    }
    if (ok) cb();
    else this.#drainCb = cb;
  }

  /** Sends the authenticated end of stream (an empty transport message), then ends the raw stream. */
  #sendEnd(cb: Callback): void {
    const t = this.#transport!;
    try {
      const ct = t.encrypt(EMPTY);
      if (this.#sendPolicy.record(0)) t.rekeySend();
      this.#rawWrite(ct);
    } catch (err) {
      cb(asNoiseError(err));
      return;
    }
    this.rawSocket.end(() => cb());
  }

  #startIdleTimer(): void {
    const ms = this.#options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT;
    if (ms > 0) {
      this.#idleTimer = setTimeout(() => this.#fail(new NoiseError('ERR_NOISE_IDLE_TIMEOUT', `no traffic for ${ms} ms`)), ms);
    }
  }

  #fail(err: unknown): void {
    if (this.destroyed) return;
    this.destroy(asNoiseError(err));
  }

  // ---- Duplex implementation ---------------------------------------------------------------

  /**
   * The application's `'secure'`, `'data'`, `'readable'` and `'end'` listeners run inside a try/catch: an
   * exception there closes this connection with ERR_NOISE_SOCKET (the exception is the cause)
   * instead of escaping to the event loop and ending the process, server and all. #process
   * catches what is thrown while it pushes, but Node's Readable emits buffered chunks later,
   * from its own process.nextTick (the first chunk, chunks pushed before the first _read, and
   * after a pause and resume), where no caller of ours could catch it.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'data' && event !== 'readable' && event !== 'end' && event !== 'secure') return super.emit(event, ...args);
    // Node goes on emitting chunks it had buffered after a listener's exception destroyed the
    // socket: the application that failed on one chunk is not handed the next.
    if (this.#listenerFailed && event !== 'end') return false;
    try {
      return super.emit(event, ...args);
    } catch (err) {
      if (this.destroyed) {
        // Already closed (by an earlier exception, or by the peer's end): nothing to close and no
        // 'error' left to emit, and rethrowing would end the process. Reported as a warning.
        process.emitWarning(asNoiseError(err, `a NoiseSocket '${String(event)}' listener threw after the socket was closed: `));
        return true;
      }
      this.#listenerFailed = true;
      this.#fail(err);
      return true;
    }
  }

  override _read(): void {
    this.#readWanted = true;
    if (this.#secure) this.#process();
  }

  override _write(chunk: Uint8Array, _encoding: BufferEncoding, cb: Callback): void {
    if (!this.#secure) this.#pendingWrite = { chunk, cb };
    else this.#sendData(chunk, cb);
  }

  override _final(cb: Callback): void {
    if (!this.#secure) this.#pendingFinal = cb;
    else this.#sendEnd(cb);
  }

  override _destroy(err: Error | null, cb: Callback): void {
    clearTimeout(this.#handshakeTimer);
    clearTimeout(this.#idleTimer);
    this.#hs?.destroy();
    this.#hs = undefined;
    this.#transport?.destroy();
    this.#queue = [];
    const raw = this.rawSocket;
    raw.off('data', this.#onRawData);
    raw.off('end', this.#onRawEnd);
    raw.off('close', this.#onRawClose);
    raw.off('drain', this.#onRawDrain);
    // Keep an 'error' listener: a late error of the raw stream must never crash the process.
    raw.off('error', this.#onRawError);
    raw.on('error', ignore);
    raw.destroy();
    const pending = this.#pendingWrite?.cb ?? this.#drainCb;
    this.#pendingWrite = undefined;
    this.#drainCb = undefined;
    const final = this.#pendingFinal;
    this.#pendingFinal = undefined;
    if (pending || final) {
      // Made only when someone waits for it: an Error captures a stack trace, and a socket
      // that ends normally has nobody to tell.
      const e = err ?? new NoiseError('ERR_NOISE_INVALID_STATE', 'the socket was destroyed');
      pending?.(e);
      final?.(e);
    }
    cb(err);
  }
}

function ignore(): void {}

/** The arrays joined into one of `size` bytes; the pieces are zeroed (plaintexts). */
function concatWiping(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
    p.fill(0);
  }
  return out;
}


