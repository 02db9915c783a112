/**
 * A framed TCP client and server driven by noise-c (wasm), for interop over a real socket
 * (issue #4). Independent of src/net: its own framing, its own handshake loop.
 *
 * Wire format (Noise spec section 13): every Noise message, handshake or transport, is preceded
 * by its length as a 16-bit big-endian integer; nothing else is on the wire. A transport message
 * whose plaintext is empty is the authenticated end of stream; a TCP close without it is a
 * truncation.
 *
 * Handshake payloads sent by this peer are empty (the noisekit library's default); the payloads
 * received are kept. Everything is on loopback and bounded in time by the callers.
 */
import net from 'node:net';
import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { NoiseC, NoiseCHandshake, NoiseCTransport } from './noise-c.js';

/** Largest plaintext per transport message: 65535 - 16 (tag). */
export const MAX_PLAINTEXT = 65535 - 16;

/** The noise-c side of one connection. */
export interface NoiseCPeerOptions {
  lib: NoiseC;
  protocol: string;
  prologue?: Uint8Array;
  /** Local static PRIVATE key (noise-c derives the public one). */
  staticPrivateKey?: Uint8Array;
  /** Remote static public key, for patterns with it in a pre-message. */
  remoteStaticKey?: Uint8Array;
  psk?: Uint8Array;
}

/** Encodes one message as a frame. */
export function frame(message: Uint8Array): Buffer {
  if (message.length > 0xffff) throw new Error(`message of ${message.length} bytes does not fit a 16-bit length`);
  const out = Buffer.alloc(2 + message.length);
  out.writeUInt16BE(message.length, 0);
  out.set(message, 2);
  return out;
}

/**
 * One noise-c connection over a TCP socket. Events: 'secure' (handshake done), 'data'
 * (Uint8Array plaintext), 'end' (authenticated end of stream received), 'error', 'close'.
 */
export class NoiseCConnection extends EventEmitter {
  readonly socket: net.Socket;
  readonly initiator: boolean;
  /** Handshake hash and remote static key, once the handshake is done. */
  handshakeHash?: Uint8Array;
  remoteStaticKey?: Uint8Array;
  /** Handshake payloads received, in order. */
  readonly remotePayloads: Uint8Array[] = [];
  /** Every plaintext byte received (concatenated). */
  received: Buffer = Buffer.alloc(0);
  /** True once the peer's authenticated end of stream arrived. */
  remoteEnded = false;
  /** The first failure, if any. */
  error?: Error;

  #hs: NoiseCHandshake | undefined;
  #transport: NoiseCTransport | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #ended = false;

  constructor(socket: net.Socket, options: NoiseCPeerOptions & { initiator: boolean }) {
    super();
    this.socket = socket;
    this.initiator = options.initiator;
    this.#hs = options.lib.handshake({
      protocol: options.protocol,
      initiator: options.initiator,
      prologue: options.prologue,
      staticPrivateKey: options.staticPrivateKey,
      remoteStaticKey: options.remoteStaticKey,
      psk: options.psk,
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (e) => this.#fail(e));
    socket.on('end', () => {
      // TCP FIN: fine only after the authenticated end of stream (a frame may still be buffered).
      if (!this.remoteEnded && !this.error) this.#fail(new Error(this.#transport ? 'truncated: the peer closed without the authenticated end of stream' : 'the connection closed during the handshake'));
    });
    socket.on('close', () => {
      if (!this.remoteEnded && !this.error) {
        this.#fail(new Error(this.#transport ? 'truncated: the peer closed without the authenticated end of stream' : 'the connection closed during the handshake'));
      }
      this.#free();
      this.emit('close');
    });
  }

  /** Starts the handshake (the initiator writes its first message). */
  start(): void {
    this.#drive();
  }

  /** Sends application data in transport messages of at most 65519 bytes. */
  send(data: Uint8Array): void {
    const t = this.#transport;
    if (!t) throw new Error('send before the handshake finished');
    if (this.#ended) throw new Error('send after end');
    for (let off = 0; off < data.length; off += MAX_PLAINTEXT) {
      this.socket.write(frame(t.encrypt(data.subarray(off, Math.min(data.length, off + MAX_PLAINTEXT)))));
    }
  }

  /** Sends the authenticated end of stream (an empty transport message), then ends TCP. */
  end(): void {
    const t = this.#transport;
    if (!t) throw new Error('end before the handshake finished');
    if (this.#ended) return;
    this.#ended = true;
    this.socket.end(frame(t.encrypt(new Uint8Array(0))));
  }

  /** Closes at once and frees the noise-c state. */
  destroy(): void {
    this.socket.destroy();
    this.#free();
  }

  #free(): void {
    this.#hs?.free();
    this.#hs = undefined;
    this.#transport?.free();
    this.#transport = undefined;
  }

  #fail(e: Error): void {
    if (this.error) return;
    this.error = e;
    this.socket.destroy();
    this.#free();
    this.emit('error', e);
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    try {
      while (this.#buffer.length >= 2) {
        const len = this.#buffer.readUInt16BE(0);
        if (this.#buffer.length < 2 + len) break;
        const msg = Uint8Array.from(this.#buffer.subarray(2, 2 + len));
        this.#buffer = this.#buffer.subarray(2 + len);
        this.#onMessage(msg);
        if (this.error) return;
      }
    } catch (e) {
      this.#fail(e as Error);
    }
  }

  #onMessage(msg: Uint8Array): void {
    if (this.#hs) {
      if (this.#hs.action !== 'read') throw new Error(`unexpected handshake message (noise-c action ${this.#hs.action})`);
      this.remotePayloads.push(this.#hs.readMessage(msg));
      this.#drive();
      return;
    }
    const t = this.#transport;
    if (!t) throw new Error('message after close');
    if (this.remoteEnded) throw new Error('data after the authenticated end of stream');
    const pt = t.decrypt(msg);
    if (pt.length === 0) {
      this.remoteEnded = true;
      this.emit('end');
      return;
    }
    this.received = Buffer.concat([this.received, pt]);
    this.emit('data', pt);
  }

  /** Writes while it is our turn; splits when the handshake is done. */
  #drive(): void {
    const hs = this.#hs;
    if (!hs) return;
    for (;;) {
      const a = hs.action;
      if (a === 'write') {
        this.socket.write(frame(hs.writeMessage()));
      } else if (a === 'split') {
        this.remoteStaticKey = hs.remoteStaticKey;
        this.#transport = hs.split();
        this.handshakeHash = this.#transport.handshakeHash;
        this.#hs = undefined;
        this.emit('secure');
        return;
      } else if (a === 'read') {
        return;
      } else {
        throw new Error(`noise-c handshake action ${a}`);
      }
    }
  }
}

/** Result of a client run: what came back and how the connection ended. */
export interface NoiseCClientResult {
  received: Buffer;
  remoteEnded: boolean;
  error?: Error;
  handshakeHash?: Uint8Array;
  remoteStaticKey?: Uint8Array;
  remotePayloads: Uint8Array[];
}

/**
 * noise-c as a TCP client: connects, runs the handshake, sends `data` then the authenticated end
 * of stream, and collects everything until the connection closes. Never rejects for protocol
 * failures (they are in `error`); rejects only on timeout, after destroying the socket.
 */
export function noiseCClient(port: number, host: string, options: NoiseCPeerOptions & { data: Uint8Array; timeoutMs?: number }): Promise<NoiseCClientResult> {
  const socket = net.connect({ port, host, allowHalfOpen: true });
  const conn = new NoiseCConnection(socket, { ...options, initiator: true });
  conn.on('error', () => {}); // kept in conn.error
  socket.once('connect', () => conn.start());
  conn.once('secure', () => {
    conn.send(options.data);
    conn.end();
  });
  conn.on('end', () => {
    // both ends exchanged: close our side for good
    if (socket.writableEnded) socket.destroy();
  });
  return withTimeout(
    new Promise<NoiseCClientResult>((resolve) => {
      conn.once('close', () =>
        resolve({
          received: conn.received,
          remoteEnded: conn.remoteEnded,
          error: conn.error,
          handshakeHash: conn.handshakeHash,
          remoteStaticKey: conn.remoteStaticKey,
          remotePayloads: conn.remotePayloads,
        }),
      );
    }),
    options.timeoutMs ?? 10_000,
    'noise-c client',
    () => conn.destroy(),
  );
}

/** A noise-c TCP server on loopback that echoes everything and ends when its peer ends. */
export interface NoiseCServer {
  port: number;
  /** Connections accepted so far (inspect after the client finished). */
  connections: NoiseCConnection[];
  /** Resolves when the next connection closes (or has closed). */
  closed(index: number): Promise<NoiseCConnection>;
  close(): Promise<void>;
}

/** Starts an echo server driven by noise-c on 127.0.0.1 (ephemeral port). */
export async function noiseCEchoServer(options: NoiseCPeerOptions): Promise<NoiseCServer> {
  const connections: NoiseCConnection[] = [];
  const closedPromises: Promise<NoiseCConnection>[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    let conn: NoiseCConnection;
    try {
      conn = new NoiseCConnection(socket, { ...options, initiator: false });
    } catch {
      socket.destroy();
      return;
    }
    connections.push(conn);
    closedPromises.push(new Promise((resolve) => conn.once('close', () => resolve(conn))));
    conn.on('error', () => {}); // kept in conn.error
    conn.on('data', (d: Uint8Array) => conn.send(d));
    conn.on('end', () => conn.end());
    conn.start();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    closed: async (index: number) => {
      for (let i = 0; i < 100 && !closedPromises[index]; i++) await new Promise((r) => setTimeout(r, 20));
      const p = closedPromises[index];
      if (!p) throw new Error(`no connection #${index} reached the noise-c server`);
      return withTimeout(p, 10_000, `noise-c server connection #${index}`, () => connections[index]?.destroy());
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Rejects after `ms` (calling `onTimeout` first) unless `p` settles. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout?.();
        reject(new Error(`timed out after ${ms} ms: ${what}`));
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
