/**
 * Sliding replay window for out-of-order transport messages (spec section 11.4), after RFC 6479
 * as WireGuard uses it: a ring of 32-bit blocks; the highest accepted nonce `top` moves the
 * window forward, clearing whole blocks, and a nonce is accepted at most once.
 *
 * `check` never changes anything; `accept` is called only after the message authenticated, so
 * forged packets cannot move the window or burn nonces.
 */
import { NoiseError } from '../errors.js';
import { MAX_NONCE } from '../engine/cipher-state.js';

/** Default window: 2,048 nonces behind the highest accepted one (WireGuard: 8,192 - 64). */
export const DEFAULT_REPLAY_WINDOW = 2048;

/** The replay window of one receiving direction. */
export class ReplayWindow {
  /** Nonces older than `top - size + 1` are too old. */
  readonly size: number;
  readonly #blocks: Uint32Array;
  readonly #blockCount: bigint;
  #top = -1n;

  /** `size`: how many nonces up to and including the highest accepted one are tracked (>= 64, multiple of 32). */
  constructor(size: number = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isSafeInteger(size) || size < 64 || size % 32 !== 0 || size > 1 << 24) {
      throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'replay window size must be a multiple of 32 between 64 and 2^24');
    }
    this.size = size;
    // One spare block, so that after sliding there are always `size` bits behind `top`.
    this.#blocks = new Uint32Array(size / 32 + 1);
    this.#blockCount = BigInt(this.#blocks.length);
  }

  /** The highest accepted nonce, or -1n before the first. */
  get top(): bigint {
    return this.#top;
  }

  /** Why `n` would be refused (`'replay'`, `'too-old'`, `'invalid'`), or undefined if it would be accepted. */
  check(n: bigint): 'replay' | 'too-old' | 'invalid' | undefined {
    if (typeof n !== 'bigint' || n < 0n || n >= MAX_NONCE) return 'invalid';
    if (n > this.#top) return undefined;
    if (this.#top - n >= BigInt(this.size)) return 'too-old';
    const [block, bit] = this.#position(n);
    return (this.#blocks[block]! >>> bit) & 1 ? 'replay' : undefined;
  }

  /** Marks `n` as received (after it authenticated). Throws ERR_NOISE_REPLAY if `check` would refuse it. */
  accept(n: bigint): void {
    const why = this.check(n);
    if (why) throw new NoiseError('ERR_NOISE_REPLAY', `nonce ${n} refused: ${why}`);
    if (n > this.#top) {
      const oldBlock = this.#top >> 5n;
      const newBlock = n >> 5n;
      let clear = newBlock - oldBlock;
      if (clear > this.#blockCount) clear = this.#blockCount;
      for (let i = 1n; i <= clear; i++) this.#blocks[Number((oldBlock + i) % this.#blockCount)] = 0;
      this.#top = n;
    }
    const [block, bit] = this.#position(n);
    this.#blocks[block] = this.#blocks[block]! | (1 << bit);
  }

  #position(n: bigint): [number, number] {
    return [Number((n >> 5n) % this.#blockCount), Number(n & 31n)];
  }
}
