/**
 * SymmetricState (Noise spec section 5.2): a CipherState plus the chaining key `ck` and the
 * handshake hash `h`.
 *
 * Values are replaced, never mutated in place, so a snapshot is a few references and a failed
 * message can be rolled back exactly; superseded secrets are wiped when a message commits.
 */
import type { CipherKey, Hash, Suite } from '../crypto/types.js';
import { hkdf } from '../crypto/hkdf.js';
import { CipherState } from './cipher-state.js';
import { copyBytes, wipe } from '../bytes.js';

/**
 * The 32-byte cipher key of a HASHLEN output (section 5.2 truncates HASHLEN 64 to 32): the array
 * itself, or a copy of its first 32 bytes (slice, not subarray: a view would move a small array
 * off V8's heap). The caller wipes both.
 */
function cipherKeyFrom(tempK: Uint8Array): Uint8Array {
  return tempK.length === 32 ? tempK : tempK.slice(0, 32);
}

/**
 * The initial `h` of InitializeSymmetric, per hash implementation and protocol name (a server
 * makes a HandshakeState per connection with the same name). Public, as the name is; callers
 * copy it. Bounded per hash: cleared when full.
 */
const initialHashes = new WeakMap<Hash, Map<string, Uint8Array>>();
const INITIAL_HASHES_MAX = 256;

function initialHash(hash: Hash, protocolName: string): Uint8Array {
  let byName = initialHashes.get(hash);
  if (!byName) initialHashes.set(hash, (byName = new Map()));
  let h = byName.get(protocolName);
  if (!h) {
    // h = protocol_name padded with zeros to HASHLEN, or HASH(protocol_name) if longer (5.2).
    const name = new TextEncoder().encode(protocolName);
    if (name.length <= hash.hashLen) {
      h = new Uint8Array(hash.hashLen);
      h.set(name);
    } else {
      h = hash.hash(name);
    }
    if (byName.size >= INITIAL_HASHES_MAX) byName.clear();
    byName.set(protocolName, h);
  }
  return h;
}

export interface SymmetricSnapshot {
  readonly ck: Uint8Array;
  readonly h: Uint8Array;
  readonly cipher: { key: CipherKey | undefined; n: bigint };
}

export class SymmetricState {
  readonly suite: Suite;
  readonly cipherState: CipherState;
  #ck: Uint8Array;
  #h: Uint8Array;
  /** While a message is in progress: the values rollback may need, so they are not wiped yet. */
  #pinned: SymmetricSnapshot | undefined;

  /** InitializeSymmetric(protocol_name). */
  constructor(suite: Suite, protocolName: string) {
    this.suite = suite;
    this.#h = copyBytes(initialHash(suite.hash, protocolName));
    this.#ck = copyBytes(this.#h);
    this.cipherState = new CipherState(suite.cipher);
  }

  /** The handshake hash `h` (a copy). */
  get h(): Uint8Array {
    return copyBytes(this.#h);
  }

  /** The chaining key `ck` (a copy; it is secret). */
  get ck(): Uint8Array {
    return copyBytes(this.#ck);
  }

  /** Replaces ck and k, wiping the superseded values unless a pending rollback needs them. */
  #rekeyTo(ck: Uint8Array, tempK: Uint8Array): void {
    if (this.#ck !== this.#pinned?.ck) wipe(this.#ck);
    this.#ck = ck;
    const key = cipherKeyFrom(tempK);
    const old = this.cipherState.replaceKey(key);
    if (old && old !== this.#pinned?.cipher.key) old.wipe();
    wipe(key);
    wipe(tempK);
  }

  /** MixKey(input_key_material). */
  mixKey(inputKeyMaterial: Uint8Array): void {
    const [ck, tempK] = hkdf(this.suite.hash, this.#ck, inputKeyMaterial, 2) as [Uint8Array, Uint8Array];
    this.#rekeyTo(ck, tempK);
  }

  /** MixHash(data). */
  mixHash(data: Uint8Array): void {
    this.#h = this.suite.hash.hash(this.#h, data);
  }

  /** MixKeyAndHash(input_key_material) (section 9.1). */
  mixKeyAndHash(inputKeyMaterial: Uint8Array): void {
    const [ck, tempH, tempK] = hkdf(this.suite.hash, this.#ck, inputKeyMaterial, 3) as [Uint8Array, Uint8Array, Uint8Array];
    this.mixHash(tempH);
    this.#rekeyTo(ck, tempK);
  }

  /**
   * MixPsk(psk) of spec revisions 30-31 (legacy `NoisePSK_` names only):
   * `ck, temp = HKDF(ck, psk, 2)`, then MixHash(temp).
   */
  mixLegacyPsk(psk: Uint8Array): void {
    const [ck, temp] = hkdf(this.suite.hash, this.#ck, psk, 2) as [Uint8Array, Uint8Array];
    wipe(this.#ck);
    this.#ck = ck;
    this.mixHash(temp);
  }

  /** EncryptAndHash(plaintext). */
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ct = this.cipherState.encryptWithAd(this.#h, plaintext);
    this.mixHash(ct);
    return ct;
  }

  /** DecryptAndHash(ciphertext). */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const pt = this.cipherState.decryptWithAd(this.#h, ciphertext);
    this.mixHash(ciphertext);
    return pt;
  }

  /** Split(): the two transport CipherStates (initiator-to-responder first). Wipes `ck`. */
  split(): [CipherState, CipherState] {
    const [k1, k2] = hkdf(this.suite.hash, this.#ck, new Uint8Array(0), 2) as [Uint8Array, Uint8Array];
    const key1 = cipherKeyFrom(k1);
    const key2 = cipherKeyFrom(k2);
    const c1 = new CipherState(this.suite.cipher, key1);
    const c2 = new CipherState(this.suite.cipher, key2);
    for (const k of [key1, key2, k1, k2]) wipe(k);
    return [c1, c2];
  }

  /** Internal: starts a message; the returned snapshot stays intact until commit or rollback. */
  begin(): SymmetricSnapshot {
    const snap = { ck: this.#ck, h: this.#h, cipher: this.cipherState.snapshot() };
    this.#pinned = snap;
    return snap;
  }

  /** Internal: puts back the snapshot; wipes secrets created since (they were never used). */
  rollback(s: SymmetricSnapshot): void {
    if (this.#ck !== s.ck) wipe(this.#ck);
    const now = this.cipherState.snapshot();
    if (now.key && now.key !== s.cipher.key) now.key.wipe();
    this.#ck = s.ck;
    this.#h = s.h;
    this.cipherState.restore(s.cipher);
    this.#pinned = undefined;
  }

  /** Internal: the message succeeded; wipes what the snapshot held that is no longer current. */
  commit(s: SymmetricSnapshot): void {
    if (this.#ck !== s.ck) wipe(s.ck);
    const now = this.cipherState.snapshot();
    if (s.cipher.key && s.cipher.key !== now.key) s.cipher.key.wipe();
    this.#pinned = undefined;
  }

  /** Wipes `ck` and the handshake cipher key. `h` is kept for channel binding. */
  wipe(): void {
    wipe(this.#ck);
    this.cipherState.wipe();
  }
}
