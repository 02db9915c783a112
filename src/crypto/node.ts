/**
 * The native backend: node:crypto (OpenSSL) for X25519, X448, ChaCha20-Poly1305, AES-256-GCM,
 * SHA-256, SHA-512, BLAKE2s-256, BLAKE2b-512 and HMAC/HKDF over each. Spec section 12.
 *
 * Key objects: node:crypto works on KeyObjects, and importing raw keys costs time, so a key
 * pair's private KeyObject is imported once (as JWK, the cheapest raw import path) and kept in a
 * WeakMap, and peers' public keys are imported as JWK and cached per array.
 */
import * as crypto from 'node:crypto';
import type { Cipher, CipherKey, CryptoBackend, Dh, Hash, KeyPair } from './types.js';
import { ChaCha20Poly1305 } from '@stablelib/chacha20poly1305';
import { chachaNonceScratch, aesGcmNonceScratch } from './nonce.js';
import { checkBytes, copyBytes, decodeText, equalBytes, ON_HEAP_MAX } from '../bytes.js';
import { scrubPoolAfter, takeSecret } from './secrets.js';
import { PartsScratch } from './scratch.js';
import { CiphertextSlab } from './alloc.js';
import { padHmac } from './hmac-pads.js';
import { p256Node } from './p256.js';
import { secp256k1Dh } from './secp256k1.js';
import { xchachaPoly } from './xchacha.js';
import { RandomPool } from './random-pool.js';
import { byName } from './table.js';

const b64url = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
/** A public key from base64url (through Node's Buffer pool: only for public values). */
const fromB64url = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64url'));

/** generateKeyPairSync with JWK output (supported by Node, missing from @types/node's overloads). */
const generateJwkPair = crypto.generateKeyPairSync as unknown as (
  type: string,
  options: { privateKeyEncoding: { format: 'jwk' }; publicKeyEncoding: { format: 'jwk' } },
) => { privateKey: crypto.JsonWebKey; publicKey: crypto.JsonWebKey };

/**
 * Whether this Node imports an OKP private JWK from `d` alone, deriving the public key itself
 * (Node 20: `x` must be a string but is not read). Then a fresh key pair costs one import and a
 * JWK export (~87 µs for X25519, measured) instead of a generation job plus an import
 * (~143 µs). Checked once per curve against a pair from generateKeyPairSync; if a later Node
 * reads or checks `x`, the check fails and the generation job is used.
 */
function importsFromD(type: 'x25519' | 'x448', crv: string): boolean {
  try {
    const { privateKey: jwk } = generateJwkPair(type, { privateKeyEncoding: { format: 'jwk' }, publicKeyEncoding: { format: 'jwk' } });
    const ko = crypto.createPrivateKey({ key: { kty: 'OKP', crv, d: jwk.d as string, x: '' }, format: 'jwk' });
    return ko.export({ format: 'jwk' }).x === jwk.x;
  } catch {
    return false;
  }
}

/** Whether every byte is zero: the state wipe() leaves a key in. */
function isZeroKey(key: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < key.length; i++) acc |= key[i]!;
  return acc === 0;
}

function montgomeryDh(name: '25519' | '448', len: number): Dh {
  const crv = name === '25519' ? 'X25519' : 'X448';
  const type = name === '25519' ? 'x25519' : 'x448';
  // Private KeyObjects for key pairs we have seen; weak so that a dropped key pair is collectable.
  const privateObjects = new WeakMap<KeyPair, crypto.KeyObject>();
  // Public KeyObjects of peers' keys, per array (see dh()).
  const publicObjects = new WeakMap<Uint8Array, { bytes: Uint8Array; key: crypto.KeyObject }>();
  let fromD: boolean | undefined;
  // Private keys come from a pool refilled 1 KiB at a time (crypto/random-pool.ts: ~6 µs per
  // randomFillSync call, whatever its size).
  const random = new RandomPool();

  const privateObject = (kp: KeyPair): crypto.KeyObject => {
    let ko = privateObjects.get(kp);
    // A zero-filled private key has been wiped: its KeyObject must not outlive it and keep
    // working (the other backends read the bytes on every call).
    if (ko && (!(kp.privateKey instanceof Uint8Array) || isZeroKey(kp.privateKey))) {
      privateObjects.delete(kp);
      ko = undefined;
    }
    if (!ko) {
      checkBytes('privateKey', kp.privateKey, len);
      const d = kp.privateKey;
      ko = scrubPoolAfter(d, () => crypto.createPrivateKey({ key: { kty: 'OKP', crv, d: b64url(d), x: b64url(kp.publicKey) }, format: 'jwk' }));
      privateObjects.set(kp, ko);
    }
    return ko;
  };

  /**
   * The key pair of a private key, with its KeyObject imported once (JWK, the cheapest raw
   * import). The public key is read from the private key's own JWK export: 0.95 µs against
   * 2.4 µs through a public KeyObject, and one KeyObject less per key for the collector
   * (interleaved A/B, node backend: NN pairs 1.05-1.08x, IK 1.03x). That export holds `d` in a
   * string, as the import itself already does; neither string can be wiped from JavaScript, and
   * both are dropped at once. The import's copy of the key in Node's Buffer pool is zeroed
   * (crypto/secrets.ts).
   */
  const pairFromD = (privateKey: Uint8Array): KeyPair => {
    const ko = scrubPoolAfter(privateKey, () => crypto.createPrivateKey({ key: { kty: 'OKP', crv, d: b64url(privateKey), x: '' }, format: 'jwk' }));
    const kp = { publicKey: fromB64url(ko.export({ format: 'jwk' }).x!), privateKey: privateKey };
    privateObjects.set(kp, ko);
    return kp;
  };

  return {
    name,
    dhLen: len,
    privateKeyLength: len,
    generateKeyPair() {
      // A random private key (section 12.1/12.2: any DHLEN bytes; the scalar is clamped by
      // X25519/X448) imported once, when this Node derives the public key on import.
      // Each key is an array of its own (never a view of the pool, which zeroes what it hands out).
      if ((fromD ??= importsFromD(type, crv))) return pairFromD(random.take(len));
      // Otherwise the key pair comes out of the generation job already encoded as JWK, and the
      // private KeyObject is imported from it on first use (privateObject()). Exporting a KeyObject that
      // generateKeyPairSync returned can deadlock Node 20: if a garbage collection during the
      // export finalizes the generation job, the job's destructor waits for the key's mutex,
      // which the export holds (seen as a hang in `npm run bench`; gdb: ~KeyGenJob ->
      // uv_mutex_lock under KeyObjectHandle::ExportJWK). The regression test is in
      // test/backends.test.ts.
      const { privateKey: jwk } = generateJwkPair(type, { privateKeyEncoding: { format: 'jwk' }, publicKeyEncoding: { format: 'jwk' } });
      return { publicKey: fromB64url(jwk.x as string), privateKey: decodeText(jwk.d as string, 'base64url') };
    },
    keyPairFromPrivate(privateKey) {
      checkBytes('privateKey', privateKey, len);
      if ((fromD ??= importsFromD(type, crv))) return pairFromD(copyBytes(privateKey));
      // PKCS#8 for a raw OKP private key: fixed DER prefix + the key bytes (RFC 8410).
      const prefix = name === '25519' ? '302e020100300506032b656e04220420' : '3046020100300506032b656f043a0438';
      const der = Buffer.concat([Buffer.from(prefix, 'hex'), privateKey]);
      const ko = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      der.fill(0);
      const jwk = ko.export({ format: 'jwk' });
      const kp = { publicKey: fromB64url(jwk.x!), privateKey: copyBytes(privateKey) };
      privateObjects.set(kp, ko);
      return kp;
    },
    dh(keyPair, publicKey) {
      checkBytes('publicKey', publicKey, len);
      // A handshake passes the same array for every DH with one remote key (e.g. `re` in ee and
      // es), so the imported KeyObject is cached per array. Arrays are mutable, hence the bytes
      // are checked against the cached copy (32/56 bytes, far cheaper than a re-import).
      let cachedPub = publicObjects.get(publicKey);
      if (!cachedPub || !equalBytes(cachedPub.bytes, publicKey)) {
        const key = crypto.createPublicKey({ key: { kty: 'OKP', crv, x: b64url(publicKey) }, format: 'jwk' });
        cachedPub = { bytes: copyBytes(publicKey), key };
        publicObjects.set(publicKey, cachedPub);
      }
      const privateKey = privateObject(keyPair); // a malformed private key is an error, not a zero output
      try {
        return takeSecret(crypto.diffieHellman({ privateKey, publicKey: cachedPub.key }));
      } catch {
        // OpenSSL refuses low-order points (all-zero output). Section 12.1 prefers all zeros.
        return new Uint8Array(len);
      }
    },
  };
}

/**
 * Messages up to this many plaintext bytes are sealed by the pure-JavaScript cipher (when one is
 * given): node:crypto pays several microseconds of cipher-object set-up per call, which
 * dominates small messages. Chosen from `npm run bench` (docs/bench.md); both paths are
 * checked against each other at the boundary in test/backends.test.ts.
 */
export const NODE_SMALL_MESSAGE_MAX = 128;

interface JsAead {
  seal(nonce: Uint8Array, plaintext: Uint8Array, associatedData?: Uint8Array): Uint8Array;
  open(nonce: Uint8Array, sealed: Uint8Array, associatedData?: Uint8Array): Uint8Array | null;
  clean(): unknown;
}

function nodeAead(
  name: string,
  algorithm: 'chacha20-poly1305' | 'aes-256-gcm',
  nonce: (n: bigint) => Uint8Array,
  small?: (key: Uint8Array) => JsAead,
): Cipher {
  const slab = new CiphertextSlab();
  return {
    name,
    init(key: Uint8Array): CipherKey {
      checkBytes('cipher key', key, 32);
      const k = copyBytes(key);
      let js: JsAead | undefined;
      // The KeyObject is made on first use by node:crypto: it saves OpenSSL a key import per
      // message, but cannot be zeroed from JavaScript (wipe() drops it; see docs/bench.md).
      let ko: crypto.KeyObject | undefined;
      return {
        encrypt(n, ad, plaintext) {
          if (small && plaintext.length <= NODE_SMALL_MESSAGE_MAX) return (js ??= small(k)).seal(nonce(n), plaintext, ad);
          const c = crypto.createCipheriv(algorithm as 'chacha20-poly1305', (ko ??= crypto.createSecretKey(k)), nonce(n), { authTagLength: 16 });
          // Zero-length ad (every transport message) is OpenSSL's default: one native call saved.
          if (ad.length) c.setAAD(ad, { plaintextLength: plaintext.length });
          const out = slab.alloc(plaintext.length + 16);
          const body = c.update(plaintext);
          out.set(body, 0);
          let off = body.length;
          const fin = c.final();
          if (fin.length) out.set(fin, off);
          off += fin.length;
          out.set(c.getAuthTag(), off);
          // Ciphertexts are public, except REKEY's (section 4.2: the next key, 32 bytes): a
          // small output's intermediate copy is zeroed, which costs nothing measurable.
          if (body.length <= ON_HEAP_MAX) body.fill(0);
          return out;
        },
        decrypt(n, ad, ciphertext) {
          if (ciphertext.length < 16) return null;
          const bodyLen = ciphertext.length - 16;
          if (small && bodyLen <= NODE_SMALL_MESSAGE_MAX) return (js ??= small(k)).open(nonce(n), ciphertext, ad);
          const d = crypto.createDecipheriv(algorithm as 'chacha20-poly1305', (ko ??= crypto.createSecretKey(k)), nonce(n), { authTagLength: 16 });
          if (ad.length) d.setAAD(ad, { plaintextLength: bodyLen });
          d.setAuthTag(ciphertext.subarray(bodyLen));
          // OpenSSL decrypts before final() checks the tag: on a forgery, `body` is the
          // ciphertext XOR the keystream of nonce n, which the next genuine message reuses.
          const body = d.update(ciphertext.subarray(0, bodyLen));
          try {
            const fin = d.final();
            if (fin.length === 0) return new Uint8Array(body.buffer, body.byteOffset, body.length);
            const out = new Uint8Array(body.length + fin.length);
            out.set(body);
            out.set(fin, body.length);
            return out;
          } catch {
            body.fill(0);
            return null;
          }
        },
        wipe() {
          // OpenSSL's cipher contexts are freed after each call; the raw key and the JS cipher's
          // expanded state are ours to zero; the KeyObject can only be dropped.
          k.fill(0);
          js?.clean();
          js = undefined;
          ko = undefined;
        },
      };
    },
  };
}

/** `crypto.hash()` (one-shot, no Hash object; Node 20.12+), when this Node has it. */
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash;

/** Hash inputs up to this many bytes are joined in a reusable scratch array (crypto/scratch.ts). */
export const HASH_SCRATCH_MAX = 1024;

function nodeHash(name: string, algorithm: string, hashLen: number, blockLen: number): Hash {
  const scratch = new PartsScratch(HASH_SCRATCH_MAX);
  /** HASH(parts...) as a plain array; the joined input (which may hold key pads) is wiped. */
  const hashParts = (parts: Uint8Array[]): Uint8Array => {
    if (oneShot) {
      // Always joined, even a single part: native code reading a small array straight from
      // V8's heap would first move it off (bytes.ts ON_HEAP_MAX).
      const input = scratch.join(parts);
      const d = oneShot(algorithm, input, 'buffer');
      input.fill(0);
      return new Uint8Array(d.buffer, d.byteOffset, d.length);
    }
    const h = crypto.createHash(algorithm);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  };
  return {
    name,
    hashLen,
    blockLen,
    hash: (...parts) => hashParts(parts),
    // HMAC as two hash calls and HKDF with the temp_key pads made once (crypto/hmac-pads.ts):
    // measured faster than createHmac per HMAC and than crypto.hkdfSync (npm run bench).
    ...padHmac(hashParts, blockLen),
  };
}

const dhs: Record<string, Dh> = {
  '25519': montgomeryDh('25519', 32),
  '448': montgomeryDh('448', 56),
  P256: p256Node, // node:crypto ECDH (prime256v1)
  secp256k1: secp256k1Dh, // @noble/curves: BOLT 8 hashes the compressed point, node's ECDH returns x only
};
const ciphers: Record<string, Cipher> = {
  XChaChaPoly: xchachaPoly, // @noble/ciphers: node:crypto has no XChaCha20
  ChaChaPoly: nodeAead('ChaChaPoly', 'chacha20-poly1305', chachaNonceScratch(), (k) => new ChaCha20Poly1305(k)),
  AESGCM: nodeAead('AESGCM', 'aes-256-gcm', aesGcmNonceScratch()),
};
const hashes: Record<string, Hash> = {
  SHA256: nodeHash('SHA256', 'sha256', 32, 64),
  SHA512: nodeHash('SHA512', 'sha512', 64, 128),
  BLAKE2s: nodeHash('BLAKE2s', 'blake2s256', 32, 64),
  BLAKE2b: nodeHash('BLAKE2b', 'blake2b512', 64, 128),
};

/** The node:crypto backend. */
export const nodeBackend: CryptoBackend = {
  name: 'node',
  dh: byName(dhs),
  cipher: byName(ciphers),
  hash: byName(hashes),
};
