/**
 * CipherState (Noise spec section 5.1): a key `k` and a 64-bit nonce `n`.
 *
 * - `n` is a bigint; 2^64-1 is reserved, so using it is ERR_NOISE_NONCE_EXHAUSTED (5.1).
 * - A failed decryption signals ERR_NOISE_DECRYPT and does not advance `n` (5.1).
 * - `rekey()` implements section 11.3 (it changes `k`, never `n`).
 * - After `wipe()` (a destroyed session) the state refuses to encrypt or decrypt
 *   (ERR_NOISE_INVALID_STATE) until a new key is set: EncryptWithAd without a key returns the
 *   plaintext (section 5.1), which is right during a handshake and wrong for a session that
 *   has been torn down.
 */
import type { Cipher, CipherKey } from '../crypto/types.js';
import { defaultRekey } from '../crypto/hkdf.js';
import { NoiseError } from '../errors.js';
import { checkBytes, wipe } from '../bytes.js';

/** 2^64-1: reserved (section 5.1). The largest usable nonce is MAX_NONCE - 1. */
export const MAX_NONCE = (1n << 64n) - 1n;
/** Largest Noise message (section 3). */
export const MAX_MESSAGE_LENGTH = 65535;
/** AEAD tag length of every Noise cipher (section 4.2). */
export const TAG_LENGTH = 16;

export class CipherState {
  readonly cipher: Cipher;
  #key: CipherKey | undefined;
  #n = 0n;
  /** Set by wipe(), cleared by a new key: a wiped state must not pass data through. */
  #wiped = false;

  constructor(cipher: Cipher, key?: Uint8Array) {
    this.cipher = cipher;
    if (key) this.initializeKey(key);
  }

  /** InitializeKey(key): sets k (copied) and n = 0. `undefined` sets k to empty. The old key is wiped. */
  initializeKey(key: Uint8Array | undefined): void {
    const old = this.replaceKey(key);
    old?.wipe();
  }

  /** Internal: like initializeKey, but returns the previous keyed cipher instead of wiping it. */
  replaceKey(key: Uint8Array | undefined): CipherKey | undefined {
    const old = this.#key;
    this.#key = key ? this.cipher.init(key) : undefined;
    this.#n = 0n;
    this.#wiped = false;
    return old;
  }

  /** HasKey(). */
  hasKey(): boolean {
    return this.#key !== undefined;
  }

  /** The next nonce to be used. */
  get nonce(): bigint {
    return this.#n;
  }

  /** SetNonce(nonce) (section 11.4). */
  setNonce(nonce: bigint): void {
    if (typeof nonce !== 'bigint' || nonce < 0n || nonce > MAX_NONCE) {
      throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'nonce must be a bigint in [0, 2^64-1]');
    }
    this.#n = nonce;
  }

  /**
   * EncryptWithAd(ad, plaintext). Without a key, returns the plaintext; after wipe(),
   * ERR_NOISE_INVALID_STATE.
   */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    checkBytes('ad', ad);
    checkBytes('plaintext', plaintext);
    const key = this.#key;
    if (!key) return this.#unkeyed(plaintext);
    if (this.#n >= MAX_NONCE) throw new NoiseError('ERR_NOISE_NONCE_EXHAUSTED');
    const ct = key.encrypt(this.#n, ad, plaintext);
    this.#n++;
    return ct;
  }

  /**
   * DecryptWithAd(ad, ciphertext). Without a key, returns the ciphertext; after wipe(),
   * ERR_NOISE_INVALID_STATE.
   */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    checkBytes('ad', ad);
    checkBytes('ciphertext', ciphertext);
    const key = this.#key;
    if (!key) return this.#unkeyed(ciphertext);
    if (this.#n >= MAX_NONCE) throw new NoiseError('ERR_NOISE_NONCE_EXHAUSTED');
    const pt = key.decrypt(this.#n, ad, ciphertext);
    if (pt === null) throw new NoiseError('ERR_NOISE_DECRYPT');
    this.#n++;
    return pt;
  }

  /** The key-less pass-through of section 5.1, refused once the state has been wiped. */
  #unkeyed(data: Uint8Array): Uint8Array {
    if (this.#wiped) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'this cipher state was destroyed (its key wiped); it neither encrypts nor decrypts');
    return data;
  }

  /** Rekey(): k = REKEY(k) (sections 4.2 and 11.3). `n` is unchanged. */
  rekey(): void {
    const key = this.#key;
    if (!key) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'rekey needs a key');
    const k = this.cipher.rekey ? this.cipher.rekey(key) : defaultRekey(key);
    const next = this.cipher.init(k);
    wipe(k);
    key.wipe();
    this.#key = next;
  }

  /** Internal: the keyed cipher and nonce, for snapshot/rollback by SymmetricState. */
  snapshot(): { key: CipherKey | undefined; n: bigint } {
    return { key: this.#key, n: this.#n };
  }

  /** Internal: restores a snapshot taken by `snapshot()`. */
  restore(s: { key: CipherKey | undefined; n: bigint }): void {
    this.#key = s.key;
    this.#n = s.n;
  }

  /**
   * Wipes the key. Afterwards the state has no key and refuses to encrypt or decrypt
   * (ERR_NOISE_INVALID_STATE) until initializeKey() gives it a new one.
   */
  wipe(): void {
    this.#key?.wipe();
    this.#key = undefined;
    this.#wiped = true;
  }
}
