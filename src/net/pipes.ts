/**
 * Noise Pipes over TCP (spec sections 10.2-10.4): `pipesConnect()` and `createPipesServer()`.
 *
 * Wire format: every message is a frame (16-bit big-endian length + message, section 13, the
 * same framing as connect()/createServer()). Inside the frames, Noise Pipes adds exactly two
 * negotiation bytes per connection (pipes/negotiation.ts): one before handshake message 1
 * (0x00 XX, 0x01 IK) and one before message 2 (0x00 XX, 0x01 IK, 0x02 XXfallback). Message 3
 * and all transport messages are as in connect()/createServer().
 *
 * Early data: the client's `earlyData` goes in the IK message (zero-RTT) when a server key is
 * cached; when there is none, or the server falls back, it goes in handshake message 3 instead
 * (encrypted, after the server's new key was checked). Either way the server application gets it
 * exactly once, as the first bytes of the stream, and only after `verifyRemote` accepted the
 * client. Zero-RTT data can be replayed by an attacker who recorded the IK message (see
 * docs/pipes.md): send only idempotent requests in it.
 *
 * Once the handshake is done the connection is a NoiseSocket (NoiseSocket.fromTransport), with
 * its end-of-stream, rekey and timeout rules.
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { NoiseError } from '../errors.js';
import { checkBytes, EMPTY } from '../bytes.js';
import { FrameReader } from './frame-reader.js';
import { AddressSlots, maxPerAddress } from './address-slots.js';
import { PipesInitiator } from '../pipes/initiator.js';
import { PipesResponder } from '../pipes/responder.js';
import type { PipesOptions } from '../pipes/options.js';
import type { KeyCache } from '../pipes/key-cache.js';
import type { PipesMode } from '../pipes/negotiation.js';
import { encodeFrame } from './framing.js';
import { NoiseSocket, type TransportInfo } from './noise-socket.js';
import type { TransportState } from '../engine/transport-state.js';
import { checkSocketOptions, DEFAULT_HANDSHAKE_TIMEOUT, maxHandshakes, type NoiseSocketOptions, type RekeyOptions, type VerifyRemote } from './options.js';
import { asNoiseError, streamError, verifyRejection } from './stream-error.js';
import { listenNet } from './listen.js';

/** Options of both ends of a Noise Pipe over TCP. */
export interface PipesSocketOptions extends Omit<PipesOptions, 'staticKeyPair'> {
  staticKeyPair: PipesOptions['staticKeyPair'];
  /** Accept or refuse the peer (its static key and handshake payloads) before any data flows. */
  verifyRemote?: VerifyRemote;
  /** Milliseconds allowed for the handshake (default 10 000). */
  handshakeTimeout?: number;
  /** Milliseconds without traffic after which the connection is closed (default off). */
  idleTimeout?: number;
  /** Automatic rekey policy (section 11.3), the same on both ends. */
  rekey?: RekeyOptions;
}

/** Options of pipesConnect(). */
export interface PipesConnectOptions extends PipesSocketOptions {
  host?: string;
  port: number;
  /** Server static keys cached by peer name: IK when one is cached, XX otherwise; updated after each handshake. */
  keyCache?: KeyCache;
  /** The server's name in the key cache (default `host:port`). */
  peer?: string;
  /** Data delivered to the server as the first bytes of the stream (zero-RTT when possible). */
  earlyData?: Uint8Array;
}

/** What a Pipes handshake ended with, on the socket as `pipes`. */
export interface PipesResult {
  /** The pattern used: XX, IK, or XXfallback. */
  mode: PipesMode;
  /** True when the early data went in the IK message and the server accepted it. */
  earlyDataAccepted: boolean;
}

/** Most bytes held while a handshake runs: two maximal frames (the rest waits in the socket). */
const MAX_HANDSHAKE_BUFFER = 2 * (2 + 65535);


/**
 * Runs one side's Pipes handshake on `raw`. `step(frame)` is called per received frame and
 * returns the frames to send and whether it is done.
 */
function runHandshake(raw: Duplex, timeoutMs: number, step: (frame: Uint8Array) => Promise<boolean>): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const reader = new FrameReader();
    let busy = false;
    let done = false;
    const timer = timeoutMs > 0 ? setTimeout(() => finish(new NoiseError('ERR_NOISE_HANDSHAKE_TIMEOUT', `the handshake did not finish within ${timeoutMs} ms`)), timeoutMs) : undefined;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onError);
      raw.off('close', onEnd);
      if (err) {
        raw.destroy();
        reject(err);
      } else {
        raw.pause();
        resolve(reader.rest);
      }
    };
    const pump = async () => {
      if (busy || done) return;
      busy = true;
      // Nothing is read while a frame is processed (verifyRemote may take a while): what the peer
      // sends after its last handshake message waits in the stream, where NoiseSocket takes it
      // with backpressure, instead of piling up here against the flood limit.
      raw.pause();
      try {
        for (let f = reader.next(); f && !done; f = reader.next()) {
          if (await step(f)) return finish();
        }
      } catch (err) {
        finish(err);
      } finally {
        busy = false;
        if (!done) raw.resume();
      }
    };
    const onData = (chunk: Uint8Array) => {
      reader.push(chunk);
      // A Pipes handshake is at most 3 frames; a peer that floods us is cut off, not buffered.
      if (reader.size > MAX_HANDSHAKE_BUFFER) return finish(new NoiseError('ERR_NOISE_PROTOCOL', `more than ${MAX_HANDSHAKE_BUFFER} bytes received during the handshake`));
      void pump();
    };
    const onEnd = () => finish(new NoiseError('ERR_NOISE_TRUNCATED', 'the connection closed during the handshake'));
    const onError = (err: Error) => finish(streamError(err));
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('close', onEnd);
    raw.on('error', onError);
  });
}

async function verify(fn: VerifyRemote | undefined, key: Uint8Array | undefined, payloads: Uint8Array[]): Promise<void> {
  if (!fn) return;
  let ok = false;
  try {
    ok = await fn(key, payloads);
  } catch (err) {
    throw verifyRejection(err);
  }
  if (ok !== true) throw verifyRejection(undefined);
}

/** NoiseSocket.fromTransport, destroying the stream and the keys if it throws. */
function wrapTransport(raw: Duplex, transport: TransportState, info: TransportInfo, options: Partial<NoiseSocketOptions>, rest: Uint8Array): NoiseSocket & { pipes: PipesResult } {
  try {
    return NoiseSocket.fromTransport(raw, transport, info, options, rest) as NoiseSocket & { pipes: PipesResult };
  } catch (err) {
    transport.destroy();
    raw.destroy();
    throw err;
  }
}

function socketOptions(o: PipesSocketOptions) {
  return { idleTimeout: o.idleTimeout, rekey: o.rekey, backend: o.backend };
}

/**
 * Connects to a Noise Pipes server. Resolves with a secure NoiseSocket (its `pipes` property says
 * which pattern was used) once the handshake is done, `verifyRemote` accepted the server and the
 * key cache was updated. Rejects with a NoiseError.
 */
export async function pipesConnect(options: PipesConnectOptions): Promise<NoiseSocket & { pipes: PipesResult }> {
  if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
  // Every option is checked before anything is sent: a bad one found after the handshake would
  // come after the early data had reached the server.
  checkSocketOptions(options as Partial<NoiseSocketOptions>);
  if ((!Number.isInteger(options.port) || options.port! < 1 || options.port! > 65535)) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'port must be an integer from 1 to 65535');
  }
  const kc = options.keyCache as unknown;
  if (kc !== undefined && (typeof kc !== 'object' || kc === null || typeof (kc as KeyCache).get !== 'function' || typeof (kc as KeyCache).set !== 'function')) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'keyCache must have get() and set() (MemoryKeyCache, FileKeyCache)');
  }
  const host = options.host ?? '127.0.0.1';
  const peer = options.peer ?? `${host}:${options.port}`;
  const early = options.earlyData ?? EMPTY;
  checkBytes('earlyData', early);
  const cached = options.keyCache ? await options.keyCache.get(peer) : undefined;
  const alice = new PipesInitiator({ ...options, remoteStaticKey: cached });
  const raw = net.connect({ host, port: options.port, allowHalfOpen: true });
  const payloads: Uint8Array[] = [];
  let rest: Uint8Array;
  try {
    raw.write(encodeFrame(alice.writeMessage(alice.attempted === 'IK' ? early : EMPTY)));
    rest = await runHandshake(raw, options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT, async (frame) => {
      payloads.push(alice.readMessage(frame));
      await verify(options.verifyRemote, alice.remoteStaticKey, payloads);
      if (!alice.isFinished) raw.write(encodeFrame(alice.writeMessage(early))); // XX / XXfallback message 3
      return true;
    });
    if (options.keyCache && alice.remoteStaticKey) {
      // The handshake's listeners are gone and the socket's are not there yet: a reset while the
      // cache is written (a file, for FileKeyCache) must reject, not be an unhandled 'error'.
      let failed: Error | undefined;
      const onError = (e: Error) => void (failed ??= e);
      raw.on('error', onError);
      try {
        await options.keyCache.set(peer, alice.remoteStaticKey);
      } finally {
        raw.off('error', onError);
      }
      if (failed) throw streamError(failed);
    }
  } catch (err) {
    alice.destroy();
    raw.destroy();
    throw err;
  }
  const result: PipesResult = { mode: alice.mode, earlyDataAccepted: alice.earlyDataAccepted };
  const info = { protocol: alice.protocol, initiator: alice.mode !== 'XXfallback', remoteStaticKey: alice.remoteStaticKey, handshakeHash: alice.handshakeHash, remoteHandshakePayloads: payloads };
  // The socket resumes `raw` itself, and pauses it again when its reader falls behind.
  const sock = wrapTransport(raw, alice.split(), info, socketOptions(options), rest);
  sock.pipes = result;
  return sock;
}

/** Options of createPipesServer(). */
export interface PipesServerOptions extends PipesSocketOptions {
  /** Handshakes allowed at once (default 128); more connections are closed at once. */
  maxConcurrentHandshakes?: number;
  /** Of those, how many one remote address may run (default 16; as in NoiseServerOptions). */
  maxHandshakesPerAddress?: number;
}

/** The events of a PipesServer and their arguments. */
export interface PipesServerEvents {
  secureConnection: [socket: NoiseSocket & { pipes: PipesResult }];
  connectionError: [err: NoiseError];
  listening: [];
  close: [];
  /** Listen errors only. */
  error: [err: Error];
}

/**
 * A Noise Pipes server. Events: 'secureConnection' (NoiseSocket with `pipes`), 'connectionError'
 * (err), 'listening', 'close', 'error' (listen errors only, e.g. EADDRINUSE; as with net.Server,
 * an 'error' without a listener ends the process). A bad connection never affects the others.
 */
export class PipesServer extends EventEmitter<PipesServerEvents> {
  readonly netServer: net.Server;
  readonly #options: PipesServerOptions;
  /** The streams whose handshake is running (closed by close(): their peers are not authenticated yet). */
  readonly #handshaking = new Set<Duplex>();
  /** Established connections, until they close (for closeAllConnections()). */
  readonly #secured = new Set<NoiseSocket>();
  readonly #max: number;
  readonly #perAddress: AddressSlots;
  /** Counters by outcome and mode. */
  readonly stats = { secured: 0, failed: 0, refused: 0, XX: 0, IK: 0, XXfallback: 0 };

  /** Use createPipesServer(). Bad options throw here. */
  constructor(options: PipesServerOptions, onSecureConnection?: (s: NoiseSocket & { pipes: PipesResult }) => void) {
    super();
    new PipesResponder(options).destroy(); // checks keys, suite and psks once
    checkSocketOptions(options as Partial<NoiseSocketOptions>); // timeouts, rekey, verifyRemote
    this.#max = maxHandshakes(options.maxConcurrentHandshakes);
    this.#perAddress = new AddressSlots(maxPerAddress(options.maxHandshakesPerAddress));
    this.#options = { ...options };
    if (onSecureConnection) this.on('secureConnection', onSecureConnection);
    this.netServer = net.createServer({ allowHalfOpen: true }, (raw) => {
      raw.on('error', () => undefined);
      void this.#accept(raw, raw.remoteAddress).catch((err) => {
        this.stats.failed++;
        this.emit('connectionError', asNoiseError(err));
      });
    });
    this.netServer.on('listening', () => this.emit('listening'));
    this.netServer.on('close', () => this.emit('close'));
    this.netServer.on('error', (err) => this.emit('error', err)); // listen errors, as NoiseServer
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

  /**
   * Stops accepting connections and closes the handshakes still running, as NoiseServer does;
   * established connections stay open until they end.
   */
  close(cb?: (err?: Error) => void): this {
    this.netServer.close(cb);
    for (const raw of this.#handshaking) raw.destroy();
    return this;
  }

  /** Destroys every connection of this server, established ones included (as NoiseServer's). */
  closeAllConnections(): void {
    for (const raw of this.#handshaking) raw.destroy();
    for (const s of this.#secured) s.destroy();
  }

  /** Runs the server side of a Noise Pipe on an open stream; resolves with the secure socket. */
  async handle(raw: Duplex): Promise<NoiseSocket & { pipes: PipesResult }> {
    return this.#accept(raw, undefined);
  }

  /** handle(), with `address` counted against maxHandshakesPerAddress while the handshake runs. */
  async #accept(raw: Duplex, address: string | undefined): Promise<NoiseSocket & { pipes: PipesResult }> {
    const o = this.#options;
    const full = this.#handshaking.size >= this.#max;
    if (full || !this.#perAddress.take(address)) {
      this.stats.refused++;
      raw.destroy();
      throw new NoiseError('ERR_NOISE_TOO_MANY_HANDSHAKES', full ? `${this.#max} handshakes already in progress` : `${address} already runs its share of handshakes (maxHandshakesPerAddress)`);
    }
    this.#handshaking.add(raw);
    const bob = new PipesResponder(o);
    const payloads: Uint8Array[] = [];
    let rest: Uint8Array;
    try {
      rest = await runHandshake(raw, o.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT, async (frame) => {
        payloads.push(bob.readMessage(frame));
        if (bob.isFinished || bob.mode === 'IK') await verify(o.verifyRemote, bob.remoteStaticKey, payloads);
        if (bob.action === 'write') raw.write(encodeFrame(bob.writeMessage()));
        return bob.isFinished;
      });
    } catch (err) {
      bob.destroy();
      throw err;
    } finally {
      this.#handshaking.delete(raw);
      this.#perAddress.release(address);
    }
    const mode = bob.mode!;
    // The early data: the IK payload, or the payload of XX/XXfallback message 3.
    const early = mode === 'IK' ? payloads[0]! : payloads[payloads.length - 1]!;
    const info = { protocol: bob.protocol!, initiator: mode === 'XXfallback', remoteStaticKey: bob.remoteStaticKey, handshakeHash: bob.handshakeHash, remoteHandshakePayloads: payloads };
    const sock = wrapTransport(raw, bob.split(), info, socketOptions(o), rest);
    sock.pipes = { mode, earlyDataAccepted: bob.earlyDataAccepted };
    if (early.length > 0) sock.unshift(early);
    this.stats.secured++;
    this.stats[mode]++;
    this.#secured.add(sock);
    sock.once('close', () => this.#secured.delete(sock));
    sock.on('error', (err) => {
      this.stats.failed++;
      this.emit('connectionError', asNoiseError(err));
    });
    try {
      this.emit('secureConnection', sock);
    } catch (err) {
      // As NoiseServer: the application's exception closes this connection, not the server.
      sock.destroy(asNoiseError(err, "a 'secureConnection' listener threw: "));
    }
    return sock;
  }
}

/** Creates a Noise Pipes server (call listen() next). */
export function createPipesServer(options: PipesServerOptions, onSecureConnection?: (s: NoiseSocket & { pipes: PipesResult }) => void): PipesServer {
  return new PipesServer(options, onSecureConnection);
}
