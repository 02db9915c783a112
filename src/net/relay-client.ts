/**
 * Client side of the relay rendezvous (docs/relay.md, bytes in relay-protocol.ts):
 *
 * - relayConnect(): a client asks the relay for a service by name and gets the raw spliced
 *   stream, on which the normal Noise initiator runs: `connect({ socket, ... })`.
 * - relayListen(): a service behind NAT keeps `pool` connections waiting at the relay; each
 *   spliced one is handed over (normally to `server.handle(raw)`, the Noise responder) and
 *   replaced at once.
 * - connectVia() / serveVia(): the two combined with connect() and createServer().
 *
 * The relay is untrusted: authenticate the service by its static key (a pattern with the
 * responder's key as pre-message, such as NK, KK or IK, or `verifyRemote`).
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { NoiseError } from '../errors.js';
import { connect, type ConnectOptions } from './connect.js';
import { createServer, type NoiseServer, type NoiseServerOptions } from './server.js';
import type { NoiseSocket } from './noise-socket.js';
import { checkServiceName, describeRelayStatus, encodeRelayRequest, parseHostPort, RELAY_STATUS } from './relay-protocol.js';
import { asNoiseError } from './stream-error.js';

/** Where the relay is: `host:port` or `{ host, port }`. */
export type RelayAddress = string | { host: string; port: number };

function relayAddress(a: RelayAddress): { host: string; port: number } {
  if (typeof a === 'string') return parseHostPort(a);
  if (!a || typeof a !== 'object' || typeof a.host !== 'string' || !Number.isInteger(a.port) || a.port < 0 || a.port > 65535) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'relay must be "host:port" or { host, port }');
  }
  return a;
}

/**
 * Opens a connection to the relay, sends `request` and waits for the 1-byte reply. Resolves with
 * the socket once SPLICED (any bytes after the reply still buffered for the next reader); rejects with
 * ERR_NOISE_RELAY for a refusal or a close, ERR_NOISE_SOCKET for a connection error.
 * `onOpen` gets the socket as soon as it exists (for cancellation).
 */
function rendezvous(addr: { host: string; port: number }, request: Uint8Array, timeout: number | undefined, onOpen?: (s: net.Socket) => void): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: addr.host, port: addr.port, allowHalfOpen: true });
    socket.setNoDelay(true);
    onOpen?.(socket);
    let timer: NodeJS.Timeout | undefined;
    const fail = (err: NoiseError): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    // 'readable' + read(1) takes exactly the reply byte and leaves everything after it buffered;
    // once this listener is removed the stream is neither paused nor flowing, so the first
    // 'data' listener (the Noise socket's) receives those bytes.
    const onReadable = (): void => {
      const b = socket.read(1) as Buffer | null;
      if (b === null) return;
      const status = b[0]!;
      if (status !== RELAY_STATUS.SPLICED) {
        fail(new NoiseError('ERR_NOISE_RELAY', `relay ${addr.host}:${addr.port}: ${describeRelayStatus(status)}`));
        return;
      }
      cleanup();
      socket.on('error', ignore); // the Noise socket put on top reports errors; never crash before it attaches
      resolve(socket);
    };
    const onError = (err: Error): void => fail(new NoiseError('ERR_NOISE_SOCKET', `relay ${addr.host}:${addr.port}: ${err.message}`, { cause: err }));
    const onClose = (): void => fail(new NoiseError('ERR_NOISE_RELAY', `relay ${addr.host}:${addr.port} closed the connection before splicing`));
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('error', onError);
      socket.off('end', onClose);
      socket.off('close', onClose);
    };
    socket.on('readable', onReadable);
    socket.on('error', onError);
    socket.on('end', onClose);
    socket.on('close', onClose);
    if (timeout) timer = setTimeout(() => fail(new NoiseError('ERR_NOISE_RELAY', `relay ${addr.host}:${addr.port}: no reply within ${timeout} ms`)), timeout);
    socket.write(request);
  });
}

/** Options of relayConnect(). */
export interface RelayConnectOptions {
  /** The relay, `host:port` or `{ host, port }`. */
  relay: RelayAddress;
  /** The service name registered at the relay. */
  service: string;
  /** Milliseconds to wait for the relay's reply (default 10 000; 0 = none). */
  timeout?: number;
}

/**
 * Asks the relay for `service` and resolves with the raw spliced stream (a net.Socket);
 * run the Noise initiator on it with `connect({ socket, ... })`. Rejects with ERR_NOISE_RELAY
 * when the relay refuses (no such service) or closes, ERR_NOISE_SOCKET when it is unreachable.
 */
export async function relayConnect(options: RelayConnectOptions): Promise<net.Socket> {
  if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
  const addr = relayAddress(options.relay);
  const request = encodeRelayRequest('connect', checkServiceName(options.service));
  return rendezvous(addr, request, options.timeout ?? 10_000);
}

/** Options of relayListen(). */
export interface RelayListenOptions {
  /** The relay, `host:port` or `{ host, port }`. */
  relay: RelayAddress;
  /** The name to offer connections under. */
  service: string;
  /** Connections kept waiting at the relay (default 2, at most 16). */
  pool?: number;
  /** Milliseconds before reconnecting after the relay refused or was unreachable (default 1 000). */
  retryDelay?: number;
}

/**
 * A service's presence at a relay. Events: 'connection' (raw spliced socket), 'error' (a
 * NoiseError about the relay; the listener keeps retrying), 'close'.
 */
export class RelayListener extends EventEmitter {
  readonly #addr: { host: string; port: number };
  readonly #request: Uint8Array;
  readonly #pool: number;
  readonly #retryDelay: number;
  readonly #waiting = new Set<net.Socket>();
  /** Those of #waiting whose TCP connection to the relay is established (the request is on its way). */
  readonly #connected = new Set<net.Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #opening = 0;
  #closed = false;

  constructor(options: RelayListenOptions) {
    super();
    if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
    this.#addr = relayAddress(options.relay);
    this.#request = encodeRelayRequest('listen', checkServiceName(options.service));
    const pool = options.pool ?? 2;
    if (!Number.isInteger(pool) || pool < 1 || pool > 16) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'pool must be an integer in [1, 16]');
    this.#pool = pool;
    const retry = options.retryDelay ?? 1_000;
    if (!Number.isInteger(retry) || retry < 1) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'retryDelay must be a positive integer');
    this.#retryDelay = retry;
  }

  /** Connections waiting at the relay now. */
  get waiting(): number {
    return this.#connected.size;
  }

  /** Opens the pool (called by relayListen). */
  start(): this {
    for (let i = 0; i < this.#pool; i++) this.#open();
    return this;
  }

  /** Stops offering connections; already spliced ones are not touched. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const s of this.#waiting) s.destroy();
    this.#waiting.clear();
    this.#connected.clear();
    this.emit('close');
  }

  #open(): void {
    if (this.#closed || this.#waiting.size + this.#opening >= this.#pool) return;
    this.#opening++;
    let sock: net.Socket | undefined;
    rendezvous(this.#addr, this.#request, 0, (s) => {
      sock = s;
      this.#waiting.add(s);
      this.#opening--;
      s.once('connect', () => {
        if (this.#waiting.has(s)) this.#connected.add(s);
      });
    }).then(
      (raw) => {
        this.#waiting.delete(raw);
        this.#connected.delete(raw);
        if (this.#closed) {
          raw.destroy();
          return;
        }
        this.#open();
        this.emit('connection', raw);
      },
      (err: NoiseError) => {
        if (sock) {
          this.#waiting.delete(sock);
          this.#connected.delete(sock);
        }
        if (this.#closed) return;
        if (this.listenerCount('error') > 0) this.emit('error', err);
        const t = setTimeout(() => {
          this.#timers.delete(t);
          this.#open();
        }, this.#retryDelay);
        this.#timers.add(t);
      },
    );
  }
}

/** Keeps `pool` connections waiting at the relay under `service`; `onConnection` gets each spliced one. */
export function relayListen(options: RelayListenOptions, onConnection?: (raw: net.Socket) => void): RelayListener {
  const l = new RelayListener(options);
  if (onConnection) l.on('connection', onConnection);
  return l.start();
}

/**
 * The spliced stream as a Duplex that exists at once (before the rendezvous is done): writes are
 * held until the relay has spliced, then everything is passed through. A refusal destroys it
 * with ERR_NOISE_RELAY. Lets the synchronous connect() run over a relay:
 * `connect({ ...noiseOptions, socket: relayStream({ relay, service }) })`.
 */
export function relayStream(options: RelayConnectOptions): Duplex {
  return new RelayStream(options);
}

class RelayStream extends Duplex {
  #socket: net.Socket | undefined;
  #pendingWrite: (() => void) | undefined;
  #wantRead = false;

  constructor(options: RelayConnectOptions) {
    // Bad arguments throw here, typed, rather than surfacing later as a failed stream.
    if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
    relayAddress(options.relay);
    checkServiceName(options.service);
    super({ allowHalfOpen: true });
    relayConnect(options).then(
      (socket) => {
        if (this.destroyed) {
          socket.destroy();
          return;
        }
        this.#socket = socket;
        socket.on('data', (d: Buffer) => {
          if (!this.push(d)) socket.pause();
        });
        socket.on('end', () => this.push(null));
        socket.on('error', (err) => this.destroy(new NoiseError('ERR_NOISE_SOCKET', `relayed connection: ${err.message}`, { cause: err })));
        socket.on('close', () => this.push(null)); // a close without 'end' still ends our readable side
        if (!this.#wantRead) socket.pause();
        const w = this.#pendingWrite;
        this.#pendingWrite = undefined;
        w?.();
      },
      (err: Error) => this.destroy(err),
    );
  }

  override _read(): void {
    this.#wantRead = true;
    this.#socket?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const go = (): void => {
      this.#socket!.write(chunk, (err) => cb(err ?? null));
    };
    if (this.#socket) go();
    else this.#pendingWrite = go;
  }

  override _final(cb: (err?: Error | null) => void): void {
    const go = (): void => {
      this.#socket!.end(() => cb());
    };
    if (this.#socket) go();
    else this.#pendingWrite = go;
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#socket?.destroy();
    cb(err);
  }
}

/** Options of connectVia(): connect()'s Noise options plus the relay and the service name. */
export type ConnectViaOptions = Omit<ConnectOptions, 'socket' | 'host' | 'port'> & {
  /** The relay, `host:port` or `{ host, port }`. */
  via: RelayAddress;
  /** The service name at the relay. */
  service: string;
  /** Milliseconds to wait for the relay's reply (default 10 000). */
  relayTimeout?: number;
};

/**
 * Connects to `service` through the relay `via` and runs the Noise initiator end to end over
 * the spliced stream. Resolves with the NoiseSocket once the rendezvous is done (the handshake
 * then runs as with connect(): wait for 'secureConnect').
 */
export async function connectVia(options: ConnectViaOptions): Promise<NoiseSocket> {
  if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
  const { via, service, relayTimeout, ...noise } = options;
  const raw = await relayConnect({ relay: via, service, timeout: relayTimeout });
  try {
    return connect({ ...(noise as ConnectOptions), socket: raw } as ConnectOptions);
  } catch (err) {
    raw.destroy();
    throw err;
  }
}

/** Options of serveVia(): createServer()'s options plus the relay, the name and the pool. */
export type ServeViaOptions = NoiseServerOptions & Omit<RelayListenOptions, 'relay'> & {
  /** The relay, `host:port` or `{ host, port }`. */
  via: RelayAddress;
};

/**
 * Serves through a relay: a NoiseServer (never listening on a port) runs the responder on each
 * spliced connection via `server.handle(raw)`. Returns both; close the listener, then the server.
 */
export function serveVia(options: ServeViaOptions, onSecureConnection?: (s: NoiseSocket) => void): { server: NoiseServer; listener: RelayListener } {
  if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
  const { via, service, pool, retryDelay, ...serverOptions } = options;
  const server = createServer(serverOptions as NoiseServerOptions, onSecureConnection);
  const listener = relayListen({ relay: via, service, pool, retryDelay }, (raw) => {
    try {
      server.handle(raw);
    } catch (err) {
      raw.destroy();
      server.emit('connectionError', asNoiseError(err), { secure: false });
    }
  });
  return { server, listener };
}

function ignore(): void {}
