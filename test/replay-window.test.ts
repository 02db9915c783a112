/**
 * ReplayWindow (spec 11.4, RFC 6479 style bitmap), checked against the definition itself: a nonce
 * is accepted iff it was never accepted and is above the highest accepted one minus the window
 * size. The model keeps every nonce in a Set, so it shares no code or trick with the bitmap.
 */
import { expect } from 'chai';
import { ReplayWindow, DEFAULT_REPLAY_WINDOW, NoiseError, MAX_NONCE } from '../src/index.js';

/** Small deterministic PRNG (mulberry32) so failures are reproducible. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Model {
  readonly seen = new Set<bigint>();
  top = -1n;
  constructor(readonly size: bigint) {}
  ok(n: bigint): boolean {
    return n > this.top || (this.top - n < this.size && !this.seen.has(n));
  }
  accept(n: bigint): void {
    this.seen.add(n);
    if (n > this.top) this.top = n;
  }
}

describe('ReplayWindow', () => {
  it('the default window tracks at least 2,048 nonces', () => {
    expect(DEFAULT_REPLAY_WINDOW).to.be.at.least(2048);
    const w = new ReplayWindow();
    w.accept(10_000n);
    for (let n = 10_000n - 2047n; n < 10_000n; n++) expect(w.check(n), String(n)).to.equal(undefined);
    expect(w.check(10_000n - 2048n)).to.equal('too-old');
    expect(w.check(10_000n)).to.equal('replay');
  });

  it('accepts any order inside the window once, and refuses repeats', () => {
    const w = new ReplayWindow();
    w.accept(2000n);
    for (let n = 1999n; n >= 0n; n--) w.accept(n);
    for (let n = 0n; n <= 2000n; n++) expect(w.check(n)).to.equal('replay');
    expect(() => w.accept(5n)).to.throw(NoiseError).with.property('code', 'ERR_NOISE_REPLAY');
  });

  it('check() changes nothing; invalid nonces (negative, 2^64-1) are refused', () => {
    const w = new ReplayWindow(64);
    expect(w.check(7n)).to.equal(undefined);
    expect(w.check(7n)).to.equal(undefined);
    expect(w.top).to.equal(-1n);
    expect(w.check(-1n)).to.equal('invalid');
    expect(w.check(MAX_NONCE)).to.equal('invalid');
    w.accept(MAX_NONCE - 1n);
    expect(w.check(MAX_NONCE - 1n)).to.equal('replay');
    expect(w.check(MAX_NONCE - 64n)).to.equal(undefined);
    expect(w.check(MAX_NONCE - 65n)).to.equal('too-old');
  });

  it('refuses bad sizes', () => {
    for (const s of [0, 32, 100, 2.5, -64]) expect(() => new ReplayWindow(s), String(s)).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
  });

  for (const size of [64, 2048]) {
    it(`agrees with the Set model over 60,000 random operations (size ${size}, jumps across blocks and beyond the window)`, () => {
      const rnd = prng(size);
      const w = new ReplayWindow(size);
      const m = new Model(BigInt(size));
      let base = 0n;
      let accepted = 0;
      for (let i = 0; i < 60_000; i++) {
        const r = rnd();
        if (r < 0.02) base += BigInt(Math.floor(rnd() * size * 3)); // a big jump forward
        const n = base + BigInt(Math.floor(rnd() * size * 1.5)) - BigInt(size);
        if (n < 0n) continue;
        const expectOk = m.ok(n);
        expect(w.check(n) === undefined, `op ${i} nonce ${n} top ${m.top}`).to.equal(expectOk);
        if (expectOk) {
          w.accept(n);
          m.accept(n);
          accepted++;
        }
        if (r > 0.7) base += 1n;
      }
      expect(accepted).to.be.greaterThan(10_000);
    });
  }
});
