/**
 * A queue of received bytes: appended as chunks arrive, taken from the front. One growable array
 * (capacity doubled when full, consumed bytes dropped by moving the rest to the front), so a peer
 * that sends a byte at a time costs linear copying and about twice the bytes held in memory,
 * never one object per chunk. Chunks are copied in: the caller may reuse them.
 */
import { EMPTY } from './bytes.js';

/** Capacity kept for the next bytes once the queue is empty; more is released. */
const KEEP_CAPACITY = 4096;

export class ByteQueue {
  #buf: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;

  /** Bytes held. */
  get length(): number {
    return this.#end - this.#start;
  }

  /**
   * Bytes allocated: grown by doubling when what is held and the next chunk do not fit, so about
   * twice the most held at once (more after pushes of large chunks); at most KEEP_CAPACITY once empty.
   */
  get capacity(): number {
    return this.#buf.length;
  }

  /** Appends a copy of `chunk`. */
  push(chunk: Uint8Array): void {
    const n = chunk.length;
    if (n === 0) return;
    if (this.#end + n > this.#buf.length) {
      const held = this.#end - this.#start;
      if (held + n <= this.#buf.length && held <= this.#start) {
        // Room once the consumed bytes are dropped, and moving the rest is cheap (it is no more
        // than what was consumed since the last move).
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Uint8Array(Math.max(2 * this.#buf.length, held + n, 64));
        grown.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = grown;
      }
      this.#start = 0;
      this.#end = held;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += n;
  }

  /** The byte at `i` (from the front); `i` must be below {@link length}. */
  at(i: number): number {
    return this.#buf[this.#start + i]!;
  }

  /**
   * The first `n` bytes as a view, valid until the queue is next changed (for reading at once,
   * e.g. to decrypt); then {@link skip} them.
   */
  peek(n: number): Uint8Array {
    return this.#buf.subarray(this.#start, this.#start + n);
  }

  /** Drops the first `n` bytes. */
  skip(n: number): void {
    this.#start += n;
    if (this.#start < this.#end) return;
    this.#start = this.#end = 0;
    if (this.#buf.length > KEEP_CAPACITY) this.#buf = EMPTY;
  }

  /** Removes the first `n` bytes and returns them in an array of their own. */
  take(n: number): Uint8Array {
    const out = this.#buf.slice(this.#start, this.#start + n);
    this.skip(n);
    return out;
  }
}
