/**
 * The optional native-addon backend: libsodium through `sodium-native` (an optionalDependency
 * with prebuilt binaries). It supplies what libsodium does faster than node:crypto: X25519
 * without KeyObject import costs (spec 12.1), ChaCha20-Poly1305 IETF (12.3) and BLAKE2b hashing
 * (12.8). Other names fall through to the next backend of the chain (node:crypto, then
 * stablelib).
 *
 * Loading: the addon is loaded synchronously on first use
 * through `createRequire` (nothing happens at import time). When it is missing or fails to load, {@link loadSodiumBackend}
 * returns `undefined` and `auto` simply skips it.
 *
 * Wiping: keys live in ordinary Uint8Arrays that `wipe()` zero-fills; scratch arrays are
 * zero-filled after every call.
 */
import { createRequire } from 'node:module';
import type { Cipher, CipherKey, CryptoBackend, Dh, Hash, KeyPair } from './types.js';
import { chachaNonceScratch } from './nonce.js';
import { HASH_SCRATCH_MAX } from './node.js';
import { allocOut, CiphertextSlab } from './alloc.js';
import { offHeap, PartsScratch, prefixViews } from './scratch.js';
import { checkBytes, copyBytes, ON_HEAP_MAX } from '../bytes.js';
import { fusedHmac } from './hmac-fused.js';
import { loadSodiumCalls, type SodiumCalls } from './sodium-calls.js';
import type { Race } from './race.js';
import { RandomPool } from './random-pool.js';
import { byName } from './table.js';

// Scratch arrays with their own ArrayBuffer (offHeap). V8 keeps typed arrays of up to 64 bytes on
// its heap and moves one off it (about 0.8 µs, measured) the first time native code asks for its
// buffer, which it does for every argument. Handshakes pass dozens of fresh 32- and 64-byte
// arrays (hashes, keys, DH outputs), so small inputs are copied into scratch and outputs are
// copied out of it into ordinary heap arrays (see `take`). Each is zeroed after use.

/**
 * A second ChaChaPoly for messages of `min` plaintext bytes and more: each such encryption and
 * decryption goes to libsodium (0) or to `cipher` (1) as its race says (crypto/race.ts). The
 * `auto` backend races node:crypto against libsodium this way (crypto/auto.ts). The same
 * function is computed either way; only speed differs.
 */
export interface LargeMessages {
  readonly cipher: Cipher;
  readonly min: number;
  readonly encrypt: Race;
  readonly decrypt: Race;
}

/** The backend on a layer of sodium-native (see crypto/sodium-calls.ts); exported for tests. */
export function makeSodiumBackend(lib: SodiumCalls, large?: LargeMessages): CryptoBackend {
  const sk32 = offHeap(32);
  const pk32 = offHeap(32);
  const q32 = offHeap(32);
  /** Copies a scratch array (or a prefix view of one) into a new heap array and zeroes it. */
  const take = (scratch: Uint8Array): Uint8Array => {
    // The TypedArray constructor: no species lookup, measured cheaper than slice.
    const out = new Uint8Array(scratch);
    scratch.fill(0);
    return out;
  };

  // Private keys from libsodium's generator through a pool refilled 1 KiB at a time
  // (crypto/random-pool.ts): randombytes_buf measured 1.5 µs for 32 bytes and 6.5 µs for 1,024.
  const random = new RandomPool(1024, (buf) => lib.randomFill(buf));

  /** Curve25519 (section 12.1). Public keys from the fixed-base multiplication. */
  const dh25519: Dh = {
    name: '25519',
    dhLen: 32,
    privateKeyLength: 32,
    generateKeyPair(): KeyPair {
      const privateKey = random.take(32);
      sk32.set(privateKey);
      lib.scalarmultBase(q32, sk32);
      sk32.fill(0);
      return { publicKey: take(q32), privateKey };
    },
    keyPairFromPrivate(privateKey) {
      checkBytes('privateKey', privateKey, 32);
      sk32.set(privateKey);
      lib.scalarmultBase(q32, sk32);
      sk32.fill(0);
      return { publicKey: take(q32), privateKey: copyBytes(privateKey) };
    },
    dh(keyPair, publicKey) {
      checkBytes('publicKey', publicKey, 32);
      checkBytes('keyPair.privateKey', keyPair?.privateKey, 32); // a short key would leave sk32's last bytes zero
      sk32.set(keyPair.privateKey);
      pk32.set(publicKey);
      // libsodium refuses low-order points (all-zero output). Section 12.1 allows all zeros.
      if (!lib.scalarmult(q32, sk32, pk32)) q32.fill(0);
      sk32.fill(0);
      return take(q32);
    },
  };

  // Ciphertexts of more than 64 bytes (which do not fit the scratch below) come from a slab.
  const slab = new CiphertextSlab();
  // Scratch for small AEAD calls: inputs, associated data (a 32/64-byte h in handshakes), output.
  const aIn = offHeap(ON_HEAP_MAX);
  const aAd = offHeap(ON_HEAP_MAX);
  const aOut = offHeap(ON_HEAP_MAX);
  const aInOf = prefixViews(aIn);
  const aAdOf = prefixViews(aAd);
  const aOutOf = prefixViews(aOut);
  const key32 = offHeap(32);
  const nonce = chachaNonceScratch();
  /** `x` itself when it is larger than V8's on-heap limit, else a copy of it in the scratch. */
  const stage = (x: Uint8Array, scratchOf: (n: number) => Uint8Array): Uint8Array => {
    if (x.length > ON_HEAP_MAX) return x;
    const s = scratchOf(x.length);
    s.set(x);
    return s;
  };
  /** libsodium's ChaCha20-Poly1305 IETF encryption under `k` (a heap copy of the key). */
  const seal = (k: Uint8Array, n: bigint, ad: Uint8Array, plaintext: Uint8Array): Uint8Array => {
    const len = plaintext.length + 16;
    const small = len <= aOut.length;
    const out = small ? aOut : slab.alloc(len);
    key32.set(k);
    try {
      lib.seal(small ? aOutOf(len) : out, stage(plaintext, aInOf), stage(ad, aAdOf), nonce(n), key32);
    } finally {
      key32.fill(0);
      if (plaintext.length <= ON_HEAP_MAX) aIn.fill(0, 0, plaintext.length);
    }
    return small ? take(aOutOf(len)) : out;
  };
  /** libsodium's decryption (ciphertext of at least 16 bytes), or null. */
  const open = (k: Uint8Array, n: bigint, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null => {
    const len = ciphertext.length - 16;
    const small = len <= aOut.length;
    const out = small ? aOut : allocOut(len);
    key32.set(k);
    let ok: boolean;
    try {
      ok = lib.open(small ? aOutOf(len) : out, stage(ciphertext, aInOf), stage(ad, aAdOf), nonce(n), key32);
    } finally {
      key32.fill(0);
    }
    if (!ok) {
      (small ? aOut : out).fill(0, 0, len);
      return null;
    }
    return small ? take(aOutOf(len)) : out;
  };
  const opened = (pt: Uint8Array | null): boolean => pt !== null;
  const largeMin = large?.min ?? Infinity;

  /**
   * ChaCha20-Poly1305 IETF (section 12.3): libsodium, except that messages of `large.min` bytes
   * and more may go to `large.cipher` (see LargeMessages). Which is faster for large messages
   * depends on the CPU (crypto/auto.ts): on one machine of this project libsodium measured
   * faster at 16 KiB (377-490 against 279-306 MB/s, each library in a process of its own), on
   * another, with AVX-512, node:crypto at 32 KiB (949 against 602 MB/s).
   */
  const chachaPoly: Cipher = {
    name: 'ChaChaPoly',
    init(key: Uint8Array): CipherKey {
      checkBytes('cipher key', key, 32);
      // The key stays an ordinary (heap) array and is staged into the shared off-heap scratch
      // for each call: handshakes key a cipher for one or two messages, so a per-key off-heap
      // allocation (~2 µs) costs more than copying 32 bytes per call.
      const k = copyBytes(key);
      /**
       * The `large` cipher under this key, made on first use (most keys never see a large
       * message). Written out in both methods: a helper closure per key measured 640 B more per
       * TransportState (bench/memory.ts).
       */
      let l: CipherKey | undefined;
      return {
        encrypt(n, ad, plaintext) {
          if (plaintext.length < largeMin) return seal(k, n, ad, plaintext);
          return large!.encrypt.run(plaintext.length, (i) => (i ? (l ??= large!.cipher.init(k)).encrypt(n, ad, plaintext) : seal(k, n, ad, plaintext)));
        },
        decrypt(n, ad, ciphertext) {
          if (ciphertext.length < 16) return null;
          if (ciphertext.length - 16 < largeMin) return open(k, n, ad, ciphertext);
          return large!.decrypt.run(ciphertext.length - 16, (i) => (i ? (l ??= large!.cipher.init(k)).decrypt(n, ad, ciphertext) : open(k, n, ad, ciphertext)), opened);
        },
        wipe() {
          k.fill(0);
          l?.wipe();
          l = undefined;
        },
      };
    },
  };

  // BLAKE2b of several parts, joined in scratch and hashed with one crypto_generichash call.
  const hIn = new PartsScratch(HASH_SCRATCH_MAX);
  const h64 = offHeap(64);
  const blake2bParts = (parts: Uint8Array[]): Uint8Array => {
    const input = hIn.join(parts);
    lib.generichash(h64, input);
    input.fill(0);
    return take(h64);
  };

  /** BLAKE2b (section 12.8): HASH() by libsodium. */
  const blake2b: Hash = {
    name: 'BLAKE2b',
    hashLen: 64,
    blockLen: 128,
    hash: (...parts) => blake2bParts(parts),
    // HMAC and HKDF: two hash calls per HMAC, every intermediate kept in scratch (crypto/hmac-fused.ts).
    ...fusedHmac(lib.generichash, blake2bParts, 64, 128),
  };

  const dhs: Record<string, Dh> = { '25519': dh25519 };
  const ciphers: Record<string, Cipher> = { ChaChaPoly: chachaPoly };
  const hashes: Record<string, Hash> = { BLAKE2b: blake2b };
  return {
    name: 'sodium',
    dh: byName(dhs),
    cipher: byName(ciphers),
    hash: byName(hashes),
  };
}

let calls: SodiumCalls | null | undefined;
let cached: CryptoBackend | undefined;

/**
 * The sodium-native calls, or `undefined` when `sodium-native` is not installed or cannot load
 * on this platform. Loaded once, on first call.
 */
export function loadSodium(): SodiumCalls | undefined {
  if (calls === undefined) {
    try {
      calls = loadSodiumCalls(createRequire(import.meta.url));
    } catch {
      calls = null;
    }
  }
  return calls ?? undefined;
}

/** The libsodium backend (the `sodium` choice), or `undefined` without sodium-native. */
export function loadSodiumBackend(): CryptoBackend | undefined {
  const lib = loadSodium();
  return lib && (cached ??= makeSodiumBackend(lib));
}
