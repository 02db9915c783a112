/**
 * Timing helpers for the benchmarks: each measurement runs a work function for a time budget,
 * several rounds, and reports the median rate. Work functions check their own results and throw
 * on any mismatch, which fails the whole bench (a benchmark nobody checks measures nothing).
 */

export interface Rate {
  /** Median operations per second over the rounds. */
  readonly perSecond: number;
  /** Every round's rate, in run order. */
  readonly rounds: readonly number[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Runs `work` (which performs `opsPerCall` operations) repeatedly for about `ms` milliseconds
 * per round, `rounds` times, after a short warm-up; returns the median operations per second.
 */
export function measure(work: () => void, opts: { ms: number; rounds: number; opsPerCall?: number }): Rate {
  const ops = opts.opsPerCall ?? 1;
  // Warm-up: JIT and caches, and a first estimate of the cost of one call.
  const w0 = performance.now();
  let calls = 0;
  do {
    work();
    calls++;
  } while (performance.now() - w0 < Math.min(50, opts.ms / 4));
  const perCallMs = (performance.now() - w0) / calls;
  const batch = Math.max(1, Math.floor(opts.ms / 10 / Math.max(perCallMs, 1e-6)));
  const rounds: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < opts.ms) {
      for (let i = 0; i < batch; i++) work();
      n += batch;
      t = performance.now();
    }
    rounds.push((n * ops * 1000) / (t - t0));
  }
  return { perSecond: median(rounds), rounds };
}

/** Throws (failing the bench) unless `ok`. */
export function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`bench check failed: ${what}`);
}

/** Byte-exact equality (native compare). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}
