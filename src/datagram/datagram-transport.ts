/**
 * Datagram mode (spec section 11.4): every transport message carries its 64-bit nonce in clear,
 * `nonce (8 bytes, big-endian) || ciphertext`, so messages may be lost, duplicated or reordered.
 * The receiver decrypts with the nonce it was given and accepts each nonce at most once within
 * a sliding replay window (replay-window.ts); the sender's nonce only ever goes up, and at
 * 2^64-1 (reserved, 5.1) sending stops with ERR_NOISE_NONCE_EXHAUSTED: a new handshake is
 * needed, nonces never wrap.
 *
 * Rekey (section 11.3) by policy: with `rekeyInterval` N, nonce n is encrypted under the key of
 * epoch floor(n / N), where epoch k's key is REKEY applied k times to the key from Split().
 * Because the epoch is a function of the nonce, both ends agree on the key without any
 * signalling, in any delivery order. `rekeyNow()` (explicit rekey) moves the sender to the start
 * of the next epoch; the skipped nonces are simply never used.
 */
import type { CipherKey, Cipher } from '../crypto/types.js';
import { TransportState } from '../engine/transport-state.js';
import { MAX_MESSAGE_LENGTH, MAX_NONCE, TAG_LENGTH } from '../engine/cipher-state.js';
import { defaultRekey } from '../crypto/hkdf.js';
import { NoiseError } from '../errors.js';
import { checkBytes, EMPTY, wipe } from '../bytes.js';
import { ReplayWindow, DEFAULT_REPLAY_WINDOW } from './replay-window.js';

/** Bytes of the explicit nonce in front of each datagram. */
export const NONCE_LENGTH = 8;

/** Options of a DatagramTransport. Both ends must use the same `rekeyInterval`. */
export interface DatagramOptions {
  /** Replay window size in nonces (default 2048, a multiple of 32). */
  replayWindow?: number;
  /** Rekey every N nonces (e.g. 1000, as BOLT 8); default never. */
  rekeyInterval?: number | bigint;
  /**
   * Most epochs a received nonce may jump ahead (default 64). It bounds the REKEY work one packet
   * can cause before its tag is checked: a forged packet 1,024 epochs ahead cost some 1.8 ms, 130
   * times a plain forgery. A genuine jump of 64 epochs means 64 rekey intervals (or rekeyNow()
   * calls) without one packet arriving.
   */
  maxRekeySkip?: number;
}

/** Default of `maxRekeySkip`. */
export const DEFAULT_MAX_REKEY_SKIP = 64;

/**
 * Throws ERR_NOISE_INVALID_ARGUMENT unless `options` are valid DatagramOptions. The UDP server and
 * client call it when they are created: a bad option found only when the first handshake
 * completes would fail inside packet handling, far from the call that caused it.
 */
export function checkDatagramOptions(options: unknown): asserts options is DatagramOptions | undefined {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'datagram options must be an object');
  const o = options as DatagramOptions;
  if (o.replayWindow !== undefined) new ReplayWindow(o.replayWindow); // its own checks
  const r = o.rekeyInterval;
  if (r !== undefined && !((typeof r === 'bigint' && r >= 1n) || (Number.isSafeInteger(r) && (r as number) >= 1))) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'rekeyInterval must be a whole number of at least 1');
  }
  const skip = o.maxRekeySkip;
  if (skip !== undefined && (!Number.isSafeInteger(skip) || skip < 1)) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'maxRekeySkip must be a positive integer');
}

/** Counters of what the receiving side did, for tests and monitoring. */
export interface DatagramStats {
  sent: number;
  received: number;
  replayed: number;
  tooOld: number;
  forged: number;
}

/** REKEY(k) as CipherState.rekey() does it (sections 4.2, 11.3), as a new keyed cipher. */
function nextKey(cipher: Cipher, key: CipherKey): CipherKey {
  const k = cipher.rekey ? cipher.rekey(key) : defaultRekey(key);
  try {
    return cipher.init(k);
  } finally {
    wipe(k);
  }
}

/** Explicit-nonce transport over a TransportState (which it takes over). */
export class DatagramTransport {
  readonly #t: TransportState;
  readonly #cipher: Cipher;
  readonly #window: ReplayWindow;
  readonly #interval: bigint | undefined;
  readonly #maxSkip: bigint;
  readonly #keep: number;
  /** Receive keys of the newest epochs, newest last; #recvKeys[i] is epoch #firstEpoch + i. */
  #recvKeys: CipherKey[];
  #firstEpoch = 0n;
  #sendEpoch = 0n;
  #destroyed = false;
  readonly stats: DatagramStats = { sent: 0, received: 0, replayed: 0, tooOld: 0, forged: 0 };

  constructor(transport: TransportState, options: DatagramOptions = {}) {
    checkDatagramOptions(options);
    if (!(transport instanceof TransportState)) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'a DatagramTransport wraps a TransportState (from split())');
    const key = transport.receive.snapshot().key;
    if (!key || transport.send.nonce !== 0n || transport.receive.nonce !== 0n) {
      throw new NoiseError('ERR_NOISE_INVALID_STATE', 'a DatagramTransport needs a fresh TransportState (straight from split())');
    }
    this.#t = transport;
    this.#cipher = transport.receive.cipher;
    this.#window = new ReplayWindow(options.replayWindow ?? DEFAULT_REPLAY_WINDOW);
    if (options.rekeyInterval !== undefined) this.#interval = BigInt(options.rekeyInterval); // checked above
    this.#maxSkip = BigInt(options.maxRekeySkip ?? DEFAULT_MAX_REKEY_SKIP);
    // Keep enough old epoch keys to decrypt anything still inside the replay window (at most 64).
    this.#keep = this.#interval ? Math.min(64, Number(BigInt(this.#window.size) / this.#interval) + 2) : 1;
    this.#recvKeys = [key];
  }

  /** The handshake hash of the session (section 11.2). */
  get handshakeHash(): Uint8Array {
    return this.#t.handshakeHash;
  }

  /** The nonce the next sent datagram will carry. */
  get sendNonce(): bigint {
    return this.#t.send.nonce;
  }

  /** The highest nonce accepted so far (-1n before the first). */
  get highestReceived(): bigint {
    return this.#window.top;
  }

  #epoch(n: bigint): bigint {
    return this.#interval ? n / this.#interval : 0n;
  }

  /** Encrypts one datagram: `nonce || ciphertext`. ERR_NOISE_NONCE_EXHAUSTED means: handshake again. */
  encrypt(plaintext: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
    this.#alive();
    const n = this.#t.send.nonce;
    if (n >= MAX_NONCE) throw new NoiseError('ERR_NOISE_NONCE_EXHAUSTED');
    this.#rekeySendTo(this.#epoch(n));
    const ct = this.#t.encrypt(plaintext, ad);
    const out = new Uint8Array(NONCE_LENGTH + ct.length);
    new DataView(out.buffer).setBigUint64(0, n);
    out.set(ct, NONCE_LENGTH);
    this.stats.sent++;
    return out;
  }

  /** Rekeys the sending CipherState up to `epoch` (never back). */
  #rekeySendTo(epoch: bigint): void {
    while (this.#sendEpoch < epoch) {
      this.#t.rekeySend();
      this.#sendEpoch++;
    }
  }

  /** Explicit rekey: the next datagram starts a new epoch (needs `rekeyInterval`; both ends then use the new key for it). */
  rekeyNow(): void {
    this.#alive();
    if (!this.#interval) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'explicit rekey in datagram mode needs a rekeyInterval (the epoch is what tells the peer)');
    const n = this.#t.send.nonce;
    const next = (this.#epoch(n) + 1n) * this.#interval;
    if (next >= MAX_NONCE) throw new NoiseError('ERR_NOISE_NONCE_EXHAUSTED');
    this.#t.send.setNonce(next);
    this.#rekeySendTo(this.#epoch(next)); // at once, so the old key is gone now (section 11.3)
  }

  /**
   * Decrypts one datagram. Refuses a repeated or too-old nonce (ERR_NOISE_REPLAY) and a forged
   * or damaged one (ERR_NOISE_DECRYPT); neither changes any state.
   */
  decrypt(datagram: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
    this.#alive();
    checkBytes('datagram', datagram);
    if (datagram.length < NONCE_LENGTH + TAG_LENGTH) {
      this.stats.forged++;
      throw new NoiseError('ERR_NOISE_MALFORMED_MESSAGE', `datagram of ${datagram.length} bytes is shorter than nonce + tag`);
    }
    if (datagram.length > NONCE_LENGTH + MAX_MESSAGE_LENGTH) {
      this.stats.forged++;
      throw new NoiseError('ERR_NOISE_MESSAGE_TOO_LONG', `datagram of ${datagram.length} bytes (max ${NONCE_LENGTH + MAX_MESSAGE_LENGTH})`);
    }
    const n = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength).getBigUint64(0);
    const why = this.#window.check(n);
    if (why) {
      if (why === 'replay') this.stats.replayed++;
      else this.stats.tooOld++;
      throw new NoiseError('ERR_NOISE_REPLAY', `nonce ${n}: ${why}`);
    }
    const ct = datagram.subarray(NONCE_LENGTH);
    const epoch = this.#epoch(n);
    const newest = this.#firstEpoch + BigInt(this.#recvKeys.length) - 1n;
    let pt: Uint8Array | null;
    if (epoch <= newest) {
      const key = this.#recvKeys[Number(epoch - this.#firstEpoch)];
      if (!key) {
        this.stats.tooOld++;
        throw new NoiseError('ERR_NOISE_REPLAY', `nonce ${n}: the key of its epoch is gone`);
      }
      pt = key.decrypt(n, ad, ct);
    } else {
      if (epoch - newest > this.#maxSkip) {
        this.stats.forged++;
        throw new NoiseError('ERR_NOISE_DECRYPT', `nonce ${n} jumps more than ${this.#maxSkip} rekey epochs ahead`);
      }
      const fresh: CipherKey[] = [];
      let k = this.#recvKeys[this.#recvKeys.length - 1]!;
      for (let e = newest; e < epoch; e++) fresh.push((k = nextKey(this.#cipher, k)));
      pt = k.decrypt(n, ad, ct);
      if (pt === null) fresh.forEach((f) => f.wipe());
      else {
        this.#recvKeys.push(...fresh);
        const drop = this.#recvKeys.length - this.#keep;
        if (drop > 0) {
          this.#recvKeys.splice(0, drop).forEach((old) => old.wipe());
          this.#firstEpoch += BigInt(drop);
        }
      }
    }
    if (pt === null) {
      this.stats.forged++;
      throw new NoiseError('ERR_NOISE_DECRYPT');
    }
    this.#window.accept(n);
    this.stats.received++;
    return pt;
  }

  #alive(): void {
    if (this.#destroyed) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'the datagram transport was destroyed');
  }

  /** Wipes every key. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#recvKeys.forEach((k) => k.wipe());
    this.#recvKeys = [];
    this.#t.destroy();
  }
}
