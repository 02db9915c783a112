/**
 * Crypto interfaces (Noise spec section 4): a backend supplies DH, cipher and hash
 * functions by their spec names. Users can implement these to plug in their own.
 */

/** A DH key pair. Both halves are raw bytes in the DH function's own encoding. */
export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

/** DH functions (section 4.1). */
export interface Dh {
  /** Name as used in protocol names, e.g. `25519`. */
  readonly name: string;
  /** DHLEN: length of public keys and DH outputs in bytes. */
  readonly dhLen: number;
  /** Length of a private key in bytes. */
  readonly privateKeyLength: number;
  /** GENERATE_KEYPAIR(). */
  generateKeyPair(): KeyPair;
  /** Derives the key pair of a private key. */
  keyPairFromPrivate(privateKey: Uint8Array): KeyPair;
  /** DH(key_pair, public_key): returns DHLEN bytes (a new array). May throw NoiseError ERR_NOISE_DH. */
  dh(keyPair: KeyPair, publicKey: Uint8Array): Uint8Array;
}

/** A cipher instance bound to one 32-byte key `k` (key set-up paid once). */
export interface CipherKey {
  /** ENCRYPT(k, n, ad, plaintext): ciphertext with a 16-byte tag. */
  encrypt(n: bigint, ad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** DECRYPT(k, n, ad, ciphertext): the plaintext, or null when authentication fails. */
  decrypt(n: bigint, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null;
  /** Zero-fills key material held by this instance. */
  wipe(): void;
}

/** Cipher functions (section 4.2). */
export interface Cipher {
  /** Name as used in protocol names, e.g. `ChaChaPoly`. */
  readonly name: string;
  /** Binds a 32-byte key. The key bytes are copied; the caller may wipe its array. */
  init(key: Uint8Array): CipherKey;
  /**
   * REKEY(k). Optional: the default is the spec's
   * `ENCRYPT(k, maxnonce, zerolen, zeros)` truncated to 32 bytes (section 4.2).
   */
  rekey?(key: CipherKey): Uint8Array;
}

/** Hash functions (section 4.3). */
export interface Hash {
  /** Name as used in protocol names, e.g. `SHA256`. */
  readonly name: string;
  /** HASHLEN in bytes (32 or 64). */
  readonly hashLen: number;
  /** BLOCKLEN in bytes. */
  readonly blockLen: number;
  /** HASH(parts[0] || parts[1] || ...). */
  hash(...parts: Uint8Array[]): Uint8Array;
  /** HMAC-HASH(key, data[0] || data[1] || ...). */
  hmac(key: Uint8Array, ...data: Uint8Array[]): Uint8Array;
  /**
   * Optional fast path for HKDF(chainingKey, ikm, numOutputs) (section 4.3); when absent the
   * generic construction from `hmac` in crypto/hkdf.ts is used.
   */
  hkdf?(chainingKey: Uint8Array, inputKeyMaterial: Uint8Array, numOutputs: 2 | 3): Uint8Array[];
}

/** A crypto backend: a named provider of algorithms, looked up by spec name. */
export interface CryptoBackend {
  readonly name: string;
  dh(name: string): Dh | undefined;
  cipher(name: string): Cipher | undefined;
  hash(name: string): Hash | undefined;
}

/** The three algorithms one protocol uses. */
export interface Suite {
  readonly dh: Dh;
  readonly cipher: Cipher;
  readonly hash: Hash;
}
