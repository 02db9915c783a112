/** Off-heap scratch memory for the native backends. */

/**
 * A zeroed array with an ArrayBuffer of its own: native code reads and writes it in place,
 * where an array of up to 64 bytes on V8's heap would first be moved off it (bytes.ts ON_HEAP_MAX).
 */
export const offHeap = (n: number): Uint8Array => new Uint8Array(new ArrayBuffer(n));

/** `scratch[0, n)` for each length n, each view made once (a view is an allocation). */
export function prefixViews(scratch: Uint8Array): (n: number) => Uint8Array {
  const views: Uint8Array[] = [];
  return (n) => (views[n] ??= scratch.subarray(0, n));
}

/**
 * A reusable off-heap scratch array that native hash calls read their concatenated input from
 * (HASH(a || b || ...), spec section 4.3, is called with two or three parts throughout the
 * handshake). Joining into scratch instead of a fresh array avoids an allocation per call (an
 * array of more than 64 bytes gets its own off-heap backing store, which is slow to allocate and
 * to collect), and the views handed out are made once per length.
 *
 * The scratch can hold secrets (HMAC key pads, chaining keys), so the caller zero-fills what it
 * joined as soon as the hash has read it.
 */
export class PartsScratch {
  readonly #bytes: Uint8Array;
  readonly #prefix: (n: number) => Uint8Array;

  /** `size`: the largest joined input kept in scratch; larger ones get a fresh array. */
  constructor(size: number) {
    this.#bytes = offHeap(size);
    this.#prefix = prefixViews(this.#bytes);
  }

  /**
   * parts[0] || parts[1] || ... as a view of the scratch (or, when larger than the scratch, a new
   * array). Valid until the next join; zero-fill it after use.
   */
  join(parts: readonly Uint8Array[]): Uint8Array {
    let total = 0;
    for (let i = 0; i < parts.length; i++) total += parts[i]!.length;
    const out = total <= this.#bytes.length ? this.#prefix(total) : new Uint8Array(total);
    let off = 0;
    for (let i = 0; i < parts.length; i++) {
      out.set(parts[i]!, off);
      off += parts[i]!.length;
    }
    return out;
  }
}
