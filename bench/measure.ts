/**
 * Timing helpers for the benchmarks: contenders that are compared run interleaved for a time
 * budget per round, several rounds, and each reports the median rate. Work functions check their own results and throw
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

export interface Contender {
  readonly name: string;
  readonly work: () => void;
  /** Operations (or bytes) per call of `work`; default 1. */
  readonly opsPerCall?: number;
}

/**
 * Measures contenders that will be compared with each other *interleaved*: every round runs each
 * of them for `ms` in turn (the order rotates from round to round), so a slow phase of a shared
 * machine hits all of them alike. Ratios are then taken round by round ({@link ratio}).
 */
export function measureGroup(contenders: readonly Contender[], opts: { ms: number; rounds: number }): Map<string, Rate> {
  (globalThis as { gc?: () => void }).gc?.();
  const plans = contenders.map((c) => {
    const w0 = performance.now();
    let calls = 0;
    do {
      c.work();
      calls++;
    } while (performance.now() - w0 < Math.min(50, opts.ms / 4));
    const perCallMs = (performance.now() - w0) / calls;
    return { c, batch: Math.max(1, Math.floor(opts.ms / 10 / Math.max(perCallMs, 1e-6))), rounds: [] as number[] };
  });
  for (let r = 0; r < opts.rounds; r++) {
    for (let k = 0; k < plans.length; k++) {
      const plan = plans[(k + r) % plans.length]!;
      let n = 0;
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < opts.ms) {
        for (let i = 0; i < plan.batch; i++) plan.c.work();
        n += plan.batch;
        t = performance.now();
      }
      plan.rounds.push((n * (plan.c.opsPerCall ?? 1) * 1000) / (t - t0));
    }
  }
  return new Map(plans.map((p) => [p.c.name, { perSecond: median(p.rounds), rounds: p.rounds }]));
}

/**
 * a / b as the median of the per-round ratios when both were measured in the same interleaved
 * rounds, otherwise the ratio of the medians.
 */
export function ratio(a: Rate | undefined, b: Rate | undefined): number {
  if (!a || !b) return NaN;
  if (a.rounds.length && a.rounds.length === b.rounds.length) return median(a.rounds.map((x, i) => x / b.rounds[i]!));
  return a.perSecond / b.perSecond;
}

/** Throws (failing the bench) unless `ok`. */
export function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`bench check failed: ${what}`);
}

/**
 * Byte-exact equality: native compare for large arrays; a loop for small ones, whose `.buffer`
 * would first move them off V8's heap (~0.8 µs each, src/bytes.ts ON_HEAP_MAX) and so charge the
 * check to whichever contender returns plain small Uint8Arrays rather than Buffers.
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.length <= 64) {
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
    return diff === 0;
  }
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}
