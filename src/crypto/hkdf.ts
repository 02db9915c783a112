/**
 * HKDF as defined by the Noise spec, section 4.3, and REKEY's default (section 4.2).
 *
 *   temp_key = HMAC-HASH(chaining_key, input_key_material)
 *   output1  = HMAC-HASH(temp_key, byte(0x01))
 *   output2  = HMAC-HASH(temp_key, output1 || byte(0x02))
 *   output3  = HMAC-HASH(temp_key, output2 || byte(0x03))
 */
import type { CipherKey, Hash } from './types.js';
import { checkBytes, copyBytes, wipe } from '../bytes.js';
import { NoiseError } from '../errors.js';

const ONE = Uint8Array.of(1);
const TWO = Uint8Array.of(2);
const THREE = Uint8Array.of(3);

/** HKDF(chaining_key, input_key_material, num_outputs) of section 4.3, built on the hash's HMAC. */
export function hkdf(hash: Hash, chainingKey: Uint8Array, inputKeyMaterial: Uint8Array, numOutputs: 2 | 3): Uint8Array[] {
  if (typeof hash !== 'object' || hash === null || typeof hash.hmac !== 'function') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'hkdf needs a Hash (e.g. suite.hash)');
  checkBytes('chainingKey', chainingKey);
  checkBytes('inputKeyMaterial', inputKeyMaterial);
  if (numOutputs !== 2 && numOutputs !== 3) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'hkdf makes 2 or 3 outputs');
  if (hash.hkdf) return hash.hkdf(chainingKey, inputKeyMaterial, numOutputs);
  const tempKey = hash.hmac(chainingKey, inputKeyMaterial);
  const out1 = hash.hmac(tempKey, ONE);
  const out2 = hash.hmac(tempKey, out1, TWO);
  if (numOutputs === 2) {
    wipe(tempKey);
    return [out1, out2];
  }
  const out3 = hash.hmac(tempKey, out2, THREE);
  wipe(tempKey);
  return [out1, out2, out3];
}

const MAX_NONCE = (1n << 64n) - 1n;
const ZEROS32 = new Uint8Array(32);

/** REKEY(k) = ENCRYPT(k, maxnonce, zerolen, zeros)[0..32] (section 4.2). */
export function defaultRekey(key: CipherKey): Uint8Array {
  const ct = key.encrypt(MAX_NONCE, new Uint8Array(0), ZEROS32);
  const k = copyBytes(ct, 0, 32);
  wipe(ct);
  return k;
}
