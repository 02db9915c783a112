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
 * A real copy as a plain Uint8Array. (`Buffer#slice` returns a view, not a copy, so `.slice()`
 * must never be used to take ownership of caller-supplied bytes.)
 */
export function copyBytes(bytes: Uint8Array, start?: number, end?: number): Uint8Array {
  return new Uint8Array(bytes.subarray(start, end));
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
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `not a hex string: ${hex.length > 20 ? hex.slice(0, 20) + '...' : hex}`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
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
