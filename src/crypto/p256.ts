/**
 * DH function `P256` as snow names it (mcginty/snow, `DHChoice::P256`): NIST P-256 (secp256r1).
 * Not part of the Noise specification; it follows the DH-function contract of section 4.1:
 *
 * - public keys are 65-byte uncompressed SEC1 points (`04 || x || y`), so DHLEN for message
 *   layout purposes is 65 (the length an `e` or `s` token occupies);
 * - private keys are 32-byte big-endian scalars in [1, n-1];
 * - DH(key_pair, public_key) is the 32-byte x-coordinate of the shared point (the usual ECDH
 *   output, as in SEC1 3.3.1 and node:crypto's `computeSecret`);
 * - a public key that is not a point on the curve is rejected with ERR_NOISE_DH.
 *
 * Verified against snow's `tests/vectors/snow-extended.txt` (204 vectors, see
 * test/extended-vectors.test.ts). Two implementations: `p256Noble` (@noble/curves, used by the
 * stablelib backend) and `p256Node` (node:crypto's OpenSSL ECDH, used by the node backend).
 */
import * as crypto from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import type { Dh, KeyPair } from './types.js';
import { NoiseError } from '../errors.js';
import { checkBytes } from '../bytes.js';
import { weierstrassGenerate, weierstrassKeyPair, weierstrassSharedPoint } from './weierstrass-dh.js';
import { takeSecret } from './secrets.js';

/** Length of an uncompressed P-256 public key. */
export const P256_PUBLIC_KEY_LENGTH = 65;

/** P256 from @noble/curves (pure JavaScript). */
export const p256Noble: Dh = {
  name: 'P256',
  dhLen: P256_PUBLIC_KEY_LENGTH,
  privateKeyLength: 32,
  generateKeyPair(): KeyPair {
    return weierstrassGenerate(p256, 'P-256', false);
  },
  keyPairFromPrivate(privateKey) {
    return weierstrassKeyPair(p256, 'P-256', privateKey, false);
  },
  dh(keyPair, publicKey) {
    checkBytes('publicKey', publicKey, P256_PUBLIC_KEY_LENGTH);
    // Compressed output is 02/03 || x; the DH output is x.
    const point = weierstrassSharedPoint(p256, 'P-256', keyPair, publicKey, true);
    const x = point.slice(1);
    point.fill(0);
    return x;
  },
};

/** P256 from node:crypto (`createECDH('prime256v1')`, OpenSSL). */
export const p256Node: Dh = {
  name: 'P256',
  dhLen: P256_PUBLIC_KEY_LENGTH,
  privateKeyLength: 32,
  generateKeyPair(): KeyPair {
    const ecdh = crypto.createECDH('prime256v1');
    ecdh.generateKeys();
    // getPrivateKey() drops leading zero bytes (a big number), so 1 key in 256 would come out
    // 31 bytes or shorter; Noise keys are fixed-length, so it is left-padded back to 32.
    const raw = ecdh.getPrivateKey();
    const privateKey = new Uint8Array(32);
    privateKey.set(raw, 32 - raw.length);
    raw.fill(0);
    return { publicKey: new Uint8Array(ecdh.getPublicKey()), privateKey };
  },
  keyPairFromPrivate(privateKey) {
    checkBytes('privateKey', privateKey, 32);
    const ecdh = crypto.createECDH('prime256v1');
    try {
      ecdh.setPrivateKey(privateKey);
    } catch (err) {
      throw new NoiseError('ERR_NOISE_INVALID_KEY', 'privateKey is not a valid P-256 scalar (it must be in [1, n-1])', { cause: err });
    }
    return { publicKey: new Uint8Array(ecdh.getPublicKey()), privateKey: new Uint8Array(privateKey) };
  },
  dh(keyPair, publicKey) {
    checkBytes('publicKey', publicKey, P256_PUBLIC_KEY_LENGTH);
    if (typeof keyPair !== 'object' || keyPair === null) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'keyPair must be { publicKey, privateKey }');
    checkBytes('keyPair.privateKey', keyPair.privateKey, 32); // node would also take a string
    const ecdh = crypto.createECDH('prime256v1');
    try {
      ecdh.setPrivateKey(keyPair.privateKey);
    } catch (err) {
      throw new NoiseError('ERR_NOISE_INVALID_KEY', 'the local private key is not a valid P-256 scalar', { cause: err });
    }
    // OpenSSL also takes the "hybrid" form (06/07 || x || y); Noise's P256 keys are 04 || x || y
    // (docs/profiles.md), and the portable backend (@noble) refuses any other prefix too.
    if (publicKey[0] !== 0x04) throw new NoiseError('ERR_NOISE_DH', `a P-256 public key must be uncompressed (prefix 04), got prefix ${publicKey[0]!.toString(16).padStart(2, '0')}`);
    try {
      return takeSecret(ecdh.computeSecret(publicKey));
    } catch (err) {
      throw new NoiseError('ERR_NOISE_DH', 'the public key is not a valid P-256 point', { cause: err });
    }
  },
};
