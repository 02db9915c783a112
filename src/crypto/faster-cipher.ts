/**
 * Which of two implementations of one AEAD cipher seals and opens a message of a given size
 * faster on this machine: they are timed in turn, a few rounds each, on a random key and
 * message (nothing of the caller's). About a millisecond at 32 KiB. Used once per process by the
 * `auto` backend (crypto/auto.ts), where the answer depends on the CPU: OpenSSL (node:crypto)
 * has AVX-512 code for ChaCha20 and Poly1305 that libsodium lacks, and pays several microseconds
 * of set-up per call that libsodium does not.
 *
 * The two must also agree: if their ciphertexts differ, or either fails to open its own, the
 * answer is the first (the default), so a broken alternative is never chosen.
 */
import { randomFillSync } from 'node:crypto';
import type { Cipher, CipherKey } from './types.js';
import { equalBytes } from '../bytes.js';

/** 0 when `impls[0]` is at least as fast (or the two disagree), 1 when `impls[1]` is faster. */
export function fasterCipher(impls: readonly [Cipher, Cipher], size: number, rounds = 5): 0 | 1 {
  const key = randomFillSync(new Uint8Array(32));
  const msg = randomFillSync(new Uint8Array(size));
  const ad = new Uint8Array(0);
  const keys: CipherKey[] = [];
  try {
    for (const c of impls) keys.push(c.init(key));
    const sealOpen = (k: CipherKey): Uint8Array | null => {
      const ct = k.encrypt(0n, ad, msg);
      const pt = k.decrypt(0n, ad, ct);
      return pt && equalBytes(pt, msg) ? ct : null;
    };
    // Warm-up, and the agreement check.
    const [c0, c1] = [sealOpen(keys[0]!), sealOpen(keys[1]!)];
    if (!c0 || !c1 || !equalBytes(c0, c1)) return 0;
    const times: [number[], number[]] = [[], []];
    for (let r = 0; r < rounds; r++) {
      for (let j = 0; j < 2; j++) {
        const i = (r + j) & 1; // alternate which goes first
        const t0 = performance.now();
        sealOpen(keys[i]!);
        sealOpen(keys[i]!);
        times[i]!.push(performance.now() - t0);
      }
    }
    const med = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;
    return med(times[1]) < med(times[0]) ? 1 : 0;
  } finally {
    for (const k of keys) k.wipe();
    key.fill(0);
  }
}
