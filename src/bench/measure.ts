/**
 * Timing helpers for the benchmarks: contenders that are compared run interleaved for a time
 * budget per round, several rounds, and each reports the median rate. Work functions check their own results and throw
 * on any mismatch, which fails the whole bench (a benchmark nobody checks measures nothing).
 */
import { equalBytes } from '../bytes.js';

export interface Rate {
  /** Median operations per second over the rounds. */
  readonly perSecond: number;
  /** Every round's rate, in run order. */
  readonly rounds: readonly number[];
  /**
   * Every round's minor page faults (pages the kernel mapped in afresh during the slot), in run
   * order: a round slowed by the allocator handing memory back to the kernel and faulting it in
   * again shows here (bench/report.ts pageFaultNote).
   */
  readonly pageFaults?: readonly number[];
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
export function measureGroup(contenders: readonly Contender[], opts: { ms: number; rounds: number; warmCpuMs?: number }): Map<string, Rate> {
  (globalThis as { gc?: () => void }).gc?.();
  for (const c of contenders) warmUp(c, opts.warmCpuMs ?? 0);
  const plans = contenders.map((c) => ({ c, batch: calibrate(c, Math.min(50, opts.ms / 4), opts.ms), rounds: [] as number[], pageFaults: [] as number[] }));
  for (let r = 0; r < opts.rounds; r++) {
    for (let k = 0; k < plans.length; k++) {
      const plan = plans[(k + r) % plans.length]!;
      const { calls, elapsedMs, pageFaults } = runSlot(plan.c, plan.batch, opts.ms);
      plan.rounds.push((calls * (plan.c.opsPerCall ?? 1) * 1000) / elapsedMs);
      plan.pageFaults.push(pageFaults);
    }
  }
  return new Map(plans.map((p) => [p.c.name, { perSecond: median(p.rounds), rounds: p.rounds, pageFaults: p.pageFaults }]));
}

/**
 * Runs `c` until this process has used `cpuMs` of CPU time (its JIT warm-up). Measured, 80 ms
 * slots from a fresh process: noisekit's stablelib XX pairs run at 45-75% of their settled rate
 * for about half a second, its auto XX pairs at 20-85% for 0.6-0.9 s, while a loop of bare scalar
 * multiplications is at speed from the first slot; a warm-up shorter than that penalises
 * whoever has more code to compile. CPU time, not wall time, because the contenders of a group
 * warm up at the same time.
 */
export function warmUp(c: Contender, cpuMs: number): void {
  const u0 = process.cpuUsage();
  const used = () => {
    const u = process.cpuUsage(u0);
    return (u.user + u.system) / 1000;
  };
  do c.work();
  while (used() < cpuMs);
}

/**
 * Runs `c` for `warmMs` (the last of its warm-up) and returns the batch size for slots of
 * `slotMs`: calls taking about a tenth of a slot, so the clock is read rarely but the slot ends
 * close to time.
 */
export function calibrate(c: Contender, warmMs: number, slotMs: number): number {
  const w0 = performance.now();
  let calls = 0;
  do {
    c.work();
    calls++;
  } while (performance.now() - w0 < warmMs);
  const perCallMs = (performance.now() - w0) / calls;
  return Math.max(1, Math.floor(slotMs / 10 / Math.max(perCallMs, 1e-6)));
}

/** One time slot: batches of `batch` calls until `ms` have passed; with this process's minor page faults in it. */
export function runSlot(c: Contender, batch: number, ms: number): { calls: number; elapsedMs: number; pageFaults: number } {
  let calls = 0;
  const f0 = process.resourceUsage().minorPageFault;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < batch; i++) c.work();
    calls += batch;
    t = performance.now();
  }
  return { calls, elapsedMs: t - t0, pageFaults: process.resourceUsage().minorPageFault - f0 };
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
 * Byte-exact equality: native compare for large arrays; equalBytes (src/bytes.ts) for small ones, whose `.buffer`
 * would first move them off V8's heap (~0.8 µs each, src/bytes.ts ON_HEAP_MAX) and so charge the
 * check to whichever contender returns plain small Uint8Arrays rather than Buffers.
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length <= 64 || a.length !== b.length) return equalBytes(a, b);
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}
