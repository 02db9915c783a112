/**
 * Output arrays of the AEAD ciphers (spec section 5.1 EncryptWithAd/DecryptWithAd return new
 * byte arrays). Any typed array of more than 64 bytes gets an off-heap backing store of its own,
 * which costs about a microsecond to allocate and collect: a third of the time of a 1 KiB
 * encrypt+decrypt (measured). So ciphertexts, which are public, are carved from shared slabs,
 * as Node's Buffer pool does; plaintexts, which are secret, always get arrays of their own.
 */
import { markAsUntransferable } from 'node:worker_threads';

/**
 * An array of its own for an output the cipher overwrites completely. Never shared with anything.
 *
 * Zero-filled, at every size: skipping the fill for large arrays (Buffer.allocUnsafeSlow,
 * malloc instead of calloc) looked faster in a loop, but not in `npm run bench`'s process per
 * contender. There, 65,519 B messages through the sodium backend ran with about ten times the
 * minor page faults (glibc handing freed 64 KiB arrays back to the kernel and faulting new ones
 * in; bench/report.ts pageFaultNote): 24,528-35,278 faults per 21 rounds against 2,048-2,448,
 * slowest round 158-181 MB/s against 463-526, median 508-608 MB/s against 612-618, three runs
 * each.
 */
export function allocOut(length: number): Uint8Array {
  return new Uint8Array(length);
}

/** Ciphertexts up to this many bytes come from a slab; larger ones get their own array. */
export const SLAB_MESSAGE_MAX = 4096;
const SLAB_SIZE = 64 * 1024;

/**
 * A slab that postMessage and structuredClone copy instead of moving, as Node's Buffer pool is:
 * an application that transfers one ciphertext's `.buffer` to a worker must not detach the
 * ciphertexts of every other session (and break this cipher's later encryptions) with it.
 */
function newSlab(): ArrayBuffer {
  const slab = new ArrayBuffer(SLAB_SIZE);
  markAsUntransferable(slab);
  return slab;
}

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
    // byteLength 0: detached, which markAsUntransferable should prevent; a fresh slab either way.
    if (!this.#slab || this.#offset + length > SLAB_SIZE || this.#slab.byteLength === 0) {
      this.#slab = newSlab();
      this.#offset = 0;
    }
    const out = new Uint8Array(this.#slab, this.#offset, length);
    this.#offset = (this.#offset + length + 7) & ~7; // 8-byte aligned starts
    return out;
  }
}
