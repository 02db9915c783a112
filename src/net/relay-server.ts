/**
 * The relay: a forwarding node for services behind NAT (docs/relay.md). Services connect out
 * and offer connections under a name (LISTEN); clients ask for a name (CONNECT); the relay
 * splices a waiting service connection with the client and forwards Noise frames (16-bit
 * big-endian length + message, spec section 13) both ways, as the bytes come, with backpressure.
 *
 * The relay holds no keys and is not trusted: the Noise handshake runs end to end, so it sees
 * only ciphertext. It never crashes on a bad peer: malformed requests get BAD_REQUEST and are
 * closed, slow ones time out, and limits bound what it holds (connections, waiting connections
 * per name; bytes are forwarded as they come, with backpressure).
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { NoiseError } from '../errors.js';
import { concat, EMPTY } from '../bytes.js';
import { encodeFrame, FrameDecoder } from './framing.js';
import { FrameReader } from './frame-reader.js';
import { addressGroup } from './address-slots.js';
import { decodeRelayRequest, RELAY_STATUS, type RelayRequest } from './relay-protocol.js';
import { listenNet } from './listen.js';

/**
 * Test-only hook (not exported from the package): sees every frame the relay forwards and
 * returns the frames to send instead (none to drop, several to inject or replay). Used by the
 * tampering and capturing relays of test/relay.test.ts.
 */
export const kRelayTap: unique symbol = Symbol('noisekit.relayTap');

/** Direction of a forwarded frame. */
export type RelayDirection = 'toService' | 'toClient';

/** A frame tap: the frames to forward in place of `frame`. */
export type RelayTap = (direction: RelayDirection, frame: Uint8Array, name: string) => Uint8Array[];

/** Options of createRelay(). */
export interface RelayOptions {
  /** Milliseconds a new connection has to send its request (default 10 000). */
  requestTimeout?: number;
  /** Milliseconds a CONNECT waits for a free service connection (default 3 000). */
  connectWait?: number;
  /** Waiting (LISTEN) connections allowed per name (default 16). */
  maxWaitingPerName?: number;
  /** Connections the relay holds at once, spliced ones included (default 1024). */
  maxConnections?: number;
  /**
   * Connections one remote address may hold at once (default 256; an IPv6 address counts with its
   * whole /64): one host alone cannot take every slot (idle LISTEN connections under many names
   * would otherwise shut the relay). When every slot is taken, a newcomer from an address holding
   * fewer displaces the oldest waiting LISTEN of the address holding the most.
   */
  maxConnectionsPerAddress?: number;
  /**
   * Milliseconds a spliced pair may go without a byte either way before the relay closes both
   * connections (default 0: never). Reaps pairs whose peers vanished without closing (a host
   * that lost power, a NAT that dropped its mapping), which would otherwise hold their two slots
   * for good. Choose it above the ends' own keep-alive interval, if they have one.
   */
  idleTimeout?: number;
  /** Test-only frame tap. */
  [kRelayTap]?: RelayTap;
}

export { addressGroup } from './address-slots.js';

/** Counters of a RelayServer. */
export interface RelayStats {
  /** Connections accepted. */
  accepted: number;
  /** Pairs spliced. */
  spliced: number;
  /** Requests answered with an error status or closed as malformed or late. */
  refused: number;
  /** Waiting LISTEN connections closed to make room when the relay was full (see maxConnectionsPerAddress). */
  displaced: number;
  /** Frames forwarded (both directions). */
  frames: number;
  /** Spliced pairs closed because nothing passed either way within idleTimeout. */
  idle: number;
}

interface Waiting {
  socket: net.Socket;
  rest: Uint8Array;
}

interface PendingClient {
  socket: net.Socket;
  /** What it sent after its request, forwarded once it is spliced (joined then, once). */
  rest: FrameReader;
  timer: NodeJS.Timeout;
  /** Its 'end' listener while it waits (an end then means it gave up). */
  onEnd?: () => void;
  /** Its 'data' listener while it waits (read, so that its end is seen). */
  onData?: (chunk: Buffer) => void;
}

/** Most bytes a waiting client may send before it is spliced: one whole frame. */
const MAX_EARLY_BYTES = 2 + 65_535;

/** A relay server. Events: 'listening', 'splice' (name), 'peerError' (err), 'close', 'error'. */
export class RelayServer extends EventEmitter {
  /** The underlying TCP server. */
  readonly netServer: net.Server;
  readonly #requestTimeout: number;
  readonly #connectWait: number;
  readonly #maxWaiting: number;
  readonly #maxConnections: number;
  readonly #idleTimeout: number;
  readonly #tap: RelayTap | undefined;
  readonly #waiting = new Map<string, Waiting[]>();
  readonly #pending = new Map<string, PendingClient[]>();
  readonly #sockets = new Set<net.Socket>();
  readonly #stats: RelayStats = { accepted: 0, spliced: 0, refused: 0, displaced: 0, frames: 0, idle: 0 };
  readonly #maxPerAddress: number;
  /** Connections held per remote address. */
  readonly #perAddress = new Map<string, number>();

  constructor(options: RelayOptions = {}) {
    super();
    if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'relay options must be an object');
    this.#requestTimeout = positive('requestTimeout', options.requestTimeout, 10_000);
    this.#connectWait = positive('connectWait', options.connectWait, 3_000);
    this.#maxWaiting = positive('maxWaitingPerName', options.maxWaitingPerName, 16);
    this.#maxConnections = positive('maxConnections', options.maxConnections, 1024);
    this.#maxPerAddress = positive('maxConnectionsPerAddress', options.maxConnectionsPerAddress, 256);
    this.#idleTimeout = options.idleTimeout === 0 ? 0 : positive('idleTimeout', options.idleTimeout, 0);
    this.#tap = options[kRelayTap];
    this.netServer = net.createServer({ allowHalfOpen: true }, (s) => this.#accept(s));
    this.netServer.on('listening', () => this.emit('listening'));
    this.netServer.on('close', () => this.emit('close'));
    this.netServer.on('error', (err) => this.emit('error', err));
  }

  /** Counters (a copy). */
  get stats(): RelayStats {
    return { ...this.#stats };
  }

  /** Service connections waiting per name (a snapshot). */
  get waiting(): Record<string, number> {
    return Object.fromEntries([...this.#waiting].map(([k, v]) => [k, v.length]));
  }

  /** Starts listening (see net.Server#listen). */
  listen(port: number, cb?: () => void): this;
  listen(port: number, host?: string, cb?: () => void): this;
  listen(port: number, host?: string | (() => void), cb?: () => void): this {
    listenNet(this.netServer, port, host, cb);
    return this;
  }

  /** The bound address. */
  address(): ReturnType<net.Server['address']> {
    return this.netServer.address();
  }

  /** Stops accepting and closes every connection, spliced ones included. */
  close(cb?: (err?: Error) => void): this {
    this.netServer.close(cb);
    for (const list of this.#pending.values()) for (const p of list) clearTimeout(p.timer);
    this.#pending.clear();
    this.#waiting.clear();
    for (const s of this.#sockets) s.destroy();
    return this;
  }

  #accept(socket: net.Socket): void {
    socket.on('error', (err) => this.emit('peerError', err));
    const from = addressGroup(socket.remoteAddress ?? '?');
    const mine = this.#perAddress.get(from) ?? 0;
    if (mine >= this.#maxPerAddress || (this.#sockets.size >= this.#maxConnections && !this.#displaceFor(from, mine))) {
      this.#stats.refused++;
      refuse(socket, RELAY_STATUS.BUSY);
      return;
    }
    this.#stats.accepted++;
    this.#sockets.add(socket);
    this.#perAddress.set(from, mine + 1);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      const left = (this.#perAddress.get(from) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(from, left);
      else this.#perAddress.delete(from);
    });
    socket.setNoDelay(true);
    let buf: Uint8Array = EMPTY;
    const timer = setTimeout(() => {
      this.#stats.refused++;
      socket.destroy();
    }, this.#requestTimeout);
    const onData = (chunk: Buffer): void => {
      buf = concat(buf, chunk);
      let parsed: ReturnType<typeof decodeRelayRequest>;
      try {
        parsed = decodeRelayRequest(buf);
      } catch (err) {
        cleanup();
        this.#stats.refused++;
        this.emit('peerError', err);
        refuse(socket, RELAY_STATUS.BAD_REQUEST);
        return;
      }
      if (!parsed) return;
      cleanup();
      socket.pause();
      this.#route(socket, parsed.request, parsed.rest);
    };
    const onEnd = (): void => {
      cleanup();
      socket.destroy();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
  }

  #route(socket: net.Socket, request: RelayRequest, rest: Uint8Array): void {
    const { name } = request;
    if (request.op === 'listen') {
      if (rest.length > 0) {
        // A service sends nothing before SPLICED (docs/relay.md), in the request's segment or later.
        this.#stats.refused++;
        socket.destroy();
        return;
      }
      const queue = this.#pending.get(name);
      const client = queue?.shift();
      if (queue && queue.length === 0) this.#pending.delete(name);
      if (client) {
        clearTimeout(client.timer);
        client.socket.off('end', client.onEnd!); // from now on, its end is forwarded to the service
        client.socket.off('data', client.onData!);
        client.socket.pause();
        this.#splice(name, client.socket, client.rest.rest, socket, rest);
        return;
      }
      const list = this.#waiting.get(name) ?? [];
      if (list.length >= this.#maxWaiting) {
        this.#stats.refused++;
        refuse(socket, RELAY_STATUS.BUSY);
        return;
      }
      const entry: Waiting = { socket, rest };
      list.push(entry);
      this.#waiting.set(name, list);
      // A waiting service connection that closes (or sends data before a splice) leaves the pool.
      const drop = (): void => this.#unwait(name, entry);
      socket.once('close', drop);
      socket.once('end', () => {
        drop();
        socket.destroy();
      });
      socket.resume(); // notice its close; a service sends nothing before SPLICED
      socket.once('data', () => {
        drop();
        socket.destroy();
      });
      return;
    }
    const service = this.#takeWaiting(name);
    if (service) {
      this.#splice(name, socket, rest, service.socket, service.rest);
      return;
    }
    const held = new FrameReader();
    held.push(rest);
    const pending: PendingClient = {
      socket,
      rest: held,
      timer: setTimeout(() => {
        this.#unpend(name, pending);
        if (pending.onData) socket.off('data', pending.onData);
        this.#stats.refused++;
        refuse(socket, RELAY_STATUS.UNKNOWN_SERVICE);
      }, this.#connectWait),
    };
    const list = this.#pending.get(name) ?? [];
    list.push(pending);
    this.#pending.set(name, list);
    const gone = (): void => {
      clearTimeout(pending.timer);
      this.#unpend(name, pending);
    };
    socket.once('close', gone);
    // The sockets are half-open, so a client that gives up while it waits ends without closing:
    // it has nothing more to send, and a Noise client that ends before its handshake never
    // finishes it. It leaves the queue instead of using up a service connection.
    pending.onEnd = () => {
      gone();
      socket.destroy();
    };
    socket.once('end', pending.onEnd);
    // Read what it sends meanwhile (kept for the service, at most a frame): a paused socket with
    // unread bytes would never report its end.
    pending.onData = (chunk: Buffer) => {
      pending.rest.push(chunk);
      if (pending.rest.size <= MAX_EARLY_BYTES) return;
      gone();
      this.#stats.refused++;
      socket.destroy();
    };
    socket.on('data', pending.onData);
    socket.resume();
  }

  #takeWaiting(name: string): Waiting | undefined {
    const list = this.#waiting.get(name);
    const w = list?.shift();
    if (list && list.length === 0) this.#waiting.delete(name);
    if (w) {
      w.socket.removeAllListeners('data');
      w.socket.pause();
      w.socket.removeAllListeners('end');
    }
    return w;
  }

  /**
   * The relay is full: closes the oldest waiting LISTEN of the address (group) holding the most
   * connections, if that is more than `mine` + 1, so that a few hosts cannot keep every other one
   * out with idle service connections. Returns whether one was closed (the newcomer then takes its
   * slot; the count drops when the closed socket's 'close' comes).
   */
  #displaceFor(from: string, mine: number): boolean {
    // Among the addresses that have a waiting LISTEN (connections still sending their request
    // time out on their own), the one holding the most connections gives up its oldest.
    let victim: { name: string; entry: Waiting } | undefined;
    let most = mine + 1;
    for (const [name, list] of this.#waiting) {
      for (const entry of list) {
        const address = addressGroup(entry.socket.remoteAddress ?? '?');
        const n = this.#perAddress.get(address) ?? 0;
        if (address !== from && n > most) {
          victim = { name, entry };
          most = n;
        }
      }
    }
    if (!victim) return false;
    this.#unwait(victim.name, victim.entry);
    this.#stats.displaced++;
    victim.entry.socket.destroy();
    return true;
  }

  #unwait(name: string, entry: Waiting): void {
    const list = this.#waiting.get(name);
    if (!list) return;
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#waiting.delete(name);
  }

  #unpend(name: string, p: PendingClient): void {
    const list = this.#pending.get(name);
    if (!list) return;
    const i = list.indexOf(p);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#pending.delete(name);
  }

  #splice(name: string, client: net.Socket, clientRest: Uint8Array, service: net.Socket, serviceRest: Uint8Array): void {
    this.#stats.spliced++;
    this.emit('splice', name);
    client.write(Uint8Array.of(RELAY_STATUS.SPLICED));
    service.write(Uint8Array.of(RELAY_STATUS.SPLICED));
    this.#forward(name, 'toService', client, service, clientRest);
    this.#forward(name, 'toClient', service, client, serviceRest);
    if (this.#idleTimeout > 0) {
      // A socket's timeout restarts on every read and write it does, and a forwarded chunk is a
      // read on one side and a write on the other: each side times out only when nothing has
      // passed either way. The first to time out closes both.
      let timedOut = false;
      const onTimeout = (): void => {
        if (timedOut) return;
        timedOut = true;
        this.#stats.idle++;
        client.destroy();
        service.destroy();
      };
      for (const s of [client, service]) {
        s.setTimeout(this.#idleTimeout);
        s.once('timeout', onTimeout);
      }
    }
  }

  /**
   * Forwards `src`'s bytes to `dst` as they come, chunk by chunk, honouring backpressure; either
   * side closing closes both. Frame boundaries are only counted (stats.frames): the relay's work
   * and memory follow the bytes, never the number of frames (a peer sending 2-byte empty frames
   * costs what any other 2 bytes cost). With the test tap, frame by frame.
   */
  #forward(name: string, direction: RelayDirection, src: net.Socket, dst: net.Socket, first: Uint8Array): void {
    const tap = this.#tap;
    const decoder = tap ? new FrameDecoder() : undefined;
    const counter = new FrameCounter();
    const write = (chunk: Uint8Array): boolean => {
      if (!decoder) {
        this.#stats.frames += counter.count(chunk);
        return dst.write(chunk);
      }
      let frames: Uint8Array[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        this.emit('peerError', err);
        src.destroy();
        dst.destroy();
        return true;
      }
      let ok = true;
      for (const f of frames) {
        for (const o of tap!(direction, f, name)) {
          this.#stats.frames++;
          ok = dst.write(encodeFrame(o)) && ok;
        }
      }
      return ok;
    };
    let waiting = false;
    const send = (chunk: Uint8Array): void => {
      if (write(chunk) || waiting) return;
      waiting = true;
      src.pause();
      dst.once('drain', () => {
        waiting = false;
        src.resume();
      });
    };
    if (first.length) send(first);
    src.on('data', send);
    src.on('end', () => dst.end());
    src.on('close', () => {
      if (!dst.destroyed && !dst.writableEnded) dst.end();
      // What is still queued for dst goes out first ('finish'); then its peer has a second to
      // close. A peer that never reads is cut off after a minute.
      const cut = (): void => void dst.destroy();
      if (dst.writableFinished) {
        setTimeout(cut, 1_000).unref();
        return;
      }
      const last = setTimeout(cut, 60_000).unref();
      dst.once('finish', () => {
        clearTimeout(last);
        setTimeout(cut, 1_000).unref();
      });
    });
    if (!waiting) src.resume(); // not when the first bytes already filled dst's buffer
  }
}

/**
 * Counts the frames (16-bit big-endian length + message) a byte stream completes, without
 * copying or allocating: the relay forwards the bytes themselves.
 */
class FrameCounter {
  /** Bytes still to come of the current message; -1: between frames. */
  #need = -1;
  /** The first header byte when a chunk ended between the two; -1 otherwise. */
  #high = -1;

  count(chunk: Uint8Array): number {
    let frames = 0;
    let off = 0;
    const n = chunk.length;
    while (off < n) {
      if (this.#need > 0) {
        const take = Math.min(this.#need, n - off);
        this.#need -= take;
        off += take;
        if (this.#need === 0) {
          frames++;
          this.#need = -1;
        }
        continue;
      }
      let length: number;
      if (this.#high >= 0) {
        length = (this.#high << 8) | chunk[off++]!;
        this.#high = -1;
      } else if (off + 1 < n) {
        length = (chunk[off]! << 8) | chunk[off + 1]!;
        off += 2;
      } else {
        this.#high = chunk[off++]!;
        continue;
      }
      if (length === 0) frames++;
      else this.#need = length;
    }
    return frames;
  }
}

function positive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${name} must be a positive integer`);
  }
  return v;
}

/** Creates a relay server (call listen()). */
export function createRelay(options: RelayOptions = {}): RelayServer {
  return new RelayServer(options);
}

/**
 * Answers a refused peer with one status byte and closes the connection once the byte is
 * written: with allowHalfOpen, end() alone would keep every refused socket open until the peer
 * closed it, so refused peers would hold the descriptors maxConnections is meant to bound.
 */
function refuse(socket: net.Socket, status: number): void {
  socket.end(Uint8Array.of(status), () => socket.destroy());
}
