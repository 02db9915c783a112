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
  readonly #views: Uint8Array[] = [];

  /** `size`: the largest joined input kept in scratch; larger ones get a fresh array. */
  constructor(size: number) {
    // Its own ArrayBuffer: native code reads the bytes without moving them (bytes.ts ON_HEAP_MAX).
    this.#bytes = new Uint8Array(new ArrayBuffer(size));
  }

  /**
   * parts[0] || parts[1] || ... as a view of the scratch (or, when larger than the scratch, a new
   * array). Valid until the next join; zero-fill it after use.
   */
  join(parts: readonly Uint8Array[]): Uint8Array {
    let total = 0;
    for (let i = 0; i < parts.length; i++) total += parts[i]!.length;
    const out = total <= this.#bytes.length ? (this.#views[total] ??= this.#bytes.subarray(0, total)) : new Uint8Array(total);
    let off = 0;
    for (let i = 0; i < parts.length; i++) {
      out.set(parts[i]!, off);
      off += parts[i]!.length;
    }
    return out;
  }
}
