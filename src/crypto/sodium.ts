/**
 * The optional native-addon backend: libsodium through `sodium-native` (an optionalDependency
 * with prebuilt binaries). It supplies what libsodium does faster than node:crypto — X25519
 * without KeyObject import costs (spec 12.1), ChaCha20-Poly1305 IETF for messages under 8 KiB
 * (12.3) and BLAKE2b hashing (12.8) — and delegates the rest of those algorithms to node:crypto
 * where that measured faster (large messages). Other names fall through to the next
 * backend of the chain (node:crypto, then stablelib).
 *
 * Loading: the addon is loaded synchronously on first use
 * through `createRequire` (nothing happens at import time). When it is missing or fails to load, {@link loadSodiumBackend}
 * returns `undefined` and `auto` simply skips it.
 *
 * Wiping: keys live in ordinary Uint8Arrays that `wipe()` zero-fills (sodium_memzero).
 */
import { createRequire } from 'node:module';
import type { Cipher, CipherKey, CryptoBackend, Dh, Hash, KeyPair } from './types.js';
import { chachaNonce } from './nonce.js';
import { nodeBackend, allocOut } from './node.js';
import { checkBytes, copyBytes } from '../bytes.js';
import { padHmac } from './hmac-pads.js';

/** The part of the sodium-native API used here. */
interface Sodium {
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
  randombytes_buf(buf: Uint8Array): void;
  crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array | null): void;
  crypto_generichash_batch(out: Uint8Array, inputs: Uint8Array[], key?: Uint8Array | null): void;
  crypto_generichash_init(state: Uint8Array, key: Uint8Array | null, outLen: number): void;
  crypto_generichash_update(state: Uint8Array, input: Uint8Array): void;
  crypto_generichash_final(state: Uint8Array, out: Uint8Array): void;
  crypto_generichash_STATEBYTES: number;
  crypto_aead_chacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number;
  sodium_memzero(buf: Uint8Array): void;
}

/** Plaintexts of at least this many bytes are sealed by node:crypto rather than libsodium. */
export const SODIUM_LARGE_MESSAGE_MIN = 8192;

function makeBackend(na: Sodium): CryptoBackend {
  /** Curve25519 (section 12.1). Public keys from the fixed-base multiplication. */
  const dh25519: Dh = {
    name: '25519',
    dhLen: 32,
    privateKeyLength: 32,
    generateKeyPair(): KeyPair {
      const privateKey = new Uint8Array(32);
      na.randombytes_buf(privateKey);
      const publicKey = new Uint8Array(32);
      na.crypto_scalarmult_base(publicKey, privateKey);
      return { publicKey, privateKey };
    },
    keyPairFromPrivate(privateKey) {
      checkBytes('privateKey', privateKey, 32);
      const sk = copyBytes(privateKey);
      const publicKey = new Uint8Array(32);
      na.crypto_scalarmult_base(publicKey, sk);
      return { publicKey, privateKey: sk };
    },
    dh(keyPair, publicKey) {
      checkBytes('publicKey', publicKey, 32);
      const out = new Uint8Array(32);
      try {
        na.crypto_scalarmult(out, keyPair.privateKey, publicKey);
      } catch {
        // libsodium refuses low-order points (all-zero output). Section 12.1 allows all zeros.
        out.fill(0);
      }
      return out;
    },
  };

  const nodeChaCha = nodeBackend.cipher('ChaChaPoly')!;
  /**
   * ChaCha20-Poly1305 IETF (section 12.3): libsodium writes straight into the output array;
   * from SODIUM_LARGE_MESSAGE_MIN bytes on, OpenSSL's vectorised ChaCha20-Poly1305 is faster
   * (npm run bench), so large messages go through node:crypto with the same key.
   */
  const chachaPoly: Cipher = {
    name: 'ChaChaPoly',
    init(key: Uint8Array): CipherKey {
      checkBytes('cipher key', key, 32);
      const k = copyBytes(key);
      const nonce = new Uint8Array(12);
      let large: CipherKey | undefined;
      return {
        encrypt(n, ad, plaintext) {
          if (plaintext.length >= SODIUM_LARGE_MESSAGE_MIN) return (large ??= nodeChaCha.init(k)).encrypt(n, ad, plaintext);
          const out = allocOut(plaintext.length + 16);
          na.crypto_aead_chacha20poly1305_ietf_encrypt(out, plaintext, ad, null, chachaNonce(n, nonce), k);
          return out;
        },
        decrypt(n, ad, ciphertext) {
          if (ciphertext.length < 16) return null;
          if (ciphertext.length - 16 >= SODIUM_LARGE_MESSAGE_MIN) return (large ??= nodeChaCha.init(k)).decrypt(n, ad, ciphertext);
          const out = allocOut(ciphertext.length - 16);
          try {
            na.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, ciphertext, ad, chachaNonce(n, nonce), k);
          } catch {
            return null;
          }
          return out;
        },
        wipe() {
          na.sodium_memzero(k);
          large?.wipe();
          large = undefined;
        },
      };
    },
  };

  /** BLAKE2b (section 12.8): HASH() by libsodium. */
  const blake2b: Hash = {
    name: 'BLAKE2b',
    hashLen: 64,
    blockLen: 128,
    hash(...parts) {
      const out = new Uint8Array(64);
      if (parts.length === 1) na.crypto_generichash(out, parts[0]!);
      else na.crypto_generichash_batch(out, parts);
      return out;
    },
    // HMAC and HKDF: two libsodium calls per HMAC (crypto/hmac-pads.ts).
    ...padHmac((parts) => {
      const out = new Uint8Array(64);
      na.crypto_generichash_batch(out, parts);
      return out;
    }, 128),
  };

  const dhs: Record<string, Dh> = { '25519': dh25519 };
  const ciphers: Record<string, Cipher> = { ChaChaPoly: chachaPoly };
  const hashes: Record<string, Hash> = { BLAKE2b: blake2b };
  return {
    name: 'sodium',
    dh: (name) => dhs[name],
    cipher: (name) => ciphers[name],
    hash: (name) => hashes[name],
  };
}

let cached: CryptoBackend | null | undefined;

/**
 * The libsodium backend, or `undefined` when `sodium-native` is not installed or cannot load on
 * this platform. Loaded once, on first call.
 */
export function loadSodiumBackend(): CryptoBackend | undefined {
  if (cached === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const na = require('sodium-native') as Sodium;
      cached = makeBackend(na);
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}
