/**
 * Shared helpers for the short-Weierstrass DH functions (P-256 and secp256k1) built on
 * @noble/curves: key-pair derivation with scalar checks, and the translation of the library's
 * exceptions into typed NoiseErrors (Noise spec section 4.1: DH of an invalid public key is an
 * error). No curve arithmetic lives here.
 */
import type { KeyPair } from './types.js';
import { NoiseError } from '../errors.js';
import { checkBytes, copyBytes } from '../bytes.js';
import { keyPairFromGenerated } from './secrets.js';

/** The subset of a @noble/curves ECDH object these helpers use. */
export interface NobleEcdh {
  getPublicKey(secretKey: Uint8Array, isCompressed?: boolean): Uint8Array;
  getSharedSecret(secretKey: Uint8Array, publicKey: Uint8Array, isCompressed?: boolean): Uint8Array;
  utils: { isValidSecretKey(secretKey: Uint8Array): boolean; randomSecretKey(): Uint8Array };
}

/** Derives `{ publicKey, privateKey }` (the private key copied); ERR_NOISE_INVALID_KEY when the scalar is 0 or >= n. */
export function weierstrassKeyPair(curve: NobleEcdh, curveName: string, privateKey: Uint8Array, compressed: boolean): KeyPair {
  checkBytes('privateKey', privateKey, 32);
  if (!curve.utils.isValidSecretKey(privateKey)) {
    throw new NoiseError('ERR_NOISE_INVALID_KEY', `privateKey is not a valid ${curveName} scalar (it must be in [1, n-1])`);
  }
  return { publicKey: curve.getPublicKey(privateKey, compressed), privateKey: copyBytes(privateKey) };
}

/** A new key pair from the curve's generator (whose own array is zeroed). */
export function weierstrassGenerate(curve: NobleEcdh, curveName: string, compressed: boolean): KeyPair {
  return keyPairFromGenerated(curve.utils.randomSecretKey(), (k) => weierstrassKeyPair(curve, curveName, k, compressed));
}

/** The key pair's private key, checked: a 32-byte array that is a valid scalar (ERR_NOISE_INVALID_KEY), else ERR_NOISE_INVALID_ARGUMENT. */
export function checkPrivateKey(keyPair: KeyPair, isValid: (k: Uint8Array) => boolean, curveName: string): Uint8Array {
  if (typeof keyPair !== 'object' || keyPair === null) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'keyPair must be { publicKey, privateKey }');
  checkBytes('keyPair.privateKey', keyPair.privateKey, 32);
  if (!isValid(keyPair.privateKey)) throw new NoiseError('ERR_NOISE_INVALID_KEY', `the local private key is not a valid ${curveName} scalar`);
  return keyPair.privateKey;
}

/**
 * The shared point in SEC1 encoding; ERR_NOISE_DH when the public key is not a point on the
 * curve (a bad local private key is ERR_NOISE_INVALID_KEY, checked first).
 */
export function weierstrassSharedPoint(curve: NobleEcdh, curveName: string, keyPair: KeyPair, publicKey: Uint8Array, compressed: boolean): Uint8Array {
  const privateKey = checkPrivateKey(keyPair, (k) => curve.utils.isValidSecretKey(k), curveName);
  try {
    return curve.getSharedSecret(privateKey, publicKey, compressed);
  } catch (err) {
    throw new NoiseError('ERR_NOISE_DH', `the public key is not a valid ${curveName} point`, { cause: err });
  }
}
