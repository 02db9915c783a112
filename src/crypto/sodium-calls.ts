/**
 * The six libsodium functions the sodium backend calls, in one of two layers of sodium-native:
 *
 * - `api`: its documented functions. Each checks its arguments with Node's `assert` before the
 *   native call: 6 to 10 asserts, about 0.4 µs per call (measured: crypto_generichash of 193
 *   bytes 0.89 µs through the API, 0.50 µs through the binding). A handshake makes some 40 of
 *   these calls per side, so the checks cost more than the hashing itself.
 * - `binding`: the native functions the API calls once its checks pass. The backend passes only
 *   arrays whose sizes it fixed itself (the same checks, done once by construction), so it can
 *   call them directly.
 *
 * The binding is not sodium-native's documented interface, so it is used only for the major
 * version whose calling convention is known (5), and only after a self-check at load: every call
 * must give the API's result on the same inputs (hashes of 0, 1 and 200 bytes, a seal, an open,
 * a forged open, a DH, a fixed-base DH and a low-order point). Anything else (another version, a
 * mismatch, an exception) selects `api`. `NOISEKIT_SODIUM_LAYER=api` forces the API.
 */

import { offHeap } from './scratch.js';

/** The libsodium calls of the sodium backend. Sizes are the caller's responsibility. */
export interface SodiumCalls {
  readonly layer: 'binding' | 'api';
  /** crypto_scalarmult: false when libsodium refuses the point (low order). */
  scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): boolean;
  /** crypto_scalarmult_base. */
  scalarmultBase(q: Uint8Array, n: Uint8Array): void;
  /** randombytes_buf. */
  randomFill(buf: Uint8Array): void;
  /** crypto_generichash (BLAKE2b, unkeyed) of `input` into `out` (64 bytes). */
  generichash(out: Uint8Array, input: Uint8Array): void;
  /** crypto_aead_chacha20poly1305_ietf_encrypt: `c` is m.length + 16 bytes. */
  seal(c: Uint8Array, m: Uint8Array, ad: Uint8Array, npub: Uint8Array, k: Uint8Array): void;
  /** crypto_aead_chacha20poly1305_ietf_decrypt: false when the tag does not verify. */
  open(m: Uint8Array, c: Uint8Array, ad: Uint8Array, npub: Uint8Array, k: Uint8Array): boolean;
}

/** The documented sodium-native functions used. */
export interface SodiumApi {
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
  randombytes_buf(buf: Uint8Array): void;
  crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array | null): void;
  crypto_aead_chacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number;
}

/** sodium-native 5's native binding: what its API functions call after their checks. */
interface SodiumBinding {
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): number;
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): number;
  randombytes_buf(buf: ArrayBufferLike, offset: number, length: number): void;
  crypto_generichash(out: ArrayBufferLike, outOffset: number, outLength: number, input: ArrayBufferLike, inOffset: number, inLength: number, key: ArrayBufferLike, keyOffset: number, keyLength: number): number;
  crypto_aead_chacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array | undefined, npub: Uint8Array, k: Uint8Array): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(m: Uint8Array, c: Uint8Array, ad: Uint8Array | undefined, npub: Uint8Array, k: Uint8Array): number;
}

/** The calls through the documented API. */
export function apiCalls(na: SodiumApi): SodiumCalls {
  return {
    layer: 'api',
    scalarmult(q, n, p) {
      try {
        na.crypto_scalarmult(q, n, p);
        return true;
      } catch {
        return false;
      }
    },
    scalarmultBase: (q, n) => na.crypto_scalarmult_base(q, n),
    randomFill: (buf) => na.randombytes_buf(buf),
    generichash: (out, input) => na.crypto_generichash(out, input),
    seal(c, m, ad, npub, k) {
      na.crypto_aead_chacha20poly1305_ietf_encrypt(c, m, ad, null, npub, k);
    },
    open(m, c, ad, npub, k) {
      try {
        na.crypto_aead_chacha20poly1305_ietf_decrypt(m, null, c, ad, npub, k);
        return true;
      } catch {
        return false;
      }
    },
  };
}

const NO_KEY = new ArrayBuffer(0);

/** The calls straight to sodium-native 5's binding (see the module comment). */
function bindingCalls(b: SodiumBinding): SodiumCalls {
  return {
    layer: 'binding',
    scalarmult: (q, n, p) => b.crypto_scalarmult(q, n, p) === 0,
    scalarmultBase(q, n) {
      if (b.crypto_scalarmult_base(q, n) !== 0) throw new Error('crypto_scalarmult_base failed');
    },
    randomFill: (buf) => b.randombytes_buf(buf.buffer, buf.byteOffset, buf.byteLength),
    generichash(out, input) {
      if (b.crypto_generichash(out.buffer, out.byteOffset, out.byteLength, input.buffer, input.byteOffset, input.byteLength, NO_KEY, 0, 0) !== 0) {
        throw new Error('crypto_generichash failed');
      }
    },
    seal(c, m, ad, npub, k) {
      if (b.crypto_aead_chacha20poly1305_ietf_encrypt(c, m, ad, npub, k) < 0) throw new Error('crypto_aead_chacha20poly1305_ietf_encrypt failed');
    },
    open: (m, c, ad, npub, k) => b.crypto_aead_chacha20poly1305_ietf_decrypt(m, c, ad, npub, k) >= 0,
  };
}

const hex = (x: Uint8Array): string => Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex');

/** Runs the same inputs through both layers; true when every result agrees. */
export function sameResults(fast: SodiumCalls, api: SodiumCalls): boolean {
  const rnd = (n: number): Uint8Array => {
    const x = offHeap(n);
    api.randomFill(x);
    return x;
  };
  const both = (f: (c: SodiumCalls) => unknown): boolean => JSON.stringify(f(fast)) === JSON.stringify(f(api));
  const k = rnd(32);
  const npub = rnd(12);
  const ad = rnd(64);
  const sk = rnd(32);
  const pk = rnd(32);
  for (const len of [0, 1, 200]) {
    const input = rnd(len);
    if (!both((c) => { const out = offHeap(64); c.generichash(out, input); return hex(out); })) return false;
    const m = input;
    const seal = (c: SodiumCalls): Uint8Array => {
      const ct = offHeap(len + 16);
      c.seal(ct, m, ad, npub, k);
      return ct;
    };
    const ct = seal(api);
    if (hex(seal(fast)) !== hex(ct)) return false;
    const open = (c: SodiumCalls, ciphertext: Uint8Array): [boolean, string] => {
      const pt = offHeap(len);
      return [c.open(pt, ciphertext, ad, npub, k), hex(pt)];
    };
    const [ok, pt] = open(fast, ct);
    if (!ok || pt !== hex(m)) return false;
    const forged = offHeap(ct.length);
    forged.set(ct);
    forged[0] = forged[0]! ^ 1;
    if (open(fast, forged)[0] || open(api, forged)[0]) return false;
  }
  if (!both((c) => { const q = offHeap(32); c.scalarmultBase(q, sk); return hex(q); })) return false;
  if (!both((c) => { const q = offHeap(32); return [c.scalarmult(q, sk, pk), hex(q)]; })) return false;
  // A low-order point: libsodium refuses it (all-zero output) through either layer.
  if (fast.scalarmult(offHeap(32), sk, offHeap(32)) || api.scalarmult(offHeap(32), sk, offHeap(32))) return false;
  const r = offHeap(32);
  fast.randomFill(r);
  return r.some((x) => x !== 0);
}

/**
 * The calls for the loaded sodium-native: the binding when its version is 5.x and it passes
 * {@link sameResults}, else the API. `load` is the module's require.
 */
export function loadSodiumCalls(load: (id: string) => unknown): SodiumCalls {
  const api = apiCalls(load('sodium-native') as SodiumApi);
  if (process.env.NOISEKIT_SODIUM_LAYER === 'api') return api;
  try {
    const { version } = load('sodium-native/package.json') as { version: string };
    if (!/^5\./.test(version)) return api;
    const fast = bindingCalls(load('sodium-native/binding.js') as SodiumBinding);
    return sameResults(fast, api) ? fast : api;
  } catch {
    return api;
  }
}
