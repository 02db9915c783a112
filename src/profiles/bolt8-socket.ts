/**
 * BOLT #8 over a byte stream (TCP to a Lightning node, or any Duplex): the three acts with
 * exact-length reads, then Lightning messages as an object-mode Duplex: each `write(message)`
 * sends one encrypted packet (length prefix with its own tag, then the body), each 'data' is one
 * authenticated message. There is no framing of our own and no end-of-stream message: the wire
 * is exactly BOLT 8's, so this speaks to lnd, Core Lightning, LDK or eclair peers.
 *
 * Failures destroy the socket with a typed NoiseError (BOLT 8: "terminate the connection"):
 * a close in the middle of an act or a packet is ERR_NOISE_TRUNCATED; bad version, key or MAC
 * are the codes of Bolt8Handshake / Bolt8Transport. Nothing is delivered before its tag checks.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import { NoiseError, isNoiseError } from '../errors.js';
import { concat, EMPTY } from '../bytes.js';
import type { KeyPair } from '../crypto/types.js';
import type { BackendChoice } from '../crypto/resolve.js';
import { Bolt8Handshake } from './bolt8.js';
import { Bolt8Reader, BOLT8_HEADER_LENGTH, BOLT8_MAX_MESSAGE_LENGTH, type Bolt8Transport } from './bolt8-transport.js';

/** Options of a BOLT 8 connection. */
export interface Bolt8SocketOptions {
  /** This node's secp256k1 key pair. */
  staticKeyPair: KeyPair;
  /** Initiator only: the remote node id (33-byte compressed public key). */
  remoteStaticKey?: Uint8Array;
  /** Crypto backend (default `auto`). */
  backend?: BackendChoice;
  /** Milliseconds allowed for the three acts (default 10 000; 0 = no limit). */
  handshakeTimeout?: number;
}

type Callback = (err?: Error | null) => void;

/** A BOLT 8 connection: an object-mode Duplex of Lightning messages (Uint8Array). Emits 'secure'. */
export class Bolt8Socket extends Duplex {
  /** The underlying byte stream. */
  readonly rawSocket: Duplex;
  /** True for the initiator. */
  readonly initiator: boolean;
  /** The remote node id, once known (initiator: from the start; responder: after act three). */
  remoteStaticKey?: Uint8Array;
  readonly #hs: Bolt8Handshake;
  #transport: Bolt8Transport | undefined;
  #reader: Bolt8Reader | undefined;
  #buf: Uint8Array = EMPTY;
  #held: Array<{ message: Uint8Array; cb: Callback }> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(raw: Duplex, options: Bolt8SocketOptions & { initiator: boolean }) {
    if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
    const t = options.handshakeTimeout;
    // NaN, a negative number or a string must not silently mean "no timeout".
    if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 2 ** 31 - 1)) {
      throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'handshakeTimeout must be a number of milliseconds in [0, 2^31-1] (0: none)');
    }
    super({ objectMode: true, allowHalfOpen: false });
    this.rawSocket = raw;
    this.initiator = options.initiator;
    this.#hs = new Bolt8Handshake({
      initiator: options.initiator,
      staticKeyPair: options.staticKeyPair,
      remoteStaticKey: options.remoteStaticKey,
      backend: options.backend,
    });
    this.remoteStaticKey = this.#hs.remoteStaticKey;
    const timeout = options.handshakeTimeout ?? 10_000;
    if (timeout > 0) {
      this.#timer = setTimeout(() => this.destroy(new NoiseError('ERR_NOISE_HANDSHAKE_TIMEOUT', `the BOLT 8 handshake did not finish within ${timeout} ms`)), timeout);
    }
    raw.on('data', (chunk: Buffer) => this.#onData(chunk));
    raw.on('end', () => this.#onEnd());
    raw.on('error', (err) => this.destroy(isNoiseError(err) ? err : new NoiseError('ERR_NOISE_SOCKET', err.message, { cause: err })));
    raw.on('close', () => this.#onEnd());
    if (this.initiator) raw.write(this.#hs.writeAct());
  }

  /** True once the three acts are done. */
  get secure(): boolean {
    return this.#transport !== undefined;
  }

  #onData(chunk: Uint8Array): void {
    if (this.destroyed) return;
    try {
      if (!this.#reader) {
        this.#buf = concat(this.#buf, chunk);
        if (this.#buf.length > 2 * (BOLT8_HEADER_LENGTH + BOLT8_MAX_MESSAGE_LENGTH + 16)) throw new NoiseError('ERR_NOISE_PROTOCOL', 'too much data during the BOLT 8 handshake');
        while (this.#hs.action === 'read' && this.#buf.length >= this.#hs.nextActLength) {
          const n = this.#hs.nextActLength;
          this.#hs.readAct(this.#buf.subarray(0, n));
          this.#buf = this.#buf.subarray(n);
          if ((this.#hs.action as string) === 'write') this.rawSocket.write(this.#hs.writeAct());
        }
        if (!this.#hs.isFinished) return;
        this.#secure();
        chunk = this.#buf;
        this.#buf = EMPTY;
      }
      for (const m of this.#reader!.push(chunk)) if (!this.push(m)) this.rawSocket.pause();
    } catch (err) {
      this.destroy(err as Error);
    }
  }

  #secure(): void {
    clearTimeout(this.#timer);
    this.#transport = this.#hs.split();
    this.#reader = new Bolt8Reader(this.#transport);
    this.remoteStaticKey = this.#transport.remoteStaticKey;
    this.emit('secure');
    for (const { message, cb } of this.#held.splice(0)) this.#send(message, cb);
  }

  #onEnd(): void {
    if (this.destroyed) return;
    if (!this.#reader) {
      this.destroy(new NoiseError('ERR_NOISE_TRUNCATED', `the peer closed during BOLT 8 act ${this.#hs.action === 'read' ? 'reading' : 'writing'} (short read)`));
    } else if (this.#reader.buffered > 0 || this.#transport!.pendingBodyLength !== undefined) {
      this.destroy(new NoiseError('ERR_NOISE_TRUNCATED', 'the peer closed in the middle of a BOLT 8 packet'));
    } else {
      this.push(null);
    }
  }

  #send(message: Uint8Array, cb: Callback): void {
    let packet: Uint8Array;
    try {
      packet = this.#transport!.encrypt(message);
    } catch (err) {
      cb(err as Error);
      return;
    }
    this.rawSocket.write(packet, (err) => cb(err ?? null));
  }

  override _write(message: unknown, _enc: BufferEncoding, cb: Callback): void {
    if (!(message instanceof Uint8Array)) {
      cb(new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'write one Lightning message (a Uint8Array) at a time'));
      return;
    }
    if (this.#transport) this.#send(message, cb);
    else this.#held.push({ message, cb });
  }

  override _read(): void {
    this.rawSocket.resume();
  }

  override _final(cb: Callback): void {
    this.rawSocket.end(() => cb());
  }

  override _destroy(err: Error | null, cb: Callback): void {
    clearTimeout(this.#timer);
    this.#hs.destroy();
    this.#transport?.destroy();
    this.rawSocket.destroy();
    for (const h of this.#held.splice(0)) h.cb(err ?? new NoiseError('ERR_NOISE_SOCKET', 'the connection closed'));
    cb(err);
  }
}

/** Opens a BOLT 8 connection as initiator to `host:port` (or over `socket`) and sends act one. */
export function bolt8Connect(options: Bolt8SocketOptions & ({ host?: string; port: number } | { socket: Duplex })): Bolt8Socket {
  if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
  if ('socket' in options && options.socket) return new Bolt8Socket(options.socket, { ...options, initiator: true });
  const { host = 'localhost', port } = options as { host?: string; port: number };
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'port must be an integer in [0, 65535]');
  const raw = net.connect({ host, port });
  raw.setNoDelay(true);
  try {
    return new Bolt8Socket(raw, { ...options, initiator: true });
  } catch (err) {
    raw.destroy();
    throw err;
  }
}

/** Runs the BOLT 8 responder on an accepted stream (e.g. from net.createServer). */
export function bolt8Accept(raw: Duplex, options: Bolt8SocketOptions): Bolt8Socket {
  return new Bolt8Socket(raw, { ...options, initiator: false });
}
