/**
 * HMAC and the section 4.3 HKDF for a native one-shot hash that writes its output into a given
 * array (libsodium's crypto_generichash), with every intermediate value kept in place:
 *
 *   inner = [ K' ^ ipad (BLOCKLEN) | data ... ]      hashed into  outer's tail
 *   outer = [ K' ^ opad (BLOCKLEN) | inner hash (HASHLEN) ]  hashed into the output
 *
 * HKDF hashes output1 straight into the data slot of `inner`, where output2's input
 * (output1 || 0x02) expects it, and so on: no joins, no intermediate arrays, and the native code
 * only ever sees these off-heap arrays (an on-heap array would first be moved, see ON_HEAP_MAX in
 * bytes.ts). Hash calls per HKDF are the same as in hmac-pads.ts: two per HMAC, 6 for two outputs
 * and 8 for three; what goes is the JavaScript between them (measured by /tmp A/B runs: about a
 * third of the hashing time of a handshake).
 *
 * Keys longer than BLOCKLEN and data longer than the slot take the general path of hmac-pads.ts;
 * Noise's own calls (HASHLEN keys, DH outputs and psks as data) never do. All scratch is zeroed
 * after every call. Checked against node:crypto's createHmac and hkdfSync in
 * test/backends.test.ts.
 */
import type { Hash } from './types.js';
import { padHmac, type HashParts } from './hmac-pads.js';
import { offHeap, prefixViews } from './scratch.js';

/** HASH(input) written into `out` (HASHLEN bytes); `out` and `input` never overlap. */
export type HashInto = (out: Uint8Array, input: Uint8Array) => void;

export function fusedHmac(hashInto: HashInto, hashParts: HashParts, hashLen: number, blockLen: number): Pick<Hash, 'hmac' | 'hkdf'> {
  const general = padHmac(hashParts, blockLen);
  /** The data slot: output_{i-1} || byte(i) of HKDF, or any data up to this length. */
  const slotMax = 2 * hashLen;
  const inner = offHeap(blockLen + slotMax);
  const outer = offHeap(blockLen + hashLen);
  const innerHash = outer.subarray(blockLen);
  /** Where HKDF puts output_i: the start of the data slot. */
  const slot = inner.subarray(blockLen, blockLen + hashLen);
  const temp = offHeap(hashLen);
  /** inner[0, blockLen + n) for a data length n. */
  const innerViews = prefixViews(inner);
  const innerOf = (n: number): Uint8Array => innerViews(blockLen + n);

  // Word views of the pads: K' ^ ipad is the key copied in, then XORed 4 bytes at a time
  // (measured ~0.2-0.5 µs less per HKDF than byte by byte).
  const inner32 = new Uint32Array(inner.buffer, 0, blockLen >> 2);
  const outer32 = new Uint32Array(outer.buffer, 0, blockLen >> 2);
  const setPads = (key: Uint8Array): void => {
    const n = key.length;
    if ((n & 3) === 0) {
      inner.set(key);
      outer.set(key);
      for (let i = 0, words = n >> 2; i < words; i++) {
        inner32[i]! ^= 0x36363636;
        outer32[i]! ^= 0x5c5c5c5c;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const b = key[i]!;
        inner[i] = b ^ 0x36;
        outer[i] = b ^ 0x5c;
      }
    }
    inner.fill(0x36, n, blockLen);
    outer.fill(0x5c, n, blockLen);
  };
  /** HMAC under the current pads of the first `n` bytes of the data slot, into `out`. */
  const macInto = (out: Uint8Array, n: number): void => {
    hashInto(innerHash, innerOf(n));
    hashInto(out, outer);
  };
  const clear = (): void => {
    inner.fill(0);
    outer.fill(0);
    temp.fill(0);
  };

  return {
    hmac(key, ...data) {
      let n = 0;
      for (let i = 0; i < data.length; i++) n += data[i]!.length;
      if (key.length > blockLen || n > slotMax) return general.hmac(key, ...data);
      try {
        setPads(key);
        let off = blockLen;
        for (let i = 0; i < data.length; i++) {
          inner.set(data[i]!, off);
          off += data[i]!.length;
        }
        macInto(temp, n);
        return new Uint8Array(temp);
      } finally {
        clear();
      }
    },
    hkdf(chainingKey, inputKeyMaterial, numOutputs) {
      if (chainingKey.length > blockLen || inputKeyMaterial.length > slotMax) return general.hkdf!(chainingKey, inputKeyMaterial, numOutputs);
      try {
        // temp_key = HMAC(ck, ikm)
        setPads(chainingKey);
        inner.set(inputKeyMaterial, blockLen);
        macInto(temp, inputKeyMaterial.length);
        setPads(temp);
        // output1 = HMAC(temp_key, 0x01), into the slot where output2's input begins
        inner[blockLen] = 1;
        macInto(slot, 1);
        const out1 = new Uint8Array(slot);
        // output2 = HMAC(temp_key, output1 || 0x02)
        inner[blockLen + hashLen] = 2;
        macInto(slot, hashLen + 1);
        const out2 = new Uint8Array(slot);
        if (numOutputs === 2) return [out1, out2];
        // output3 = HMAC(temp_key, output2 || 0x03)
        inner[blockLen + hashLen] = 3;
        macInto(slot, hashLen + 1);
        return [out1, out2, new Uint8Array(slot)];
      } finally {
        clear();
      }
    },
  };
}
