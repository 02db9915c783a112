/**
 * The native backend: node:crypto (OpenSSL) for X25519, X448, ChaCha20-Poly1305, AES-256-GCM,
 * SHA-256, SHA-512, BLAKE2s-256, BLAKE2b-512 and HMAC/HKDF over each. Spec section 12.
 *
 * Key objects: node:crypto works on KeyObjects, and importing raw keys costs time, so key pairs
 * generated here carry their KeyObjects in a WeakMap, and peers' public keys are imported as JWK
 * (the cheapest raw import path).
 */
import * as crypto from 'node:crypto';
import type { Cipher, CipherKey, CryptoBackend, Dh, Hash, KeyPair } from './types.js';
import { chachaNonce, aesGcmNonce } from './nonce.js';
import { splitOutputs } from './hkdf.js';
import { checkBytes, copyBytes } from '../bytes.js';
import { p256Node } from './p256.js';
import { secp256k1Dh } from './secp256k1.js';
import { xchachaPoly } from './xchacha.js';

const b64url = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
const fromB64url = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64url'));

function montgomeryDh(name: '25519' | '448', len: number): Dh {
  const crv = name === '25519' ? 'X25519' : 'X448';
  const type = name === '25519' ? 'x25519' : 'x448';
  // Private KeyObjects for key pairs we have seen; weak so that a dropped key pair is collectable.
  const privateObjects = new WeakMap<KeyPair, crypto.KeyObject>();

  const privateObject = (kp: KeyPair): crypto.KeyObject => {
    let ko = privateObjects.get(kp);
    if (!ko) {
      checkBytes('privateKey', kp.privateKey, len);
      ko = crypto.createPrivateKey({
        key: { kty: 'OKP', crv, d: b64url(kp.privateKey), x: b64url(kp.publicKey) },
        format: 'jwk',
      });
      privateObjects.set(kp, ko);
    }
    return ko;
  };

  return {
    name,
    dhLen: len,
    privateKeyLength: len,
    generateKeyPair() {
      const { privateKey } = crypto.generateKeyPairSync(type as 'x25519');
      const jwk = privateKey.export({ format: 'jwk' });
      const kp = { publicKey: fromB64url(jwk.x!), privateKey: fromB64url(jwk.d!) };
      privateObjects.set(kp, privateKey);
      return kp;
    },
    keyPairFromPrivate(privateKey) {
      checkBytes('privateKey', privateKey, len);
      // PKCS#8 for a raw OKP private key: fixed DER prefix + the key bytes (RFC 8410).
      const prefix = name === '25519' ? '302e020100300506032b656e04220420' : '3046020100300506032b656f043a0438';
      const ko = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from(prefix, 'hex'), privateKey]), format: 'der', type: 'pkcs8' });
      const jwk = ko.export({ format: 'jwk' });
      const kp = { publicKey: fromB64url(jwk.x!), privateKey: copyBytes(privateKey) };
      privateObjects.set(kp, ko);
      return kp;
    },
    dh(keyPair, publicKey) {
      checkBytes('publicKey', publicKey, len);
      const pub = crypto.createPublicKey({ key: { kty: 'OKP', crv, x: b64url(publicKey) }, format: 'jwk' });
      try {
        return new Uint8Array(crypto.diffieHellman({ privateKey: privateObject(keyPair), publicKey: pub }));
      } catch {
        // OpenSSL refuses low-order points (all-zero output). Section 12.1 prefers all zeros.
        return new Uint8Array(len);
      }
    },
  };
}

function nodeAead(name: string, algorithm: 'chacha20-poly1305' | 'aes-256-gcm', nonce: (n: bigint, out: Uint8Array) => Uint8Array): Cipher {
  return {
    name,
    init(key: Uint8Array): CipherKey {
      checkBytes('cipher key', key, 32);
      const k = crypto.createSecretKey(key);
      const nonceBuf = new Uint8Array(12);
      return {
        encrypt(n, ad, plaintext) {
          const c = crypto.createCipheriv(algorithm as 'chacha20-poly1305', k, nonce(n, nonceBuf), { authTagLength: 16 });
          c.setAAD(ad, { plaintextLength: plaintext.length });
          const out = new Uint8Array(plaintext.length + 16);
          const body = c.update(plaintext);
          out.set(body, 0);
          let off = body.length;
          const fin = c.final();
          out.set(fin, off);
          off += fin.length;
          out.set(c.getAuthTag(), off);
          return out;
        },
        decrypt(n, ad, ciphertext) {
          if (ciphertext.length < 16) return null;
          const bodyLen = ciphertext.length - 16;
          const d = crypto.createDecipheriv(algorithm as 'chacha20-poly1305', k, nonce(n, nonceBuf), { authTagLength: 16 });
          d.setAAD(ad, { plaintextLength: bodyLen });
          d.setAuthTag(ciphertext.subarray(bodyLen));
          try {
            const body = d.update(ciphertext.subarray(0, bodyLen));
            const fin = d.final();
            if (fin.length === 0) return new Uint8Array(body.buffer, body.byteOffset, body.length);
            const out = new Uint8Array(body.length + fin.length);
            out.set(body);
            out.set(fin, body.length);
            return out;
          } catch {
            return null;
          }
        },
        wipe() {
          // KeyObjects cannot be zeroed from JavaScript; dropping the reference is all we can do.
        },
      };
    },
  };
}

function nodeHash(name: string, algorithm: string, hashLen: number, blockLen: number): Hash {
  return {
    name,
    hashLen,
    blockLen,
    hash(...parts) {
      const h = crypto.createHash(algorithm);
      for (const p of parts) h.update(p);
      return new Uint8Array(h.digest());
    },
    hmac(key, ...data) {
      const m = crypto.createHmac(algorithm, key);
      for (const d of data) m.update(d);
      return new Uint8Array(m.digest());
    },
    hkdf(chainingKey, inputKeyMaterial, numOutputs) {
      // RFC 5869 HKDF with salt = ck and empty info equals the spec's section 4.3 HKDF.
      const okm = new Uint8Array(crypto.hkdfSync(algorithm, inputKeyMaterial, chainingKey, new Uint8Array(0), hashLen * numOutputs));
      return splitOutputs(okm, hashLen, numOutputs);
    },
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
  ChaChaPoly: nodeAead('ChaChaPoly', 'chacha20-poly1305', chachaNonce),
  AESGCM: nodeAead('AESGCM', 'aes-256-gcm', aesGcmNonce),
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
  dh: (name) => dhs[name],
  cipher: (name) => ciphers[name],
  hash: (name) => hashes[name],
};
