/**
 * Random bytes for private keys (GENERATE_KEYPAIR, spec section 4.1), drawn from a pool that is
 * refilled a kilobyte at a time. node:crypto's randomFillSync costs about 6 µs per call whatever
 * the size up to 1 KiB (measured 6.2 µs for 32 bytes and 6.1 µs for 1,024), so one fill serves 32
 * X25519 keys instead of one. Every byte is handed out once and zeroed in the pool as it goes, so
 * the pool never holds a key already in use; the unused rest is as secret as the state of
 * OpenSSL's own generator, which lives in the same process memory.
 *
 * A V8 startup snapshot (`node --build-snapshot`) would carry the unused rest into every process
 * started from it, which would then all send the same "fresh" ephemeral keys; a pool made while a
 * snapshot is being built is emptied just before it is written (OpenSSL reseeds on its own).
 */
import { randomFillSync } from 'node:crypto';
import { startupSnapshot } from 'node:v8';

export class RandomPool {
  readonly #bytes: Uint8Array;
  readonly #fill: (buf: Uint8Array) => unknown;
  #offset: number;

  /** `size`: bytes per refill; `fill`: the generator (node:crypto's CSPRNG unless a test gives one). */
  constructor(size = 1024, fill: (buf: Uint8Array) => unknown = randomFillSync) {
    this.#bytes = new Uint8Array(size);
    this.#fill = fill;
    this.#offset = size;
    if (startupSnapshot?.isBuildingSnapshot()) startupSnapshot.addSerializeCallback(() => this.discard());
  }

  /** Zeroes the unused bytes: the next take() refills from the generator. */
  discard(): void {
    this.#bytes.fill(0);
    this.#offset = this.#bytes.length;
  }

  /** `n` fresh random bytes in a new array (an array of their own, never a view of the pool). */
  take(n: number): Uint8Array {
    if (n > this.#bytes.length) {
      const out = new Uint8Array(n);
      this.#fill(out);
      return out;
    }
    if (this.#offset + n > this.#bytes.length) {
      this.#fill(this.#bytes);
      this.#offset = 0;
    }
    const end = this.#offset + n;
    const out = this.#bytes.slice(this.#offset, end);
    this.#bytes.fill(0, this.#offset, end);
    this.#offset = end;
    return out;
  }
}
