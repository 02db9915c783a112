/**
 * Socket benchmarks over loopback TCP (spec section 13 framing, src/net/): connections per second
 * (TCP connect, a whole handshake, one transport message) and one connection's throughput,
 * each interleaved round by round with the same traffic over plain TCP, its floor (the same
 * messages in the same order without cryptography; the same bytes). Client and
 * server run in this process, as the in-memory handshake pairs do. Every result is checked: each
 * connection's server sends its handshake hash as the first transport message and the client
 * compares it with its own; every byte a throughput round moves is compared with what was sent.
 */
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createServer, type NoiseServer } from '../net/server.js';
import { connect } from '../net/connect.js';
import type { NoiseSocket } from '../net/noise-socket.js';
import type { BackendChoice } from '../crypto/resolve.js';
import { parseProtocolName } from '../protocol-name.js';
import { median, ratio, type Rate } from './measure.js';
import { handshakePair, pairOptions } from './workloads.js';
import { TAG_LENGTH } from '../engine/cipher-state.js';
import { FRAME_HEADER_LENGTH } from '../net/framing.js';

export interface SocketBenchOptions {
  /** Full protocol name, e.g. `Noise_XX_25519_ChaChaPoly_BLAKE2b`. */
  readonly protocol: string;
  readonly backend: BackendChoice;
  readonly rounds: number;
  /** Connections: milliseconds of new connections per round and contender. */
  readonly ms: number;
  /** Connections kept in flight at once. */
  readonly concurrency: number;
  /** Throughput: bytes sent per round and contender. */
  readonly bytes: number;
  /** Throughput: bytes per write() (65,519 = one Noise message each). */
  readonly chunk: number;
}

export interface SocketResult {
  /** What was measured, e.g. `connections/s, Noise_XX_..., 8 in flight`. */
  readonly what: string;
  readonly noisekit: Rate;
  /** The same work over plain TCP. */
  readonly tcp: Rate;
  /** noisekit / plain TCP, the median of the per-round ratios. */
  readonly ratio: number;
}

/** A listening server and a function opening one client connection to it. */
interface Endpoint {
  /** Runs one connection to completion; rejects when its check fails. */
  connection(): Promise<void>;
  /** A connected client/server pair for streaming. */
  stream(): Promise<{ client: net.Socket | NoiseSocket; server: Promise<net.Socket | NoiseSocket> }>;
  close(): Promise<void>;
}

async function listen(server: net.Server | NoiseServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Everything `s` sends until it ends. */
function readAll(s: net.Socket | NoiseSocket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

/** `Noise_<pattern>_<suite>` of the options, split into its pattern (with modifiers) and suite. */
function patternAndSuite(protocol: string): [string, string] {
  const name = parseProtocolName(protocol);
  return [`${name.pattern}${name.modifiers.join('+')}`, `${name.dh}_${name.cipher}_${name.hash}`];
}

async function noiseEndpoint(o: SocketBenchOptions): Promise<Endpoint> {
  const sides = pairOptions(...patternAndSuite(o.protocol), o.backend);
  let streamed: ((s: NoiseSocket) => void) | undefined;
  const server = createServer({ ...sides.responder }, (s) => {
    if (streamed) return streamed(s);
    s.end(Buffer.from(s.handshakeHash!));
  });
  const port = await listen(server);
  const client = () => connect({ ...sides.initiator, host: '127.0.0.1', port });
  return {
    async connection() {
      const c = client();
      const got = await readAll(c);
      if (!c.handshakeHash || !Buffer.from(c.handshakeHash).equals(got)) throw new Error('bench check failed: the server did not send this connection\'s handshake hash');
    },
    async stream() {
      const server = new Promise<NoiseSocket>((resolve) => (streamed = resolve));
      const c = client();
      await new Promise<void>((resolve, reject) => c.once('secure', resolve).once('error', reject));
      return { client: c, server };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** One message of a connection: who sends it and its length on the wire (frame header included). */
interface WireMessage {
  readonly fromInitiator: boolean;
  readonly length: number;
}

/**
 * The messages one connection of `protocol` puts on the wire: each handshake message, then the
 * server's transport message carrying its handshake hash, each with its 2-byte length header
 * (spec section 13). Taken from a real in-memory handshake of the same protocol.
 */
export function wireMessages(o: Pick<SocketBenchOptions, 'protocol' | 'backend'>): WireMessage[] {
  const lengths: WireMessage[] = [];
  const [, responder] = handshakePair(...patternAndSuite(o.protocol), o.backend, (fromInitiator, m) => lengths.push({ fromInitiator, length: FRAME_HEADER_LENGTH + m.length }))();
  lengths.push({ fromInitiator: false, length: FRAME_HEADER_LENGTH + responder!.handshakeHash.length + TAG_LENGTH });
  return lengths;
}

/**
 * Plain TCP exchanging the same messages as a noisekit connection of `protocol`, in the same
 * order and of the same lengths (wireMessages), without any cryptography: what the connection
 * would cost if Noise were free. Each side sends its next message once it has received the
 * previous one whole; the server ends after the last.
 */
async function tcpEndpoint(o: SocketBenchOptions): Promise<Endpoint> {
  const flow = wireMessages(o);
  const fill = randomBytes(Math.max(...flow.map((m) => m.length)));
  let streamed: ((s: net.Socket) => void) | undefined;
  /** Plays one side of the flow on `s`; resolves with the bytes received, once the flow is over. */
  const play = (s: net.Socket, initiator: boolean): Promise<number> =>
    new Promise((resolve, reject) => {
      let step = 0;
      let have = 0;
      let total = 0;
      const advance = () => {
        while (step < flow.length) {
          const m = flow[step]!;
          if (m.fromInitiator === initiator) {
            s.write(fill.subarray(0, m.length));
            step++;
          } else if (have >= m.length) {
            have -= m.length;
            step++;
          } else return;
        }
        if (!initiator) s.end();
      };
      s.on('data', (d: Buffer) => {
        have += d.length;
        total += d.length;
        advance();
      });
      s.on('end', () => resolve(total));
      s.on('error', reject);
      advance();
    });
  const expected = flow.filter((m) => !m.fromInitiator).reduce((n, m) => n + m.length, 0);
  const server = net.createServer((s) => {
    if (streamed) return streamed(s);
    s.setNoDelay(true); // as NoiseSocket does
    play(s, false).catch(() => s.destroy());
  });
  const port = await listen(server);
  return {
    async connection() {
      const c = net.connect(port, '127.0.0.1');
      c.setNoDelay(true);
      const got = await play(c, true);
      if (got !== expected) throw new Error(`bench check failed: plain TCP received ${got} bytes of ${expected}`);
    },
    async stream() {
      const server = new Promise<net.Socket>((resolve) => (streamed = resolve));
      const c = net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => c.once('connect', resolve).once('error', reject));
      return { client: c, server };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Connections completed in one slot of `ms`, `concurrency` in flight (the last ones drained). */
async function connectionSlot(e: Endpoint, ms: number, concurrency: number): Promise<number> {
  const t0 = performance.now();
  let done = 0;
  const worker = async () => {
    while (performance.now() - t0 < ms) {
      await e.connection();
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (done * 1000) / (performance.now() - t0);
}

/**
 * Sends `bytes` from `client` to `server` in writes of `chunk` (waiting for 'drain' when asked),
 * checking every received byte against the source; bytes per second from the first write to the
 * last byte received.
 */
async function streamRound(client: net.Socket | NoiseSocket, server: net.Socket | NoiseSocket, block: Buffer, bytes: number): Promise<number> {
  const t0 = performance.now();
  const received = new Promise<void>((resolve, reject) => {
    let off = 0;
    const onData = (d: Buffer) => {
      // Compare with the source block at the same stream offset (it repeats every block.length bytes).
      for (let i = 0; i < d.length; ) {
        const at = (off + i) % block.length;
        const n = Math.min(d.length - i, block.length - at);
        if (Buffer.compare(d.subarray(i, i + n), block.subarray(at, at + n)) !== 0) {
          server.off('data', onData);
          return reject(new Error(`bench check failed: byte ${off + i} of the stream differs from what was sent`));
        }
        i += n;
      }
      off += d.length;
      if (off >= bytes) {
        server.off('data', onData);
        if (off > bytes) reject(new Error(`bench check failed: ${off} bytes received, ${bytes} sent`));
        else resolve();
      }
    };
    server.on('data', onData);
  });
  for (let sent = 0; sent < bytes; ) {
    // Each write is a whole block (or the last part of one), so stream offsets and block offsets agree.
    const n = Math.min(block.length, bytes - sent);
    sent += n;
    if (!client.write(n === block.length ? block : block.subarray(0, n))) await new Promise((resolve) => client.once('drain', resolve));
  }
  await received;
  return (bytes * 1000) / (performance.now() - t0);
}

/**
 * Runs `ours` and `plain` once each per round for `rounds` rounds, alternating which goes first,
 * and returns both rates and their median per-round ratio.
 */
async function interleave(rounds: number, ours: () => Promise<number>, plain: () => Promise<number>): Promise<Pick<SocketResult, 'noisekit' | 'tcp' | 'ratio'>> {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2) b.push(await plain());
    a.push(await ours());
    if (!(r % 2)) b.push(await plain());
  }
  const noisekit = { perSecond: median(a), rounds: a };
  const tcp = { perSecond: median(b), rounds: b };
  return { noisekit, tcp, ratio: ratio(noisekit, tcp) };
}

/**
 * Connections per second: noisekit (TCP connect, handshake, one transport message, end) against
 * plain TCP exchanging the same messages without cryptography.
 */
export async function socketConnections(o: SocketBenchOptions): Promise<SocketResult> {
  const [ours, tcp] = [await noiseEndpoint(o), await tcpEndpoint(o)];
  try {
    // Warm-up: JIT and the first handshakes' one-time work.
    await connectionSlot(ours, Math.max(200, o.ms), o.concurrency);
    await connectionSlot(tcp, Math.max(200, o.ms), o.concurrency);
    const rates = await interleave(o.rounds, () => connectionSlot(ours, o.ms, o.concurrency), () => connectionSlot(tcp, o.ms, o.concurrency));
    return { what: `connections/s, ${o.protocol} (${String(o.backend)}), ${o.concurrency} in flight`, ...rates };
  } finally {
    await Promise.all([ours.close(), tcp.close()]);
  }
}

/** One connection's throughput: `bytes` per round in writes of `chunk`, noisekit against plain TCP. */
export async function socketThroughput(o: SocketBenchOptions): Promise<SocketResult> {
  const block = randomBytes(o.chunk);
  const [ours, tcp] = [await noiseEndpoint(o), await tcpEndpoint(o)];
  const [os, ts] = [await ours.stream(), await tcp.stream()];
  const [oServer, tServer] = [await os.server, await ts.server];
  try {
    await streamRound(os.client, oServer, block, Math.min(o.bytes, 8 << 20));
    await streamRound(ts.client, tServer, block, Math.min(o.bytes, 8 << 20));
    const rates = await interleave(o.rounds, () => streamRound(os.client, oServer, block, o.bytes), () => streamRound(ts.client, tServer, block, o.bytes));
    return { what: `MB/s one way, ${o.protocol} (${String(o.backend)}), writes of ${o.chunk} B`, ...rates };
  } finally {
    for (const s of [os.client, ts.client, oServer, tServer]) s.destroy();
    await Promise.all([ours.close(), tcp.close()]);
  }
}

/** The settings `noisekit bench` and `npm run bench` run the TCP benchmarks with. */
export const SOCKET_BENCH = { concurrency: 8, bytes: 16 << 20, chunk: 65519, minMs: 200 } as const;

export interface SocketRun {
  readonly backend: string;
  readonly kind: 'connections' | 'throughput';
  readonly result: SocketResult;
}

/**
 * Both TCP benchmarks of `protocol` for each backend, with {@link SOCKET_BENCH}'s settings and
 * slots of at least 200 ms. The stablelib backend is left out: its X25519 alone caps it near 200
 * connections/s, which says nothing about the socket layer.
 */
export async function socketBench(protocol: string, backends: readonly BackendChoice[], rounds: number, ms: number): Promise<SocketRun[]> {
  const out: SocketRun[] = [];
  for (const backend of backends.filter((b) => b !== 'stablelib')) {
    const o = { protocol, backend, rounds, ms: Math.max(SOCKET_BENCH.minMs, ms), concurrency: SOCKET_BENCH.concurrency, bytes: SOCKET_BENCH.bytes, chunk: SOCKET_BENCH.chunk };
    out.push({ backend: String(backend), kind: 'connections', result: await socketConnections(o) });
    out.push({ backend: String(backend), kind: 'throughput', result: await socketThroughput(o) });
  }
  return out;
}
