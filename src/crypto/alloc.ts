/**
 * Output arrays of the AEAD ciphers (spec section 5.1 EncryptWithAd/DecryptWithAd return new
 * byte arrays). Any typed array of more than 64 bytes gets an off-heap backing store of its own,
 * which costs about a microsecond to allocate and collect: a third of the time of a 1 KiB
 * encrypt+decrypt (measured). So ciphertexts, which are public, are carved from shared slabs,
 * as Node's Buffer pool does; plaintexts, which are secret, always get arrays of their own.
 */

/**
 * An array of its own for a plaintext the cipher overwrites completely: for large messages the
 * zero-fill of `new Uint8Array` is skipped (measurable at 64 KiB). Never shared with anything.
 */
export function allocOut(length: number): Uint8Array {
  if (length < 4096) return new Uint8Array(length);
  const b = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(b.buffer, b.byteOffset, length);
}

/** Ciphertexts up to this many bytes come from a slab; larger ones get their own array. */
export const SLAB_MESSAGE_MAX = 4096;
const SLAB_SIZE = 64 * 1024;

/**
 * Ciphertext arrays carved from 64 KiB slabs. Each array is a view of its own bytes of the slab
 * and is never handed out again, but its `.buffer` is the whole slab, shared with other
 * ciphertexts (public data, like Node's Buffer pool); a kept ciphertext keeps its slab alive.
 * One per cipher implementation, not per key, so sessions do not each hold a slab.
 */
export class CiphertextSlab {
  #slab: ArrayBuffer | undefined;
  #offset = 0;

  /** A new array of `length` bytes for a ciphertext the cipher overwrites completely. */
  alloc(length: number): Uint8Array {
    if (length > SLAB_MESSAGE_MAX) return allocOut(length);
    if (!this.#slab || this.#offset + length > SLAB_SIZE) {
      this.#slab = new ArrayBuffer(SLAB_SIZE);
      this.#offset = 0;
    }
    const out = new Uint8Array(this.#slab, this.#offset, length);
    this.#offset = (this.#offset + length + 7) & ~7; // 8-byte aligned starts
    return out;
  }
}
