/**
 * Stateless return-routability cookies for the UDP responder (as DTLS's HelloVerifyRequest, and
 * WireGuard's cookie reply without its encryption): before it spends a key generation and DHs on
 * a message 1, a server that requires a cookie answers with one (`0x03 | cookie | tag`, 33
 * bytes: less than any message 1, which starts with a public key), and the client resends
 * message 1 wrapped with it (`0x04 | cookie | handshake packet`). Only a client that receives at
 * its source address can do so: a message 1 from a spoofed address costs a few HMACs and is
 * answered with fewer bytes than it carried.
 *
 * A cookie is HMAC-SHA256(secret, epoch || port || address), truncated to 16 bytes: the secret is
 * random per server and never leaves it; the epoch is the time in units of COOKIE_EPOCH_MS, and
 * the cookies of the current and the previous epoch are accepted (a cookie lasts 2 to 4 minutes).
 * The server keeps no state per cookie. An observer of a cookie can use it from that same
 * address and port only, where it could receive the replies anyway.
 *
 * The tag is the first 16 bytes of SHA-256 of the message 1 packet the reply answers: the client
 * takes only a reply to its own message 1, so a forger who has not seen that message (it holds a
 * fresh ephemeral key) cannot feed the client cookies that the server would refuse.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { NoiseError } from '../errors.js';

/** Bytes of a cookie. */
export const COOKIE_LENGTH = 16;

/** Bytes of the tag that ties a cookie reply to the message 1 it answers. */
export const COOKIE_TAG_LENGTH = 16;

/** The tag of a cookie reply to handshake packet `message1` (index 0). */
export function cookieTag(message1: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(message1).digest().subarray(0, COOKIE_TAG_LENGTH));
}

/** Milliseconds per cookie epoch (WireGuard rotates its cookie secret every two minutes). */
export const COOKIE_EPOCH_MS = 120_000;

/** When a server asks for a cookie before it answers a message 1. */
export type CookiePolicy = 'always' | 'under-load' | 'never';

/** Checks a `cookies` option (ERR_NOISE_INVALID_ARGUMENT). */
export function checkCookiePolicy(policy: unknown): CookiePolicy {
  if (policy === undefined) return 'under-load';
  if (policy === 'always' || policy === 'under-load' || policy === 'never') return policy;
  throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', "cookies must be 'always', 'under-load' or 'never'");
}

/** Makes and checks the cookies of one server. */
export class CookieJar {
  readonly #secret: Buffer;
  readonly #now: () => number;
  #destroyed = false;

  /** `now` (milliseconds) is for tests; the default is Date.now. */
  constructor(now: () => number = Date.now) {
    this.#secret = randomBytes(32);
    this.#now = now;
  }

  #mac(epoch: number, address: string, port: number): Buffer {
    const head = Buffer.alloc(6);
    head.writeUInt32BE(epoch >>> 0, 0);
    head.writeUInt16BE(port & 0xffff, 4);
    return createHmac('sha256', this.#secret).update(head).update(address, 'utf8').digest().subarray(0, COOKIE_LENGTH);
  }

  #epoch(): number {
    return Math.floor(this.#now() / COOKIE_EPOCH_MS);
  }

  /** The cookie for a client at `address`:`port`, now. */
  make(address: string, port: number): Uint8Array {
    if (this.#destroyed) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'the cookie jar is destroyed');
    return new Uint8Array(this.#mac(this.#epoch(), address, port));
  }

  /** True when `cookie` was made for `address`:`port` in this epoch or the previous one. */
  check(cookie: Uint8Array, address: string, port: number): boolean {
    if (this.#destroyed || cookie.length !== COOKIE_LENGTH) return false;
    const epoch = this.#epoch();
    const given = Buffer.from(cookie.buffer, cookie.byteOffset, cookie.byteLength);
    // Both compared, in constant time, whatever the first gives.
    const now = timingSafeEqual(given, this.#mac(epoch, address, port));
    const before = timingSafeEqual(given, this.#mac(epoch - 1, address, port));
    return now || before;
  }

  /** Wipes the secret; the jar accepts no cookie after this. */
  destroy(): void {
    this.#destroyed = true;
    this.#secret.fill(0);
  }
}
