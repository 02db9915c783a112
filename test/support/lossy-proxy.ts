/**
 * A UDP relay on 127.0.0.1 between one client and one server that loses, duplicates, delays
 * (reorders), replays and forges datagrams with a seeded PRNG, so datagram-mode tests can check
 * what gets delivered. Test support only; bounded and closed by the test.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { randomBytes } from 'node:crypto';

/** What happens to each datagram in one direction (probabilities in [0, 1]). */
export interface Impairment {
  loss?: number;
  duplicate?: number;
  /** Probability that a datagram is held back by a random delay up to maxDelayMs. */
  reorder?: number;
  maxDelayMs?: number;
  /** Probability that an earlier datagram of this direction is sent again (an attacker's replay). */
  replay?: number;
  /** Probability that a random forged transport packet is injected. */
  forge?: number;
  /** Drop the first N datagrams of this direction unconditionally. */
  dropFirst?: number;
  /** Drop the datagrams of this direction at these positions (1 = the first). */
  dropAt?: readonly number[];
  /** Send each of the first N datagrams of this direction first with its last byte flipped (a forgery). */
  tamperFirst?: number;
}

export interface DirectionStats {
  seen: number;
  dropped: number;
  duplicated: number;
  delayed: number;
  replayed: number;
  forged: number;
}

export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function lossyProxy(target: { port: number; host?: string }, up: Impairment, down: Impairment, seed = 1) {
  const host = target.host ?? '127.0.0.1';
  const rnd = prng(seed);
  const sock = createSocket('udp4');
  const timers = new Set<NodeJS.Timeout>();
  let client: RemoteInfo | undefined;
  let closed = false;
  const stats = { up: blank(), down: blank() };
  const history = { up: [] as Buffer[], down: [] as Buffer[] };

  function blank(): DirectionStats {
    return { seen: 0, dropped: 0, duplicated: 0, delayed: 0, replayed: 0, forged: 0 };
  }
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms);
    timers.add(t);
  };

  sock.on('message', (msg, rinfo) => {
    const fromServer = rinfo.port === target.port && rinfo.address === host;
    if (!fromServer) client = rinfo;
    if (!client) return;
    const dir = fromServer ? 'down' : 'up';
    const imp = fromServer ? down : up;
    const s = stats[dir];
    const to = fromServer ? client : { port: target.port, address: host };
    const out = (b: Buffer) => sock.send(b, to.port, to.address, () => undefined);
    s.seen++;
    history[dir].push(msg);
    if (s.seen <= (imp.tamperFirst ?? 0)) {
      s.forged++;
      const bad = Buffer.from(msg);
      bad[bad.length - 1]! ^= 1;
      out(bad);
    }
    if (s.seen <= (imp.dropFirst ?? 0) || imp.dropAt?.includes(s.seen) || rnd() < (imp.loss ?? 0)) s.dropped++;
    else if (rnd() < (imp.reorder ?? 0)) {
      s.delayed++;
      later(1 + rnd() * (imp.maxDelayMs ?? 20), () => out(msg));
    } else out(msg);
    if (rnd() < (imp.duplicate ?? 0)) {
      s.duplicated++;
      later(rnd() * (imp.maxDelayMs ?? 20), () => out(msg));
    }
    if (rnd() < (imp.replay ?? 0) && history[dir].length > 1) {
      s.replayed++;
      const old = history[dir][Math.floor(rnd() * history[dir].length)]!;
      later(rnd() * (imp.maxDelayMs ?? 20), () => out(old));
    }
    if (rnd() < (imp.forge ?? 0)) {
      s.forged++;
      const forged = Buffer.concat([Buffer.from([0x02]), randomBytes(8 + 16 + Math.floor(rnd() * 40))]);
      out(forged);
    }
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return {
    port: sock.address().port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        timers.forEach(clearTimeout);
        sock.close(() => resolve());
      }),
  };
}
