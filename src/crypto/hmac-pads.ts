/**
 * HMAC (RFC 2104, as section 4.3 defines HMAC-HASH) and the section 4.3 HKDF, built on a
 * one-shot hash of several parts. Native hash calls are cheap but each costs a fixed set-up
 * (node:crypto's createHmac about 5 µs, one libsodium crypto_generichash call under 1 µs), so HMAC is done as
 * exactly two hash calls, and HKDF keys the pads of temp_key once for all of its outputs.
 *
 *   HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)),  K' = K (or H(K) if longer than B), zero-padded to B
 *
 * The padded keys live in scratch arrays that are zeroed after every call. Checked against
 * node:crypto's createHmac and the generic HKDF of crypto/hkdf.ts in test/backends.test.ts.
 */
import type { Hash } from './types.js';

/** HASH(parts[0] || parts[1] || ...) into a new array. */
export type HashParts = (parts: Uint8Array[]) => Uint8Array;

const ONE = Uint8Array.of(1);
const TWO = Uint8Array.of(2);
const THREE = Uint8Array.of(3);

export function padHmac(hashParts: HashParts, blockLen: number): Pick<Hash, 'hmac' | 'hkdf'> {
  const ipad = new Uint8Array(blockLen);
  const opad = new Uint8Array(blockLen);

  const setPads = (key: Uint8Array): void => {
    let k = key;
    let hashed: Uint8Array | undefined;
    if (k.length > blockLen) k = hashed = hashParts([key]);
    let i = 0;
    for (; i < k.length; i++) {
      ipad[i] = k[i]! ^ 0x36;
      opad[i] = k[i]! ^ 0x5c;
    }
    ipad.fill(0x36, i);
    opad.fill(0x5c, i);
    hashed?.fill(0);
  };
  const clearPads = (): void => {
    ipad.fill(0);
    opad.fill(0);
  };
  /** HMAC under the current pads. */
  const mac = (data: Uint8Array[]): Uint8Array => {
    const inner = hashParts([ipad, ...data]);
    const out = hashParts([opad, inner]);
    inner.fill(0);
    return out;
  };

  return {
    hmac(key, ...data) {
      setPads(key);
      try {
        return mac(data);
      } finally {
        clearPads();
      }
    },
    hkdf(chainingKey, inputKeyMaterial, numOutputs) {
      try {
        setPads(chainingKey);
        const tempKey = mac([inputKeyMaterial]);
        setPads(tempKey);
        tempKey.fill(0);
        const out1 = mac([ONE]);
        const out2 = mac([out1, TWO]);
        return numOutputs === 3 ? [out1, out2, mac([out2, THREE])] : [out1, out2];
      } finally {
        clearPads();
      }
    },
  };
}
