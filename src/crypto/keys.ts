/**
 * Key generation for users: `generateKeyPair('25519')`.
 */
import type { KeyPair } from './types.js';
import { backendChain, type BackendChoice } from './resolve.js';
import { NoiseError } from '../errors.js';

function findDh(dh: string, backend: BackendChoice) {
  for (const b of backendChain(backend)) {
    const found = b.dh(dh);
    if (found) return found;
  }
  throw new NoiseError('ERR_NOISE_UNSUPPORTED_ALGORITHM', `DH "${dh}" is not supported by the chosen backend`);
}

/** Generates a new static key pair for the DH function `dh` (default `25519`). */
export function generateKeyPair(dh: string = '25519', backend: BackendChoice = 'auto'): KeyPair {
  return findDh(dh, backend).generateKeyPair();
}

/** Derives the key pair of an existing private key. */
export function keyPairFromPrivate(privateKey: Uint8Array, dh: string = '25519', backend: BackendChoice = 'auto'): KeyPair {
  return findDh(dh, backend).keyPairFromPrivate(privateKey);
}
