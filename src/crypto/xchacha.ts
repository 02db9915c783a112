/**
 * Cipher `XChaChaPoly` as snow names it (mcginty/snow, `CipherChoice::XChaChaPoly`, behind its
 * `xchachapoly` feature): XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) with a 32-byte key, a
 * 24-byte nonce and a 16-byte tag. Not part of the Noise specification; it follows the cipher
 * contract of section 4.2 (ENCRYPT(k, n, ad, plaintext) with a 64-bit counter n).
 *
 * Nonce layout (24 bytes): 16 zero bytes, then n as a 64-bit little-endian integer.
 *
 *   nonce = 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 || LE64(n)
 *
 * Source: mcginty/snow `src/resolvers/default.rs`, `impl Cipher for CipherXChaChaPoly`:
 * `let mut nonce_bytes = [0u8; 24]; copy_slices!(&nonce.to_le_bytes(), &mut nonce_bytes[16..]);`
 * (read at commit 04fd472b331e). Confirmed by `snow-extended.txt` (204/204, every vector of which
 * uses XChaChaPoly); the other plausible layouts (LE64 at offset 0 or 8, or the ChaChaPoly
 * 4-zero-byte layout zero-padded to 24) all fail those vectors.
 *
 * Primitive from @noble/ciphers (node:crypto has no XChaCha20). REKEY is the default of 4.2.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { Cipher, CipherKey } from './types.js';
import { checkBytes, copyBytes, wipe } from '../bytes.js';
import { NoiseError } from '../errors.js';

/** Length of an XChaCha20-Poly1305 nonce. */
export const XCHACHA_NONCE_LENGTH = 24;

/** The 24-byte XChaChaPoly nonce of snow: 16 zero bytes, then little-endian n. */
export function xchachaNonce(n: bigint, out: Uint8Array = new Uint8Array(XCHACHA_NONCE_LENGTH)): Uint8Array {
  if (typeof n !== 'bigint' || n < 0n || n >= 1n << 64n) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'nonce must be a bigint in [0, 2^64-1]');
  checkBytes('out', out);
  if (out.length < XCHACHA_NONCE_LENGTH) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `out must hold ${XCHACHA_NONCE_LENGTH} bytes`);
  new DataView(out.buffer, out.byteOffset, XCHACHA_NONCE_LENGTH).setBigUint64(16, n, true);
  return out;
}

/** XChaChaPoly (snow's name) from @noble/ciphers. */
export const xchachaPoly: Cipher = {
  name: 'XChaChaPoly',
  init(key: Uint8Array): CipherKey {
    checkBytes('cipher key', key, 32);
    const k = copyBytes(key);
    const nonce = new Uint8Array(XCHACHA_NONCE_LENGTH);
    return {
      encrypt: (n, ad, plaintext) => xchacha20poly1305(k, xchachaNonce(n, nonce), ad).encrypt(plaintext),
      decrypt(n, ad, ciphertext) {
        if (ciphertext.length < 16) return null;
        try {
          return xchacha20poly1305(k, xchachaNonce(n, nonce), ad).decrypt(ciphertext);
        } catch {
          return null;
        }
      },
      wipe: () => wipe(k),
    };
  },
};
