/**
 * Automatic rekey policy (Noise spec section 11.3): counts the transport messages and plaintext
 * bytes of one direction and says when to call Rekey(). Both peers apply the same policy, the
 * sender after sending and the receiver after receiving the same message, so their keys stay in
 * step without any signalling on the wire.
 */
import { NoiseError } from '../errors.js';
import type { RekeyOptions } from './options.js';

/** Counts one direction of a channel and decides when to rekey it. */
export class RekeyPolicy {
  /** Messages per key in this direction (Infinity = no limit). */
  readonly messages: number;
  /** Plaintext bytes per key in this direction (Infinity = no limit). */
  readonly bytes: number;
  #messageCount = 0;
  #byteCount = 0;

  /** @param options thresholds; an absent or empty object never rekeys. */
  constructor(options: RekeyOptions | undefined) {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'rekey must be { messages?, bytes? }');
    }
    this.messages = checkThreshold('rekey.messages', options?.messages);
    this.bytes = checkThreshold('rekey.bytes', options?.bytes);
  }

  /** True when this policy ever rekeys. */
  get enabled(): boolean {
    return this.messages !== Infinity || this.bytes !== Infinity;
  }

  /**
   * Records one transport message with `plaintextLength` bytes of plaintext. Returns true when
   * the direction must now be rekeyed (the counters then start again from zero).
   */
  record(plaintextLength: number): boolean {
    this.#messageCount++;
    this.#byteCount += plaintextLength;
    if (this.#messageCount >= this.messages || this.#byteCount >= this.bytes) {
      this.#messageCount = 0;
      this.#byteCount = 0;
      return true;
    }
    return false;
  }
}

function checkThreshold(name: string, v: unknown): number {
  if (v === undefined) return Infinity;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${name} must be a positive integer`);
  }
  return v;
}
