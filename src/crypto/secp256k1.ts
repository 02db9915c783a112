/**
 * DH function `secp256k1` as Lightning BOLT #8 defines it ("Handshake State", `ECDH(k, rk)`):
 *
 * - public keys are 33-byte compressed SEC1 points (`02|03 || x`), so DHLEN for message layout
 *   is 33 (BOLT 8 act one: "33 bytes for the compressed ephemeral public key");
 * - private keys are 32-byte big-endian scalars in [1, n-1];
 * - DH(k, rk) = SHA-256 of the compressed encoding of the shared point k*rk (BOLT 8: "The
 *   returned value is the SHA256 of the compressed format of the generated point"), 32 bytes;
 * - a public key that does not parse as a compressed point on the curve (a wrong prefix byte,
 *   an x with no y) is rejected with ERR_NOISE_DH.
 *
 * Curve arithmetic from @noble/curves, SHA-256 from @noble/hashes. The same object serves both
 * backends (node:crypto's ECDH returns only x, and the BOLT 8 output needs the parity of y).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Dh, KeyPair } from './types.js';
import { NoiseError } from '../errors.js';
import { checkBytes, wipe } from '../bytes.js';
import { weierstrassGenerate, weierstrassKeyPair, weierstrassSharedPoint } from './weierstrass-dh.js';

/** Length of a compressed secp256k1 public key. */
export const SECP256K1_PUBLIC_KEY_LENGTH = 33;

/** secp256k1 with the BOLT 8 ECDH (SHA-256 of the compressed shared point). */
export const secp256k1Dh: Dh = {
  name: 'secp256k1',
  dhLen: SECP256K1_PUBLIC_KEY_LENGTH,
  privateKeyLength: 32,
  generateKeyPair(): KeyPair {
    return weierstrassGenerate(secp256k1, 'secp256k1', true);
  },
  keyPairFromPrivate(privateKey) {
    return weierstrassKeyPair(secp256k1, 'secp256k1', privateKey, true);
  },
  dh(keyPair, publicKey) {
    checkBytes('publicKey', publicKey, SECP256K1_PUBLIC_KEY_LENGTH);
    if (publicKey[0] !== 0x02 && publicKey[0] !== 0x03) {
      throw new NoiseError('ERR_NOISE_DH', `a secp256k1 public key must be compressed (prefix 02 or 03), got prefix ${publicKey[0]!.toString(16).padStart(2, '0')}`);
    }
    const point = weierstrassSharedPoint(secp256k1, 'secp256k1', keyPair, publicKey, true);
    const out = sha256(point);
    wipe(point);
    return out;
  },
};

/** True when `publicKey` is a 33-byte compressed encoding of a point on secp256k1. */
export function isValidSecp256k1PublicKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 33 || (publicKey[0] !== 2 && publicKey[0] !== 3)) return false;
  try {
    secp256k1.Point.fromBytes(publicKey);
    return true;
  } catch {
    return false;
  }
}
