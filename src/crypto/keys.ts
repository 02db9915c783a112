/**
 * Key generation for users: `generateKeyPair('25519')`.
 */
import type { KeyPair } from './types.js';
import { backendChain, type BackendChoice } from './resolve.js';
import { inspect } from 'node:util';
import { NoiseError } from '../errors.js';
import { toHex } from '../bytes.js';

function findDh(dh: string, backend: BackendChoice) {
  for (const b of backendChain(backend)) {
    const found = b.dh(dh);
    if (found) return found;
  }
  throw new NoiseError('ERR_NOISE_UNSUPPORTED_ALGORITHM', `DH "${dh}" is not supported by the chosen backend`);
}

/**
 * `kp`, made safe to print: util.inspect / console.log show the public key and only the length
 * of the private key, and JSON.stringify gives `{ publicKey: hex, privateKey: "[hidden]" }`. The
 * two added properties are not enumerable, so spreading, comparing and structuredClone see the
 * plain `{ publicKey, privateKey }` as before.
 */
export function hidePrivateKey(kp: KeyPair): KeyPair {
  const shown = () => ({ publicKey: toHex(kp.publicKey), privateKey: `[${kp.privateKey.length} bytes, hidden]` });
  Object.defineProperties(kp, {
    [inspect.custom]: { value: () => `KeyPair ${inspect(shown())}` },
    toJSON: { value: shown },
  });
  return kp;
}

/** Generates a new static key pair for the DH function `dh` (default `25519`). */
export function generateKeyPair(dh: string = '25519', backend: BackendChoice = 'auto'): KeyPair {
  return hidePrivateKey(findDh(dh, backend).generateKeyPair());
}

/** Derives the key pair of an existing private key. */
export function keyPairFromPrivate(privateKey: Uint8Array, dh: string = '25519', backend: BackendChoice = 'auto'): KeyPair {
  return hidePrivateKey(findDh(dh, backend).keyPairFromPrivate(privateKey));
}
