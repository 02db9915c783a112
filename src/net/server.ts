/**
 * createServer(): the responder side of a Noise channel over TCP, like tls.createServer().
 * Each connection runs its own handshake (spec section 5.3) through a NoiseSocket; framing and
 * termination follow section 13.
 *
 * The server never crashes on a bad connection: every failure of a connection is reported as
 * 'connectionError' (err, info) with a typed NoiseError, nothing is sent to the peer, and the
 * other connections go on. At most `maxConcurrentHandshakes` handshakes run at once, and at most
 * `maxHandshakesPerAddress` of them from one remote address; excess connections are closed at
 * once and counted.
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { HandshakeState } from '../engine/handshake-state.js';
import { isOneWay } from '../patterns/types.js';
import { NoiseError } from '../errors.js';
import { NoiseSocket } from './noise-socket.js';
import { checkSocketOptions, maxHandshakes, type NoiseSocketOptions } from './options.js';
import { listenNet } from './listen.js';
import { asNoiseError } from './stream-error.js';
import { AddressSlots, DEFAULT_MAX_HANDSHAKES_PER_ADDRESS, maxPerAddress } from './address-slots.js';

/** Options of createServer(): the responder's NoiseSocketOptions plus server limits. */
export interface NoiseServerOptions extends NoiseSocketOptions {
  /** Handshakes allowed to run at once (default 128); connections beyond it are closed at once. */
  maxConcurrentHandshakes?: number;
  /**
   * Of those, how many one remote address may run (default 16; an IPv6 address counts with its
   * whole /64), so that one host cannot hold
   * every slot with connections that never finish. Counts the connections this server accepts
   * itself, not streams given to handle() (from a relay they would all share its address).
   */
  maxHandshakesPerAddress?: number;
  /** Like net.Socket: when false (default) a connection's writable side ends once the peer has ended. */
  allowHalfOpen?: boolean;
}

/** Where a connection came from, for 'connectionError'. */
export interface ConnectionInfo {
  remoteAddress?: string;
  remotePort?: number;
  /** True when the handshake had finished before the error. */
  secure: boolean;
}

/** Counters of a NoiseServer. */
export interface NoiseServerStats {
  /** Connections handed to a handshake. */
  accepted: number;
  /** Connections closed at once because maxConcurrentHandshakes handshakes were running. */
  refused: number;
  /** Handshakes that finished and were accepted by verifyRemote. */
  secured: number;
  /** Connections that ended with an error (handshake or later). */
  failed: number;
  /** Handshakes running now. */
  handshaking: number;
}

/** The events of a NoiseServer and their arguments. */
export interface NoiseServerEvents {
  secureConnection: [socket: NoiseSocket];
  connectionError: [err: NoiseError, info: ConnectionInfo];
  listening: [];
  close: [];
  /** Listen errors only. */
  error: [err: Error];
}

/**
 * A Noise server. Events: 'secureConnection' (socket), 'connectionError' (err, info),
 * 'listening', 'close', 'error' (listen errors only).
 */
export class NoiseServer extends EventEmitter<NoiseServerEvents> {
  /** The underlying TCP server. */
  readonly netServer: net.Server;
  readonly #options: NoiseServerOptions;
  readonly #max: number;
  readonly #perAddress: AddressSlots;
  readonly #sockets = new Set<NoiseSocket>();
  readonly #stats: NoiseServerStats = { accepted: 0, refused: 0, secured: 0, failed: 0, handshaking: 0 };

  /** Use createServer(). Invalid options throw a NoiseError here, not per connection. */
  constructor(options: NoiseServerOptions, onSecureConnection?: (s: NoiseSocket) => void) {
    super();
    checkSocketOptions(options);
    const max = maxHandshakes(options.maxConcurrentHandshakes);
    // Check the protocol and keys once: a responder HandshakeState does no I/O and no DH.
    const probe = new HandshakeState({
      protocol: options.protocol,
      initiator: false,
      prologue: options.prologue,
      staticKeyPair: options.staticKeyPair,
      remoteStaticKey: options.remoteStaticKey,
      psks: options.psks,
      backend: options.backend,
    });
    const oneWay = isOneWay(probe.pattern);
    probe.destroy();
    if (oneWay) throw new NoiseError('ERR_NOISE_ONE_WAY', `${probe.pattern.name} is a one-way pattern (spec 7.4); a server needs an interactive pattern`);
    this.#options = options;
    this.#max = max;
    this.#perAddress = new AddressSlots(maxPerAddress(options.maxHandshakesPerAddress));
    if (onSecureConnection) this.on('secureConnection', onSecureConnection);
    this.netServer = net.createServer({ allowHalfOpen: true }, (raw) => {
      try {
        raw.setNoDelay(true); // whole frames are written at once; do not wait for ACKs (Nagle)
        this.#accept(raw, raw.remoteAddress);
      } catch (err) {
        this.#stats.failed++;
        this.emit('connectionError', asNoiseError(err), { remoteAddress: raw.remoteAddress, remotePort: raw.remotePort, secure: false });
      }
    });
    this.netServer.on('listening', () => this.emit('listening'));
    this.netServer.on('close', () => this.emit('close'));
    this.netServer.on('error', (err) => this.emit('error', err));
  }

  /** Counters (a copy). */
  get stats(): NoiseServerStats {
    return { ...this.#stats };
  }

  /** Starts listening (see net.Server#listen). */
  listen(port: number, cb?: () => void): this;
  listen(port: number, host?: string, cb?: () => void): this;
  listen(port: number, host?: string | (() => void), cb?: () => void): this {
    listenNet(this.netServer, port, host, cb);
    return this;
  }

  /** The bound address (see net.Server#address). */
  address(): ReturnType<net.Server['address']> {
    return this.netServer.address();
  }

  /**
   * Stops accepting connections and closes the handshakes still running (their peers are not
   * authenticated yet). Established connections stay open until they end; see closeAllConnections().
   */
  close(cb?: (err?: Error) => void): this {
    this.netServer.close(cb);
    for (const s of this.#sockets) if (!s.secure) s.destroy();
    return this;
  }

  /** Destroys every connection of this server, established ones included. */
  closeAllConnections(): void {
    for (const s of this.#sockets) s.destroy();
  }

  /**
   * Runs the responder side on an already-open stream (e.g. one from a relay) and returns the
   * NoiseSocket; it is also announced with 'secureConnection' once secure. When the handshake
   * limit is reached, the stream is destroyed, 'connectionError' reports
   * ERR_NOISE_TOO_MANY_HANDSHAKES and the returned socket is already destroyed.
   */
  handle(raw: Duplex): NoiseSocket {
    if (typeof raw !== 'object' || raw === null || typeof raw.on !== 'function' || typeof raw.write !== 'function') {
      throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'handle() takes a Duplex stream (e.g. a net.Socket)');
    }
    return this.#accept(raw, undefined);
  }

  /** handle(), with `address` counted against maxHandshakesPerAddress while the handshake runs. */
  #accept(raw: Duplex, address: string | undefined): NoiseSocket {
    const info: ConnectionInfo = {
      remoteAddress: (raw as { remoteAddress?: string }).remoteAddress,
      remotePort: (raw as { remotePort?: number }).remotePort,
      secure: false,
    };
    raw.on('error', ignore); // nothing a peer does may crash the server
    const opts = { ...this.#options, initiator: false };
    delete (opts as { maxConcurrentHandshakes?: number }).maxConcurrentHandshakes;
    delete (opts as { maxHandshakesPerAddress?: number }).maxHandshakesPerAddress;
    const full = this.#stats.handshaking >= this.#max;
    if (full || !this.#perAddress.take(address)) {
      this.#stats.refused++;
      raw.destroy();
      const s = new NoiseSocket(raw, opts);
      s.on('error', ignore);
      s.destroy();
      const why = full ? `${this.#max} handshakes already in progress` : `${address} already runs ${this.#options.maxHandshakesPerAddress ?? DEFAULT_MAX_HANDSHAKES_PER_ADDRESS} handshakes (maxHandshakesPerAddress)`;
      this.emit('connectionError', new NoiseError('ERR_NOISE_TOO_MANY_HANDSHAKES', why), info);
      return s;
    }
    let s: NoiseSocket;
    try {
      s = new NoiseSocket(raw, opts);
    } catch (err) {
      this.#perAddress.release(address);
      raw.destroy();
      throw err;
    }
    this.#stats.accepted++;
    this.#stats.handshaking++;
    this.#sockets.add(s);
    let handshaking = true;
    const doneHandshaking = () => {
      if (handshaking) {
        handshaking = false;
        this.#stats.handshaking--;
        this.#perAddress.release(address);
      }
    };
    s.on('secure', () => {
      doneHandshaking();
      info.secure = true;
      this.#stats.secured++;
      this.emit('secureConnection', s);
    });
    s.on('error', (err) => {
      this.#stats.failed++;
      this.emit('connectionError', asNoiseError(err), { ...info });
    });
    s.on('close', () => {
      doneHandshaking();
      this.#sockets.delete(s);
    });
    return s;
  }
}

function ignore(): void {}

/** Creates a Noise server (responder side). `onSecureConnection` listens to 'secureConnection'. */
export function createServer(options: NoiseServerOptions, onSecureConnection?: (s: NoiseSocket) => void): NoiseServer {
  return new NoiseServer(options, onSecureConnection);
}
