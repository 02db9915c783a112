/**
 * Lightning BOLT #8 transport messages ("Lightning Message Specification" and "Lightning
 * Message Key Rotation"):
 *
 *   packet = encrypt(sk, sn, "", u16be(len(m)))   -- 2 + 16 bytes, sn += 1
 *         || encrypt(sk, sn, "", m)               -- len(m) + 16 bytes, sn += 1
 *
 * ChaCha20-Poly1305 with the Noise nonce (32 zero bits, then little-endian 64-bit n), empty AD.
 * A message is at most 65535 bytes. Each key is rotated on its own once its nonce reaches 1000
 * (every 500 messages): `ck', k' = HKDF(ck, k)`, n = 0, where ck starts as the handshake's final
 * chaining key for both directions (`rck = sck = ck`).
 *
 * Receiving: read exactly 18 bytes, decrypt the length l (its own tag authenticates it), then
 * read exactly l + 16 bytes and decrypt. No byte of a message is released before its tag checks.
 * Any failure is final: the transport refuses all further use (BOLT 8: terminate the connection).
 */
import { CipherState, TAG_LENGTH } from '../engine/cipher-state.js';
import { hkdf } from '../crypto/hkdf.js';
import { resolveSuite, type BackendChoice } from '../crypto/resolve.js';
import type { Hash } from '../crypto/types.js';
import { NoiseError } from '../errors.js';
import { checkBytes, concat, copyBytes, EMPTY, wipe } from '../bytes.js';
import { ByteQueue } from '../byte-queue.js';

/** Largest Lightning message (BOLT 8: "MUST NOT exceed 65535 bytes"). */
export const BOLT8_MAX_MESSAGE_LENGTH = 65535;
/** Encrypted length prefix: 2 bytes + 16-byte tag. */
export const BOLT8_HEADER_LENGTH = 2 + TAG_LENGTH;
/** A key is rotated once its nonce reaches this value. */
export const BOLT8_ROTATION_INTERVAL = 1000n;

/** One direction: its cipher state, raw key and chaining key (for rotation). */
class Bolt8Direction {
  readonly #hash: Hash;
  readonly #cs: CipherState;
  #ck: Uint8Array;
  #k: Uint8Array;

  constructor(hash: Hash, cs: CipherState, ck: Uint8Array, k: Uint8Array) {
    this.#hash = hash;
    this.#cs = cs;
    this.#ck = copyBytes(ck);
    this.#k = copyBytes(k);
    cs.initializeKey(this.#k);
  }

  encrypt(plaintext: Uint8Array): Uint8Array {
    const c = this.#cs.encryptWithAd(EMPTY, plaintext);
    this.#maybeRotate();
    return c;
  }

  decrypt(ciphertext: Uint8Array): Uint8Array {
    const p = this.#cs.decryptWithAd(EMPTY, ciphertext);
    this.#maybeRotate();
    return p;
  }

  /** "Key rotation ... once the nonce dedicated to it reaches 1000": ck', k' = HKDF(ck, k). */
  #maybeRotate(): void {
    if (this.#cs.nonce !== BOLT8_ROTATION_INTERVAL) return;
    const [ck, k] = hkdf(this.#hash, this.#ck, this.#k, 2) as [Uint8Array, Uint8Array];
    wipe(this.#ck);
    wipe(this.#k);
    this.#ck = ck;
    this.#k = k;
    this.#cs.initializeKey(k); // resets n to 0 and wipes the old key
  }

  wipe(): void {
    wipe(this.#ck);
    wipe(this.#k);
    this.#cs.wipe();
  }
}

/** Options shared by the Bolt8Transport factories. */
export interface Bolt8TransportOptions {
  /** Crypto backend (default `auto`). */
  backend?: BackendChoice;
  /** The handshake hash, for channel binding (optional). */
  handshakeHash?: Uint8Array;
  /** The peer's node id, when known. */
  remoteStaticKey?: Uint8Array;
}

/** BOLT 8 message encryption and decryption with key rotation. */
export class Bolt8Transport {
  readonly #send: Bolt8Direction;
  readonly #recv: Bolt8Direction;
  readonly #handshakeHash: Uint8Array | undefined;
  readonly #remoteStaticKey: Uint8Array | undefined;
  /** Set while a length has been decrypted and its body is awaited. */
  #pendingLength: number | undefined;
  #failed = false;

  private constructor(ck: Uint8Array, sk: Uint8Array, rk: Uint8Array, options: Bolt8TransportOptions) {
    checkBytes('ck', ck, 32);
    checkBytes('sk', sk, 32);
    checkBytes('rk', rk, 32);
    const suite = resolveSuite({ dh: 'secp256k1', cipher: 'ChaChaPoly', hash: 'SHA256' }, options.backend);
    this.#send = new Bolt8Direction(suite.hash, new CipherState(suite.cipher), ck, sk);
    this.#recv = new Bolt8Direction(suite.hash, new CipherState(suite.cipher), ck, rk);
    this.#handshakeHash = options.handshakeHash && copyBytes(options.handshakeHash);
    this.#remoteStaticKey = options.remoteStaticKey && copyBytes(options.remoteStaticKey);
  }

  /**
   * From the handshake's final chaining key: `sk, rk = HKDF(ck, zero)` for the initiator,
   * `rk, sk = HKDF(ck, zero)` for the responder (act three, steps 6 and 9). Used by Bolt8Handshake.
   */
  static fromChainingKey(ck: Uint8Array, initiator: boolean, options: Bolt8TransportOptions = {}): Bolt8Transport {
    checkBytes('ck', ck, 32);
    const hash = resolveSuite({ dh: 'secp256k1', cipher: 'ChaChaPoly', hash: 'SHA256' }, options.backend).hash;
    const [k1, k2] = hkdf(hash, ck, EMPTY, 2) as [Uint8Array, Uint8Array];
    try {
      return initiator ? new Bolt8Transport(ck, k1, k2, options) : new Bolt8Transport(ck, k2, k1, options);
    } finally {
      wipe(k1);
      wipe(k2);
    }
  }

  /**
   * From explicit keys (the "transport-message test" of BOLT 8 Appendix A gives ck, sk, rk).
   * Normally keys come from Bolt8Handshake.split().
   */
  static fromKeys(keys: { ck: Uint8Array; sk: Uint8Array; rk: Uint8Array }, options: Bolt8TransportOptions = {}): Bolt8Transport {
    if (!keys || typeof keys !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'keys must be { ck, sk, rk }');
    return new Bolt8Transport(keys.ck, keys.sk, keys.rk, options);
  }

  /** The handshake hash, when this transport came from a handshake. */
  get handshakeHash(): Uint8Array | undefined {
    return this.#handshakeHash && copyBytes(this.#handshakeHash);
  }

  /** The peer's node id, when known. */
  get remoteStaticKey(): Uint8Array | undefined {
    return this.#remoteStaticKey && copyBytes(this.#remoteStaticKey);
  }

  /** The length the next `decryptBody` expects (l + 16), or undefined when a header is next. */
  get pendingBodyLength(): number | undefined {
    return this.#pendingLength === undefined ? undefined : this.#pendingLength + TAG_LENGTH;
  }

  /** Encrypts one Lightning message: `lc || c` (18 + len(m) + 16 bytes). */
  encrypt(message: Uint8Array): Uint8Array {
    checkBytes('message', message);
    this.#live();
    if (message.length > BOLT8_MAX_MESSAGE_LENGTH) {
      throw new NoiseError('ERR_NOISE_MESSAGE_TOO_LONG', `a Lightning message is at most ${BOLT8_MAX_MESSAGE_LENGTH} bytes, got ${message.length}`);
    }
    const l = new Uint8Array(2);
    new DataView(l.buffer).setUint16(0, message.length, false);
    const lc = this.#send.encrypt(l);
    const c = this.#send.encrypt(message);
    return concat(lc, c);
  }

  /** Decrypts an 18-byte encrypted length prefix; returns l (the body to read is l + 16 bytes). */
  decryptHeader(lc: Uint8Array): number {
    checkBytes('lc', lc);
    this.#live();
    if (this.#pendingLength !== undefined) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'a message body is expected, not a header');
    if (lc.length !== BOLT8_HEADER_LENGTH) {
      this.#fail();
      throw new NoiseError('ERR_NOISE_MALFORMED_MESSAGE', `the encrypted length prefix is ${BOLT8_HEADER_LENGTH} bytes, got ${lc.length}`);
    }
    const l = this.#guard(() => this.#recv.decrypt(lc));
    this.#pendingLength = new DataView(l.buffer, l.byteOffset, 2).getUint16(0, false);
    return this.#pendingLength;
  }

  /** Decrypts the body announced by the last header (exactly l + 16 bytes). */
  decryptBody(c: Uint8Array): Uint8Array {
    checkBytes('c', c);
    this.#live();
    const expected = this.pendingBodyLength;
    if (expected === undefined) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'a header is expected before a body');
    if (c.length !== expected) {
      this.#fail();
      throw new NoiseError('ERR_NOISE_MALFORMED_MESSAGE', `the message body must be ${expected} bytes, got ${c.length}`);
    }
    const m = this.#guard(() => this.#recv.decrypt(c));
    this.#pendingLength = undefined;
    return m;
  }

  /** Decrypts one whole packet `lc || c`. */
  decrypt(packet: Uint8Array): Uint8Array {
    checkBytes('packet', packet);
    if (packet.length < BOLT8_HEADER_LENGTH + TAG_LENGTH) {
      this.#fail();
      throw new NoiseError('ERR_NOISE_MALFORMED_MESSAGE', `a packet is at least ${BOLT8_HEADER_LENGTH + TAG_LENGTH} bytes, got ${packet.length}`);
    }
    this.decryptHeader(packet.subarray(0, BOLT8_HEADER_LENGTH));
    return this.decryptBody(packet.subarray(BOLT8_HEADER_LENGTH));
  }

  /** Wipes both directions' keys and chaining keys. */
  destroy(): void {
    this.#send.wipe();
    this.#recv.wipe();
  }

  #guard<T>(f: () => T): T {
    try {
      return f();
    } catch (err) {
      this.#fail();
      throw err;
    }
  }

  #live(): void {
    if (this.#failed) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'this BOLT 8 transport failed earlier; the connection must be closed');
  }

  #fail(): void {
    this.#failed = true;
    this.destroy();
  }
}

/**
 * Splits a byte stream into BOLT 8 messages: buffers until 18 header bytes, decrypts the length,
 * buffers until the body is complete, decrypts it. Holds at most one packet (65569 bytes).
 */
export class Bolt8Reader {
  readonly #transport: Bolt8Transport;
  /** Received bytes of a header or body not yet complete (one growable array, see ByteQueue). */
  readonly #held = new ByteQueue();

  constructor(transport: Bolt8Transport) {
    if (!(transport instanceof Bolt8Transport)) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'a Bolt8Reader reads through a Bolt8Transport');
    this.#transport = transport;
  }

  /** Bytes buffered but not yet a whole header or body. */
  get buffered(): number {
    return this.#held.length;
  }

  /**
   * Adds received bytes; returns every message completed by them. Throws on any failure. Whole
   * headers and bodies in the chunk are decrypted where they lie; only a part left incomplete is
   * copied and held, so a peer sending a message a byte at a time costs linear work and memory.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    checkBytes('chunk', chunk);
    const out: Uint8Array[] = [];
    let rest = chunk;
    for (;;) {
      const need = this.#transport.pendingBodyLength ?? BOLT8_HEADER_LENGTH;
      const held = this.#held.length;
      if (held + rest.length < need) break;
      let part: Uint8Array;
      if (held === 0) {
        part = rest.subarray(0, need);
      } else {
        this.#held.push(rest.subarray(0, need - held));
        part = this.#held.peek(need);
      }
      rest = rest.subarray(need - held);
      if (this.#transport.pendingBodyLength === undefined) this.#transport.decryptHeader(part);
      else out.push(this.#transport.decryptBody(part));
      if (held) this.#held.skip(need);
    }
    this.#held.push(rest);
    return out;
  }
}
