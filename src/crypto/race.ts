/**
 * An online choice between two implementations of one operation that compute the same function
 * (the `auto` backend's ChaChaPoly for large messages, crypto/auto.ts), made by timing real
 * calls and kept up to date:
 *
 * - until decided, calls alternate between the two in runs of `burst` calls, timed (time per
 *   byte); once each has `samples` timings, the one with the lower median is chosen;
 * - from then on, every `probeEvery` calls a run of `burst` goes to the other implementation and
 *   a run to the chosen one, both timed, keeping the last `samples` timings of each; when the
 *   other's median is lower by more than `margin`, it becomes the choice.
 *
 * The first call of every run is not timed: measured here, node:crypto's first encryption of
 * 65,519 B after some milliseconds of not running took 135-200 µs and the next ones 31-35 µs
 * (the vector units warming up, it seems), so single-call probes judged it 5x slower than it is.
 *
 * Why keep probing: the faster one can change within a process. Measured on this project's
 * machines (65,519 B messages, the two alternating): node:crypto took 110-190 µs per encryption
 * and libsodium 70-85 µs until the process's first major garbage collection, and then 30-40
 * against 50-70 µs (until then every output array is fresh memory the kernel must fault in,
 * and node:crypto allocates more arrays per message). A choice made once on the first messages
 * picked libsodium nearly every time, though node:crypto is faster for the rest of the process.
 * Alternating cancels drift common to both (a clock ramping up, a busy neighbour); the median
 * drops calls that a collection hit. Cost once decided: the probes (`burst` in `probeEvery`
 * calls run the slower implementation) and two clock reads per timed call.
 */
export class Race {
  readonly samples: number;
  readonly probeEvery: number;
  readonly burst: number;
  readonly margin: number;
  /** The last `samples` timings (ms per byte) of each implementation, as rings. */
  readonly #times: [number[], number[]] = [[], []];
  readonly #next: [number, number] = [0, 0];
  #calls = 0;
  #winner: 0 | 1 | undefined;
  readonly #fixed: boolean;

  /**
   * `samples`: timings kept per implementation; `burst`: calls per run (the first untimed);
   * `probeEvery`: calls between probes once decided; `margin`: how much faster (0.05 = 5%) the
   * other must be to take over; `winner`: fixed from the start (nothing is timed, ever).
   */
  constructor(opts: { samples?: number; burst?: number; probeEvery?: number; margin?: number; winner?: 0 | 1 } = {}) {
    this.samples = opts.samples ?? 16;
    this.burst = Math.max(2, opts.burst ?? 4);
    this.probeEvery = Math.max(2 * this.burst, opts.probeEvery ?? 256);
    this.margin = opts.margin ?? 0.05;
    this.#winner = opts.winner;
    this.#fixed = opts.winner !== undefined;
  }

  /** The implementation chosen now (undefined while the first timings are taken). */
  get winner(): 0 | 1 | undefined {
    return this.#winner;
  }

  /**
   * Runs `call` with the implementation to use (0 or 1) for an operation on `bytes` bytes,
   * timing it when it is a sample. A call counts only if `counts(result)` (a failed decryption
   * does not: forged messages must not steer the choice).
   */
  run<T>(bytes: number, call: (i: 0 | 1) => T, counts: (result: T) => boolean = () => true): T {
    const w = this.#winner;
    if (this.#fixed) return call(w!);
    const k = this.#calls++;
    let i: 0 | 1;
    let pos: number; // position in its run; 0 is not timed
    if (w === undefined) {
      i = (Math.floor(k / this.burst) & 1) as 0 | 1;
      pos = k % this.burst;
    } else {
      const phase = k % this.probeEvery;
      const half = this.probeEvery >> 1;
      if (phase < this.burst) [i, pos] = [w === 0 ? 1 : 0, phase]; // probe the other one
      else if (phase >= half && phase < half + this.burst) [i, pos] = [w, phase - half]; // and time the chosen one as often
      else return call(w);
    }
    if (pos === 0) return call(i);
    const t0 = performance.now();
    const result = call(i);
    const ms = performance.now() - t0;
    if (counts(result)) this.#record(i, ms / Math.max(1, bytes));
    return result;
  }

  #record(i: 0 | 1, msPerByte: number): void {
    const t = this.#times[i];
    t[this.#next[i]] = msPerByte;
    this.#next[i] = (this.#next[i] + 1) % this.samples;
    const [t0, t1] = this.#times;
    if (t0.length < this.samples || t1.length < this.samples) return;
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const [m0, m1] = [med(t0), med(t1)];
    const w = this.#winner;
    if (w === undefined) this.#winner = m1 < m0 ? 1 : 0;
    else if (w === 0 && m1 < m0 * (1 - this.margin)) this.#winner = 1;
    else if (w === 1 && m0 < m1 * (1 - this.margin)) this.#winner = 0;
  }
}
