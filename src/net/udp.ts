/**
 * Noise over UDP in datagram mode (spec section 11.4): one handshake or transport message per
 * UDP datagram (layout in datagram/packet.ts), explicit nonces and a replay window for transport
 * messages, and handshake retransmission with exponential back-off, driven by the initiator.
 *
 * Any interactive pattern (`protocol`), or Noise Pipes (`pipes: true`, spec 10.4) with a key
 * cache on the client. Delivery is datagram delivery: a message may be lost or reordered, but
 * is delivered at most once and only after it authenticated.
 */
import { createSocket, type Socket, type RemoteInfo } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { KeyPair } from '../crypto/types.js';
import type { BackendChoice } from '../crypto/resolve.js';
import { HandshakeState } from '../engine/handshake-state.js';
import { isOneWay } from '../patterns/types.js';
import { NoiseError } from '../errors.js';
import { checkBytes, equalBytes } from '../bytes.js';
import { DatagramSession, type HandshakeLike, type SessionStats } from '../datagram/session.js';
import { checkDatagramOptions, type DatagramOptions } from '../datagram/datagram-transport.js';
import { asNoiseError, verifyRejection } from './stream-error.js';
import { COOKIE_REPLY_LENGTH, encodeCookie, PACKET_COOKIE_ECHO, PACKET_HANDSHAKE, PACKET_TRANSPORT } from '../datagram/packet.js';
import { checkCookiePolicy, COOKIE_LENGTH, cookieTag, CookieJar, type CookiePolicy } from '../datagram/cookie.js';
import { PipesInitiator } from '../pipes/initiator.js';
import { PipesResponder } from '../pipes/responder.js';
import type { KeyCache } from '../pipes/key-cache.js';
import type { PipesMode } from '../pipes/negotiation.js';
import type { VerifyRemote } from './options.js';
import { addressGroup, DEFAULT_MAX_HANDSHAKES_PER_ADDRESS, maxPerAddress } from './address-slots.js';

/**
 * Most application datagrams held while the handshake is being confirmed or verified, or while a
 * session has no 'message' listener (later ones are dropped, as UDP may).
 */
const MAX_HELD = 64;

/**
 * Runs verifyRemote (true/false, or a promise of it): undefined when it accepted, else the
 * refusal as on TCP (verifyRejection: the NoiseError it threw, or ERR_NOISE_REMOTE_REJECTED).
 */
function verifyPeer(fn: VerifyRemote | undefined, key: Uint8Array | undefined): NoiseError | undefined | Promise<NoiseError | undefined> {
  if (!fn) return undefined;
  const verdict = (ok: unknown) => (ok === true ? undefined : verifyRejection(undefined));
  try {
    const out = fn(key, []);
    if (out && typeof (out as PromiseLike<boolean>).then === 'function') return Promise.resolve(out).then(verdict, verifyRejection);
    return verdict(out);
  } catch (err) {
    return verifyRejection(err);
  }
}

/**
 * The most application bytes one datagram carries: the largest UDP payload over IPv4 (65,507
 * bytes) less the transport packet's 25 bytes (type, 8-byte nonce, 16-byte tag).
 */
export const MAX_UDP_DATAGRAM = 65_482;

/** Default idle timeout of a UDP session in ms (WireGuard drops keys after 180 s too). */
export const DEFAULT_UDP_IDLE_TIMEOUT = 180_000;

/** Default first retransmission delay (ms); it doubles up to 8 times that. */
export const DEFAULT_RETRANSMIT_INTERVAL = 250;

/** Options of both ends of a UDP Noise session. */
export interface UdpOptions {
  /** Protocol name (default `Noise_XX_25519_ChaChaPoly_BLAKE2s`); ignored with `pipes`. */
  protocol?: string;
  /** Noise Pipes (IK / XX / XXfallback); `suite` is `<dh>_<cipher>_<hash>`. */
  pipes?: boolean | { suite?: string };
  /** This side's static key pair. */
  staticKeyPair?: KeyPair;
  /** The peer's static key for a pre-message (e.g. IK, NK). */
  remoteStaticKey?: Uint8Array;
  /** Pre-shared keys. */
  psks?: readonly Uint8Array[];
  /** Prologue (spec section 6). */
  prologue?: Uint8Array;
  /** Crypto backend. */
  backend?: BackendChoice;
  /** Milliseconds allowed for the handshake (default 10 000). */
  handshakeTimeout?: number;
  /** First retransmission delay in ms (default 250; doubles, at most 8x). */
  retransmitInterval?: number;
  /** Replay window and rekey policy (`rekeyInterval`, the same on both ends). */
  datagram?: DatagramOptions;
  /**
   * Accept or refuse the peer's static key once the handshake is complete (may be async; the
   * payload list is always empty in datagram mode). Nothing is delivered before it accepts.
   */
  verifyRemote?: VerifyRemote;
  /** Close a session after this many ms without an authentic packet from the peer (default 180 000; 0 = never). */
  idleTimeout?: number;
}

/** Client options. */
export interface UdpConnectOptions extends UdpOptions {
  host?: string;
  port: number;
  /** Pipes: where server keys are cached (IK when a key is cached, XX otherwise), by `peer`. */
  keyCache?: KeyCache;
  /** Pipes: the name of the server in the key cache (default `host:port`). */
  peer?: string;
}

/** Server options. */
export interface UdpServerOptions extends UdpOptions {
  /**
   * Most sessions (established and in handshake) at once (default 1024). When they are all taken
   * and some are handshakes, a new message 1 replaces the oldest handshake: forged message 1s
   * cannot keep the slots from honest clients for `handshakeTimeout`.
   */
  maxSessions?: number;
  /** Most handshakes at once from one IP address, any port (an IPv6 address counts by its /64; default 16). */
  maxHandshakesPerAddress?: number;
  /**
   * When a message 1 must come back with a cookie before the server spends a key generation and
   * DHs on it (datagram/cookie.ts): `'under-load'` (the default) once `maxSessions / 8` (at
   * least 1) handshakes are pending or every slot is taken, `'always'`, or `'never'`. The cookie
   * reply is 33 bytes, less than the message 1 it answers, so a spoofed source address gets
   * neither handshake work nor amplification.
   */
  cookies?: CookiePolicy;
}

/**
 * One established UDP Noise session. Events: `message` (Uint8Array), `close`. Datagrams that
 * arrive while the session has no `message` listener (at most 64) are held, in order, for the
 * next one added: `udpConnect` resolves, and the caller's `await` continues, only after the
 * server may have sent some. They go out one at a time on the next tick, to whatever `message`
 * listeners there are then (a `once()` listener takes one; the rest wait for the next listener).
 */
export class UdpSession extends EventEmitter {
  readonly #session: DatagramSession;
  readonly #sendPacket: (p: Uint8Array) => void;
  readonly #onClose: () => void;
  readonly #onListenerError: ((err: NoiseError) => void) | undefined;
  #closed = false;
  #idleTimer: NodeJS.Timeout | undefined;
  /** Datagrams received while there was no 'message' listener, oldest first. */
  readonly #held: Uint8Array[] = [];
  #drainQueued = false;
  /** The peer's UDP address. */
  readonly remoteAddress: { address: string; port: number };
  /** With pipes: the pattern the handshake used. */
  readonly mode: PipesMode | undefined;

  /** @internal Built by udpConnect and createUdpServer. */
  constructor(session: DatagramSession, sendPacket: (p: Uint8Array) => void, onClose: () => void, remote: { address: string; port: number }, mode?: PipesMode, idleTimeout = DEFAULT_UDP_IDLE_TIMEOUT, onListenerError?: (err: NoiseError) => void) {
    super();
    this.#session = session;
    this.#sendPacket = sendPacket;
    this.#onClose = onClose;
    this.#onListenerError = onListenerError;
    this.remoteAddress = remote;
    this.mode = mode;
    if (idleTimeout > 0) this.#idleTimer = setTimeout(() => this.close(), idleTimeout);
    // 'newListener' comes before the listener is added: the held datagrams go on the next tick,
    // before any later packet. (Should this hook be removed, the next packet drains them.)
    this.on('newListener', (event: string | symbol) => {
      if (event === 'message') this.#queueDrain();
    });
  }

  #queueDrain(): void {
    if (this.#drainQueued || this.#held.length === 0) return;
    this.#drainQueued = true;
    process.nextTick(() => {
      this.#drainQueued = false;
      while (this.#held.length > 0 && !this.#closed && this.listenerCount('message') > 0) this.#deliver(this.#held.shift()!);
    });
  }

  /** The peer's static public key. */
  get remoteStaticKey(): Uint8Array | undefined {
    return this.#session.remoteStaticKey;
  }

  /** The handshake hash (section 11.2). */
  get handshakeHash(): Uint8Array {
    return this.#session.handshakeHash!;
  }

  /** Counters: sent, received, replayed, tooOld, forged, handshake retransmits, ... */
  get stats(): SessionStats {
    return this.#session.stats;
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one datagram (1 to MAX_UDP_DATAGRAM = 65,482 bytes: more would not fit a UDP packet,
   * and the system would drop it; ERR_NOISE_MESSAGE_TOO_LONG). ERR_NOISE_NONCE_EXHAUSTED closes
   * the session: a new handshake is needed, nonces never wrap.
   */
  send(data: Uint8Array): void {
    checkBytes('data', data);
    if (this.#closed) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'the session is closed');
    if (data.length > MAX_UDP_DATAGRAM) throw new NoiseError('ERR_NOISE_MESSAGE_TOO_LONG', `a datagram of ${data.length} bytes does not fit a UDP packet (max ${MAX_UDP_DATAGRAM})`);
    let packet: Uint8Array;
    try {
      packet = this.#session.send(data);
    } catch (err) {
      if (err instanceof NoiseError && err.code === 'ERR_NOISE_NONCE_EXHAUSTED') this.close();
      throw err;
    }
    this.#sendPacket(packet);
  }

  /** Explicit rekey (needs `datagram.rekeyInterval`): later datagrams use the next epoch's key. */
  rekey(): void {
    this.#session.transport!.rekeyNow();
  }

  /**
   * @internal Handles a packet from the peer; true when it was authentic for this session. Only
   * authentic transport packets keep the session alive: a replayed handshake packet (answered
   * as a retransmission) does not.
   */
  receive(packet: Uint8Array): boolean {
    if (this.#closed) return false;
    const r = this.#session.handle(packet);
    if (!r.dropped && packet[0] === PACKET_TRANSPORT) this.#idleTimer?.refresh();
    for (const p of r.reply) this.#sendPacket(p);
    if (r.data) this.emit('message', r.data);
    return !r.dropped;
  }

  /**
   * On a server, an exception in the application's 'message' listener closes this session and
   * is reported as the server's 'sessionError', instead of ending the process with every other
   * session (as on TCP, docs/net.md).
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'message') return super.emit(event, ...args);
    const data = args[0] as Uint8Array;
    // Nobody to take it yet, or older ones still wait: held, in order (bounded, as UDP may drop).
    if (this.listenerCount('message') === 0 || this.#held.length > 0) {
      if (this.#held.length < MAX_HELD) this.#held.push(data);
      this.#queueDrain();
      return false;
    }
    return this.#deliver(data);
  }

  #deliver(data: Uint8Array): boolean {
    if (!this.#onListenerError) return super.emit('message', data);
    try {
      return super.emit('message', data);
    } catch (err) {
      this.close();
      this.#onListenerError(asNoiseError(err, 'a session listener threw: '));
      return true;
    }
  }

  /** Closes the session and wipes its keys. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    this.#session.destroy();
    this.#onClose();
    this.emit('close');
  }
}

function checkOptions(o: UdpOptions): void {
  if (!o || typeof o !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
  for (const k of ['handshakeTimeout', 'retransmitInterval', 'idleTimeout'] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'number' || !(v > 0 || (k === 'idleTimeout' && v === 0)) || v > 2 ** 31 - 1)) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${k} must be a positive number of milliseconds`);
  }
  checkDatagramOptions(o.datagram);
}

function handshakeFor(o: UdpOptions, initiator: boolean, cachedKey?: Uint8Array): HandshakeLike {
  const hs = makeHandshake(o, initiator, cachedKey);
  if (hs instanceof HandshakeState && isOneWay(hs.pattern)) {
    hs.destroy();
    throw new NoiseError('ERR_NOISE_ONE_WAY', `${hs.pattern.name} is a one-way pattern (spec 7.4); UDP sessions need an interactive pattern (the server must answer)`);
  }
  return hs;
}

/**
 * The handshake of a UDP session. A packet that fails to read is dropped and the handshake goes
 * on (retryAfterFailedRead): anyone can send a datagram, and one forged packet must not end it.
 */
function makeHandshake(o: UdpOptions, initiator: boolean, cachedKey?: Uint8Array): HandshakeLike {
  if (o.pipes) {
    const suite = typeof o.pipes === 'object' ? o.pipes.suite : undefined;
    const common = { suite, staticKeyPair: o.staticKeyPair!, psks: o.psks, prologue: o.prologue, backend: o.backend, retryAfterFailedRead: true };
    return initiator ? new PipesInitiator({ ...common, remoteStaticKey: cachedKey }) : new PipesResponder(common);
  }
  return new HandshakeState({
    protocol: o.protocol ?? DEFAULT_UDP_PROTOCOL,
    initiator,
    staticKeyPair: o.staticKeyPair,
    remoteStaticKey: o.remoteStaticKey,
    psks: o.psks,
    prologue: o.prologue,
    backend: o.backend,
    retryAfterFailedRead: true,
  });
}

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/**
 * Connects to a UDP Noise server; resolves once both sides are known to have finished the
 * handshake. Rejects with ERR_NOISE_HANDSHAKE_TIMEOUT, a verifyRemote refusal (the NoiseError it
 * threw, e.g. ERR_NOISE_REMOTE_KEY_CHANGED from tofu, else ERR_NOISE_REMOTE_REJECTED), or a socket error.
 */
export async function udpConnect(options: UdpConnectOptions): Promise<UdpSession> {
  checkOptions(options);
  const host = options.host ?? '127.0.0.1';
  const peer = options.peer ?? `${host}:${options.port}`;
  const cached = options.pipes && options.keyCache ? await options.keyCache.get(peer) : undefined;
  const hs = handshakeFor(options, true, cached);
  const session = new DatagramSession(hs, true, options.datagram, { verifyPeer: true });
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const interval = options.retransmitInterval ?? DEFAULT_RETRANSMIT_INTERVAL;

  return new Promise<UdpSession>((resolve, reject) => {
    let udp: UdpSession | undefined;
    let timer: NodeJS.Timeout | undefined;
    let delay = interval;
    const send = (p: Uint8Array) => socket.send(p, (err) => void err); // UDP: a failed send is a lost datagram
    const deadline = setTimeout(() => fail(new NoiseError('ERR_NOISE_HANDSHAKE_TIMEOUT', `no complete handshake with ${peer} within ${options.handshakeTimeout ?? 10_000} ms`)), options.handshakeTimeout ?? 10_000);
    let settled = false;
    const cleanup = () => {
      settled = true;
      clearTimeout(deadline);
      clearTimeout(timer);
    };
    const fail = (err: Error) => {
      cleanup();
      session.destroy();
      socket.close();
      reject(err);
    };
    const arm = () => {
      timer = setTimeout(() => {
        const p = session.retransmit();
        if (!p) return;
        send(p);
        delay = Math.min(delay * 2, interval * 8);
        arm();
      }, delay);
    };
    socket.on('error', (err) => {
      // ICMP "port unreachable" comes back as ECONNREFUSED on a connected UDP socket. It is
      // unauthenticated (anyone can send one), so it counts as a lost datagram, not a failure.
      if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') return;
      if (udp) udp.close();
      else fail(new NoiseError('ERR_NOISE_SOCKET', err.message, { cause: err }));
    });
    const held: Uint8Array[] = [];
    let accepted = false;
    // The server's last handshake message is read: verifyRemote decides before anything more is
    // sent (for XX, before message 3 carries our identity), as NoiseSocket does.
    const verified = (refused: NoiseError | undefined) => {
      if (settled) return; // the deadline passed meanwhile
      if (refused) return fail(refused);
      accepted = true;
      try {
        for (const p of session.accept()) send(p);
      } catch (err) {
        return fail(asNoiseError(err, 'the handshake failed: '));
      }
      if (session.confirmed) return finish();
      clearTimeout(timer); // retransmission paused while verifyRemote ran
      delay = interval;
      arm();
    };
    const finish = () => {
      cleanup();
      const mode = hs instanceof PipesInitiator ? hs.mode : undefined;
      udp = new UdpSession(session, send, () => socket.close(), { address: host, port: options.port }, mode, options.idleTimeout);
      // No listener can exist yet: the session keeps these (and any that arrive while the key
      // cache is written) for its first 'message' listener.
      for (const m of held) udp.emit('message', m);
      const done = () => resolve(udp!);
      if (options.pipes && options.keyCache && session.remoteStaticKey) {
        Promise.resolve(options.keyCache.set(peer, session.remoteStaticKey)).then(done, (err) => {
          udp!.close();
          reject(err);
        });
      } else done();
    };
    socket.on('message', (msg: Buffer) => {
      if (udp) return udp.receive(u8(msg));
      if (settled) return;
      let r: ReturnType<DatagramSession['handle']>;
      try {
        r = session.handle(u8(msg));
      } catch (err) {
        fail(asNoiseError(err, 'the handshake failed: '));
        return;
      }
      for (const p of r.reply) send(p);
      if (r.data && held.length < MAX_HELD) held.push(r.data);
      if (r.verify) {
        const refused = verifyPeer(options.verifyRemote, session.remoteStaticKey);
        if (refused instanceof Promise) void refused.then(verified);
        else verified(refused);
      } else if (accepted && session.confirmed) finish();
    });
    socket.connect(options.port, host, () => {
      send(session.start());
      arm();
    });
  });
}

/** The protocol of UDP sessions when none is given (and not `pipes`). */
export const DEFAULT_UDP_PROTOCOL = 'Noise_XX_25519_ChaChaPoly_BLAKE2s';

/** The events of a UdpServer and their arguments. */
export interface UdpServerEvents {
  session: [session: UdpSession];
  refused: [err: NoiseError, from: { address: string; port: number }];
  sessionError: [err: NoiseError, session: UdpSession];
  error: [err: Error];
  close: [];
}

/** A handshake in progress on the server (until verified and announced). */
interface Pending {
  /** The client's address group, its IP (an IPv6 one by /64; for maxHandshakesPerAddress). */
  address: string;
  session: DatagramSession;
  hs: HandshakeLike;
  timer: NodeJS.Timeout;
  first: Uint8Array;
  /** verifyRemote accepted the client (it runs once the client's last handshake message is read). */
  accepted: boolean;
  /** Its message 1 came with a valid cookie: copies of it are answered only when they do too. */
  routable: boolean;
  held: Uint8Array[];
}

/**
 * A UDP Noise server. Events: `session` (UdpSession), `refused` (err, { address, port }: a
 * completed handshake that verifyRemote refused; err is what it threw, e.g.
 * ERR_NOISE_TRUST_STORE, or ERR_NOISE_REMOTE_REJECTED), `sessionError` (err, session: an exception
 * in the application's 'session' or 'message' listener, which closes that session only), `error`,
 * `close`.
 */
export class UdpServer extends EventEmitter<UdpServerEvents> {
  readonly #options: UdpServerOptions;
  #socket: Socket | undefined;
  readonly #live = new Map<string, UdpSession>();
  readonly #pending = new Map<string, Pending>();
  /** Packets dropped before any session (malformed, unknown peer, limits). */
  dropped = 0;
  /** Completed handshakes that verifyRemote refused. */
  rejected = 0;
  /** Cookie replies sent (message 1s that had to come back with a cookie). */
  cookiesSent = 0;
  readonly #cookies: CookiePolicy;
  readonly #jar = new CookieJar();

  /** @internal Use createUdpServer. */
  constructor(options: UdpServerOptions, onSession?: (s: UdpSession) => void) {
    super();
    checkOptions(options);
    maxPerAddress(options.maxHandshakesPerAddress); // ERR_NOISE_INVALID_ARGUMENT unless a positive integer
    const max = options.maxSessions;
    if (max !== undefined && (!Number.isInteger(max) || max < 1)) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'maxSessions must be a positive integer');
    this.#cookies = checkCookiePolicy(options.cookies);
    handshakeFor(options, false).destroy(); // fail now on bad keys or protocol
    this.#options = { ...options };
    if (onSession) this.on('session', onSession);
  }

  /** Binds to `port` on `host` (default 127.0.0.1); resolves with the bound address. */
  listen(port = 0, host = '127.0.0.1'): Promise<{ address: string; port: number }> {
    if (this.#socket) return Promise.reject(new NoiseError('ERR_NOISE_INVALID_STATE', 'the server is already listening'));
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.#socket = socket;
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      // Packet handling does not throw for anything a peer can send; should a bug make it throw,
      // the packet is dropped and counted rather than ending the process with every session.
      try {
        this.#packet(u8(msg), rinfo);
      } catch {
        this.dropped++;
      }
    });
    return new Promise((resolve, reject) => {
      const failed = (err: NodeJS.ErrnoException): void => {
        this.#socket = undefined;
        socket.close();
        reject(new NoiseError('ERR_NOISE_SOCKET', `cannot listen on ${host}:${port}: ${err.code ?? err.message}`, { cause: err }));
      };
      socket.once('error', failed);
      socket.bind(port, host, () => {
        socket.off('error', failed);
        socket.on('error', (err) => this.emit('error', err));
        const a = socket.address();
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  /** Established sessions. */
  get sessions(): UdpSession[] {
    return [...this.#live.values()];
  }

  /** Handshakes in progress (not yet announced as sessions). */
  get pendingHandshakes(): number {
    return this.#pending.size;
  }

  #cookieRequired(): boolean {
    if (this.#cookies === 'never') return false;
    if (this.#cookies === 'always') return true;
    const max = this.#options.maxSessions ?? 1024;
    // Also when full: established sessions can hold more than 7/8 of the slots, and a message 1
    // then displaces a pending handshake; only one with a cookie may.
    return this.#pending.size >= Math.max(1, Math.floor(max / 8)) || this.#live.size + this.#pending.size >= max;
  }

  #packet(received: Uint8Array, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    // A message 1 wrapped with a cookie: checked here, then handled as the message inside (a
    // wrong or expired cookie counts as none).
    let packet = received;
    let routable = false;
    if (received[0] === PACKET_COOKIE_ECHO && received.length >= 3 + COOKIE_LENGTH && received[1 + COOKIE_LENGTH] === PACKET_HANDSHAKE) {
      packet = received.subarray(1 + COOKIE_LENGTH);
      routable = this.#jar.check(received.subarray(1, 1 + COOKIE_LENGTH), rinfo.address, rinfo.port);
    }
    const socket = this.#socket!;
    const send = (p: Uint8Array) => socket.send(p, rinfo.port, rinfo.address, (err) => void err);
    const pending = this.#pending.get(key);
    const live = this.#live.get(key);
    const isFirst = packet.length >= 2 && packet[0] === PACKET_HANDSHAKE && packet[1] === 0;
    // While a new handshake from this address is pending, the live session keeps its traffic:
    // a replayed or forged message 1 must not divert it (transport packets the live session
    // cannot authenticate, e.g. the new handshake's acknowledgement, go on to the pending one).
    if (pending && live && packet[0] !== PACKET_HANDSHAKE && live.receive(packet)) return;
    if (pending) {
      // The latest message 1 from an address wins (the client restarted its handshake, or the
      // pending one was forged): a pending handshake never blocks a new one.
      if (!isFirst) return this.#advance(key, pending.session, packet, send, rinfo);
      if (equalBytes(packet, pending.first)) {
        // A copy of its message 1: the client retransmitting (behind its cookie, if it needed
        // one), or a replay, which gets nothing without the cookie.
        if (pending.routable && !routable) {
          this.dropped++;
          return;
        }
        return this.#advance(key, pending.session, packet, send, rinfo);
      }
      if (!routable && this.#cookieRequired()) return this.#askCookie(received, packet, send, rinfo); // it keeps its handshake
      clearTimeout(pending.timer);
      pending.session.destroy();
      this.#pending.delete(key);
    }
    if (live) {
      // A duplicate of the handshake is the live session's business; a new message 1 from the
      // same address starts a new handshake that replaces the session only once it completes.
      const before = live.stats.duplicateHandshakes;
      live.receive(packet);
      if (!isFirst || live.stats.duplicateHandshakes !== before) return;
    } else if (!isFirst) {
      this.dropped++;
      return;
    }
    if (!routable && this.#cookieRequired()) return this.#askCookie(received, packet, send, rinfo);
    const group = addressGroup(rinfo.address);
    let fromAddress = 0;
    for (const p of this.#pending.values()) if (p.address === group) fromAddress++;
    if (fromAddress >= (this.#options.maxHandshakesPerAddress ?? DEFAULT_MAX_HANDSHAKES_PER_ADDRESS)) {
      this.dropped++;
      return;
    }
    // Full: the oldest handshake makes room once this message 1 has been read (below), so a
    // message 1 that does not read (e.g. without the psk of a psk0 protocol) displaces nothing;
    // established sessions are never displaced.
    const full = this.#live.size + this.#pending.size >= (this.#options.maxSessions ?? 1024);
    if (full && this.#pending.size === 0) {
      this.dropped++;
      return;
    }
    let session: DatagramSession;
    let hs: HandshakeLike;
    try {
      hs = handshakeFor(this.#options, false);
      session = new DatagramSession(hs, false, this.#options.datagram, { verifyPeer: true });
    } catch (err) {
      this.emit('error', asNoiseError(err));
      return;
    }
    const timer = setTimeout(() => {
      this.#pending.get(key)?.session.destroy();
      this.#pending.delete(key);
    }, this.#options.handshakeTimeout ?? 10_000);
    this.#pending.set(key, { address: group, session, hs, timer, first: new Uint8Array(packet), accepted: false, routable, held: [] });
    this.#advance(key, session, packet, send, rinfo);
    if (full && this.#pending.get(key)?.session === session) {
      for (const [oldKey, old] of this.#pending) {
        if (oldKey === key) continue;
        clearTimeout(old.timer);
        old.session.destroy();
        this.#pending.delete(oldKey);
        this.dropped++;
        break;
      }
    }
  }

  /** No key generation, no DH, no state: a cookie reply, smaller than the packet it answers. */
  #askCookie(received: Uint8Array, message1: Uint8Array, send: (p: Uint8Array) => void, rinfo: RemoteInfo): void {
    if (received.length <= COOKIE_REPLY_LENGTH) {
      this.dropped++;
      return;
    }
    send(encodeCookie(this.#jar.make(rinfo.address, rinfo.port), cookieTag(message1)));
    this.cookiesSent++;
  }

  #advance(key: string, session: DatagramSession, packet: Uint8Array, send: (p: Uint8Array) => void, rinfo: RemoteInfo): void {
    const r = session.handle(packet);
    if (r.dropped === 'handshake-rejected' && !session.established) {
      // The first message did not authenticate (or was not a message of this protocol): forget it.
      const p = this.#pending.get(key);
      if (p && p.session === session && packet[1] === 0) {
        clearTimeout(p.timer);
        session.destroy();
        this.#pending.delete(key);
      }
    }
    for (const p of r.reply) send(p);
    const p = this.#pending.get(key);
    if (!p || p.session !== session) return;
    if (r.data && p.held.length < MAX_HELD) p.held.push(r.data);
    if (r.verify) {
      // The client's last handshake message is read: verifyRemote decides before the server sends
      // anything more (its next handshake message, or the acknowledgement).
      const refused = verifyPeer(this.#options.verifyRemote, session.remoteStaticKey);
      if (refused instanceof Promise) void refused.then((err) => this.#verified(key, p, err, send, rinfo));
      else this.#verified(key, p, refused, send, rinfo);
      return;
    }
    // Announce only once the peer proved it finished too (for IK: its acknowledgement), so a
    // replayed message 1 never produces a session.
    if (p.accepted && session.confirmed) this.#announce(key, p, send, rinfo);
  }

  #verified(key: string, p: Pending, refused: NoiseError | undefined, send: (p: Uint8Array) => void, rinfo: RemoteInfo): void {
    if (this.#pending.get(key) !== p) return; // replaced, expired or closed meanwhile
    if (refused) {
      clearTimeout(p.timer);
      this.#pending.delete(key);
      p.session.destroy();
      this.rejected++;
      this.emit('refused', refused, { address: rinfo.address, port: rinfo.port });
      return;
    }
    p.accepted = true;
    let out: Uint8Array[];
    try {
      out = p.session.accept();
    } catch {
      // Writing the next message failed (not reachable with a valid configuration): as a lost handshake.
      clearTimeout(p.timer);
      this.#pending.delete(key);
      p.session.destroy();
      this.dropped++;
      return;
    }
    for (const packet of out) send(packet);
    if (p.session.confirmed) this.#announce(key, p, send, rinfo);
  }

  #announce(key: string, p: Pending, send: (p: Uint8Array) => void, rinfo: RemoteInfo): void {
    clearTimeout(p.timer);
    this.#pending.delete(key);
    const session = p.session;
    this.#live.get(key)?.close();
    // eslint-disable-next-line prefer-const
    let udp: UdpSession;
    const mode = p.hs instanceof PipesResponder ? p.hs.mode : undefined;
    udp = new UdpSession(session, send, () => {
      if (this.#live.get(key) === udp) this.#live.delete(key);
    }, { address: rinfo.address, port: rinfo.port }, mode, this.#options.idleTimeout, (err) => this.emit('sessionError', err, udp));
    this.#live.set(key, udp);
    try {
      this.emit('session', udp);
    } catch (err) {
      udp.close();
      this.emit('sessionError', asNoiseError(err, 'a session listener threw: '), udp);
      return;
    }
    for (const m of p.held) if (!udp.closed) udp.emit('message', m);
  }

  /** Closes every session and the socket. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  #closing: Promise<void> | undefined;

  #close(): Promise<void> {
    for (const s of this.#live.values()) s.close();
    this.#jar.destroy();
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.session.destroy();
    }
    this.#pending.clear();
    const socket = this.#socket;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => {
      this.emit('close');
      resolve();
    }));
  }
}

/** Creates a UDP Noise server; call `listen()` next. */
export function createUdpServer(options: UdpServerOptions, onSession?: (s: UdpSession) => void): UdpServer {
  return new UdpServer(options, onSession);
}
