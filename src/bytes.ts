/**
 * Small byte-array helpers used across noisekit. Uint8Array throughout.
 */
import { NoiseError } from './errors.js';

export const EMPTY = new Uint8Array(0);

/** Concatenates byte arrays into a new array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * V8 keeps the bytes of a typed array of up to this many bytes on its own heap
 * (typed_array_max_size_in_heap). Taking a view of such an array (`subarray`), or its `.buffer`,
 * first moves the bytes off the heap, which costs about 0.8 µs (measured: copyBytes through a
 * view took ~870 ns per 64-byte array, `new Uint8Array(bytes)` ~155 ns). Handshakes pass dozens
 * of such arrays (keys, hashes, small messages), so hot paths copy small ranges instead of
 * viewing them ({@link viewBytes}).
 */
export const ON_HEAP_MAX = 64;

/**
 * A real copy as a plain Uint8Array, of `bytes[start, end)`. (`Buffer#slice` returns a view,
 * not a copy, so `.slice()` must never be used to take ownership of caller-supplied bytes.)
 * Never goes through a view (see {@link ON_HEAP_MAX}).
 */
export function copyBytes(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  if (start === 0 && end >= bytes.length) return new Uint8Array(bytes);
  // TypedArray.prototype.slice copies (Buffer#slice would not); its result has the class of
  // `bytes`, so a Buffer's copy is made a plain Uint8Array.
  const out = Uint8Array.prototype.slice.call(bytes, start, end);
  return out.constructor === Uint8Array ? out : new Uint8Array(out);
}

/**
 * `bytes[start, end)` for reading only: a view when `bytes` is larger than {@link ON_HEAP_MAX}
 * (no copy of large messages), a copy when it is small (cheaper than a view, see there).
 */
export function viewBytes(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  return bytes.length > ON_HEAP_MAX ? bytes.subarray(start, end) : copyBytes(bytes, start, end);
}

/** Zero-fills a byte array in place (best effort wiping of secrets). */
export function wipe(bytes: Uint8Array | undefined): void {
  if (bytes) bytes.fill(0);
}

/** Constant-time equality for equal-length arrays; false when lengths differ. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Lower-case hex encoding. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Strict hex decoding: even length, hex digits only. */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'hex must be a string');
  // The message never quotes the text: it may be a private key.
  const bad = hex.search(/[^0-9a-fA-F]/);
  if (bad >= 0) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `not a hex string: character ${bad + 1} of ${hex.length} is not a hex digit`);
  if (hex.length % 2 !== 0) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `not a hex string: odd length ${hex.length}`);
  return decodeText(hex, 'hex');
}

/**
 * `text` (hex, base64 or base64url, already checked by the caller) decoded into an array of its
 * own. `Buffer.from(text, encoding)` would put a small result in Node's shared Buffer pool, where
 * the copy of a key outlives every wipe() of the array made from it.
 */
export function decodeText(text: string, encoding: 'hex' | 'base64' | 'base64url'): Uint8Array {
  const max = encoding === 'hex' ? text.length >>> 1 : Math.ceil((text.length * 3) / 4);
  const out = new Uint8Array(max);
  const n = Buffer.from(out.buffer, out.byteOffset, out.length).write(text, encoding);
  if (n === max) return out;
  const exact = out.slice(0, n);
  out.fill(0);
  return exact;
}

/** Checks that a value is a Uint8Array (optionally of an exact length) at an API boundary. */
export function checkBytes(name: string, value: unknown, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${name} must be a Uint8Array`);
  }
  if (length !== undefined && value.length !== length) {
    throw new NoiseError('ERR_NOISE_INVALID_KEY', `${name} must be ${length} bytes, got ${value.length}`);
  }
}
