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
 * makes a HandshakeState per connection with the same name), and once asked for, the `h` after
 * MixHash of an empty prologue (the default). Public, as the name is; callers copy them.
 * Bounded per hash: cleared when full.
 */
interface InitialHashes {
  readonly h0: Uint8Array;
  afterEmptyPrologue?: Uint8Array;
}
const initialHashesOf = new WeakMap<Hash, Map<string, InitialHashes>>();
const INITIAL_HASHES_MAX = 256;

function initialHashes(hash: Hash, protocolName: string): InitialHashes {
  let byName = initialHashesOf.get(hash);
  if (!byName) initialHashesOf.set(hash, (byName = new Map()));
  let entry = byName.get(protocolName);
  if (!entry) {
    // h = protocol_name padded with zeros to HASHLEN, or HASH(protocol_name) if longer (5.2).
    const name = new TextEncoder().encode(protocolName);
    let h0: Uint8Array;
    if (name.length <= hash.hashLen) {
      h0 = new Uint8Array(hash.hashLen);
      h0.set(name);
    } else {
      h0 = hash.hash(name);
    }
    if (byName.size >= INITIAL_HASHES_MAX) byName.clear();
    byName.set(protocolName, (entry = { h0 }));
  }
  return entry;
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
  /** The cached initial values of this protocol name, while `h` is still the initial one. */
  #initial: InitialHashes | undefined;

  /** InitializeSymmetric(protocol_name). */
  constructor(suite: Suite, protocolName: string) {
    this.suite = suite;
    this.#initial = initialHashes(suite.hash, protocolName);
    this.#h = copyBytes(this.#initial.h0);
    this.#ck = copyBytes(this.#h);
    this.cipherState = new CipherState(suite.cipher);
  }

  /**
   * MixHash(prologue), the first MixHash after InitializeSymmetric (section 5.3). For an empty
   * prologue the result depends on the protocol name alone, so it is computed once per name and
   * hash implementation and copied (a server saves a hash call per connection).
   */
  mixPrologue(prologue: Uint8Array): void {
    const initial = this.#initial;
    if (prologue.length !== 0 || !initial) return this.mixHash(prologue);
    initial.afterEmptyPrologue ??= this.suite.hash.hash(initial.h0, prologue);
    this.#h = copyBytes(initial.afterEmptyPrologue);
    this.#initial = undefined;
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
    this.#initial = undefined;
  }

  /** MixKeyAndHash(input_key_material) (section 9.1). */
  mixKeyAndHash(inputKeyMaterial: Uint8Array): void {
    const [ck, tempH, tempK] = hkdf(this.suite.hash, this.#ck, inputKeyMaterial, 3) as [Uint8Array, Uint8Array, Uint8Array];
    this.mixHash(tempH);
    wipe(tempH); // only ever part of h (public), but an HKDF output of ck all the same
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
    wipe(temp);
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
