/**
 * The portable backend: pure JavaScript from the @stablelib packages (x25519, chacha20poly1305,
 * aes + gcm, sha256, sha512, blake2s, blake2b, hmac, hkdf); 448 from @noble/curves, which
 * stablelib lacks. Runs anywhere Node runs. Spec section 12.
 */
import * as x25519 from '@stablelib/x25519';
import { ChaCha20Poly1305 } from '@stablelib/chacha20poly1305';
import { AES } from '@stablelib/aes';
import { GCM } from '@stablelib/gcm';
import { SHA256 } from '@stablelib/sha256';
import { SHA512 } from '@stablelib/sha512';
import { BLAKE2s } from '@stablelib/blake2s';
import { BLAKE2b } from '@stablelib/blake2b';
import { HMAC } from '@stablelib/hmac';
import { x448 } from '@noble/curves/ed448.js';
import type { Cipher, CipherKey, CryptoBackend, Dh, Hash, KeyPair } from './types.js';
import { chachaNonceScratch, aesGcmNonceScratch } from './nonce.js';
import { padHmac, type HashParts } from './hmac-pads.js';
import { checkBytes, copyBytes } from '../bytes.js';
import { keyPairFromGenerated } from './secrets.js';
import { p256Noble } from './p256.js';
import { secp256k1Dh } from './secp256k1.js';
import { xchachaPoly } from './xchacha.js';
import { byName } from './table.js';

/** Curve25519 (section 12.1). */
const dh25519: Dh = {
  name: '25519',
  dhLen: 32,
  privateKeyLength: 32,
  generateKeyPair(): KeyPair {
    const kp = x25519.generateKeyPair();
    return { publicKey: kp.publicKey, privateKey: kp.secretKey };
  },
  keyPairFromPrivate(privateKey) {
    checkBytes('privateKey', privateKey, 32);
    return { publicKey: x25519.scalarMultBase(privateKey), privateKey: copyBytes(privateKey) };
  },
  dh(keyPair, publicKey) {
    checkBytes('publicKey', publicKey, 32);
    checkBytes('keyPair.privateKey', keyPair?.privateKey, 32); // a short key is an error, never a zero-padded scalar
    return x25519.scalarMult(keyPair.privateKey, publicKey);
  },
};

/** Curve448 (section 12.2), from @noble/curves. */
const dh448: Dh = {
  name: '448',
  dhLen: 56,
  privateKeyLength: 56,
  generateKeyPair() {
    return keyPairFromGenerated(x448.utils.randomSecretKey(), (k) => this.keyPairFromPrivate(k));
  },
  keyPairFromPrivate(privateKey) {
    checkBytes('privateKey', privateKey, 56);
    return { publicKey: x448.getPublicKey(privateKey), privateKey: copyBytes(privateKey) };
  },
  dh(keyPair, publicKey) {
    checkBytes('publicKey', publicKey, 56);
    checkBytes('keyPair.privateKey', keyPair?.privateKey, 56); // not swallowed by the catch below
    try {
      return x448.getSharedSecret(keyPair.privateKey, publicKey);
    } catch {
      // @noble/curves refuses low-order points (0, 1, p-1 and their non-canonical encodings),
      // whose DH output is all zeros. Section 12.2 allows all zeros, and the node backend
      // (OpenSSL, which refuses them too) returns them, so both backends agree.
      return new Uint8Array(56);
    }
  },
};

interface Aead {
  seal(nonce: Uint8Array, plaintext: Uint8Array, associatedData?: Uint8Array): Uint8Array;
  open(nonce: Uint8Array, sealed: Uint8Array, associatedData?: Uint8Array): Uint8Array | null;
  clean(): unknown;
}

function aeadCipher(name: string, make: (key: Uint8Array) => Aead, nonce: (n: bigint) => Uint8Array): Cipher {
  return {
    name,
    init(key: Uint8Array): CipherKey {
      checkBytes('cipher key', key, 32);
      const aead = make(key);
      return {
        encrypt: (n, ad, plaintext) => aead.seal(nonce(n), plaintext, ad),
        decrypt: (n, ad, ciphertext) => (ciphertext.length < 16 ? null : aead.open(nonce(n), ciphertext, ad)),
        wipe: () => void aead.clean(),
      };
    },
  };
}

/** ChaCha20-Poly1305 (section 12.3). */
const chachaPoly = aeadCipher('ChaChaPoly', (k) => new ChaCha20Poly1305(k), chachaNonceScratch());
/** AES-256-GCM (section 12.4). */
const aesGcm = aeadCipher('AESGCM', (k) => new GCM(new AES(k)), aesGcmNonceScratch());

type HashCtor = ConstructorParameters<typeof HMAC>[0];
/** What reusedHash needs of a @stablelib hash class: each of ours has these (SerializableHash). */
interface SavableHash<S> {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
  clean(): void;
  saveState(): S;
  restoreState(saved: S): unknown;
}

/**
 * One hash object per algorithm, reused for every hash() call instead of a new one per call
 * (BLAKE2b's constructor allocates seven typed arrays). After each digest, clean() wipes every internal of
 * the object (state, buffer, work arrays, counters, its saved initial state) and restoreState()
 * puts back the snapshot of a fresh object taken here, which holds only public constants (IV and
 * parameter block, zero buffer and counters). So nothing of the input outlives the call, as with
 * a fresh object. Safe to share: hashing is synchronous and calls nothing back, so two calls
 * cannot interleave, and each worker thread loads its own copy of this module.
 */
function reusedHash<S>(ctor: new () => SavableHash<S>): HashParts {
  const h = new ctor();
  const fresh = h.saveState();
  return (parts) => {
    try {
      for (const p of parts) h.update(p);
      return h.digest();
    } finally {
      h.clean();
      h.restoreState(fresh);
    }
  };
}

/**
 * `reusableHmac`: whether @stablelib/hmac works with this hash. Its HMAC restores saved hash
 * states, and @stablelib/blake2s and blake2b 2.0.1 do not clear their "finished" flag there, so
 * for those HMAC and HKDF are built on one-shot hash() calls (hmac-pads.ts). For SHA-2, HKDF is
 * the section 4.3 one of crypto/hkdf.ts over @stablelib/hmac: it zeroes temp_key, which
 * @stablelib/hkdf 2.0.1 drops unwiped (its extract result is kept only inside its HMAC).
 */
function stableHash(name: string, ctor: HashCtor & (new () => SavableHash<unknown>), hashLen: number, blockLen: number, reusableHmac: boolean): Hash {
  const hashParts = reusedHash(ctor);
  const hash: Hash = {
    name,
    hashLen,
    blockLen,
    hash: (...parts) => hashParts(parts),
    hmac(key, ...data) {
      // RFC 2104: a key longer than the block is replaced by its hash. Done here with hash()
      // because @stablelib/hmac 2.0.1 gets it wrong for BLAKE2s/BLAKE2b (it reuses the
      // hash after clean(), see reusableHmac below); identical for SHA-2. Noise's own keys are
      // HASHLEN bytes, never longer than the block, so protocols were not affected.
      const longKey = key.length > blockLen;
      if (longKey) key = hash.hash(key);
      const m = new HMAC(ctor, key);
      for (const d of data) m.update(d);
      const out = m.digest();
      m.clean();
      if (longKey) key.fill(0);
      return out;
    },
  };
  if (!reusableHmac) {
    // Two one-shot hash() calls per HMAC and the temp_key pads made once per HKDF
    // (crypto/hmac-pads.ts): no HMAC objects with their saved inner/outer states, which
    // @stablelib/hmac allocates per call (interleaved A/B: XX handshakes on this backend 1.8%
    // faster).
    return { ...hash, ...padHmac(hashParts, blockLen) };
  }
  return hash;
}

const hashes: Record<string, Hash> = {
  SHA256: stableHash('SHA256', SHA256, 32, 64, true),
  SHA512: stableHash('SHA512', SHA512, 64, 128, true),
  BLAKE2s: stableHash('BLAKE2s', BLAKE2s, 32, 64, false),
  BLAKE2b: stableHash('BLAKE2b', BLAKE2b, 64, 128, false),
};
const dhs: Record<string, Dh> = { '25519': dh25519, '448': dh448, P256: p256Noble, secp256k1: secp256k1Dh };
const ciphers: Record<string, Cipher> = { ChaChaPoly: chachaPoly, AESGCM: aesGcm, XChaChaPoly: xchachaPoly };

/** The portable pure-JavaScript backend. */
export const stablelibBackend: CryptoBackend = {
  name: 'stablelib',
  dh: byName(dhs),
  cipher: byName(ciphers),
  hash: byName(hashes),
};

