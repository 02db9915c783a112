/**
 * Handshake slots per remote address, so that one host cannot take every slot of a server
 * (maxConcurrentHandshakes) with connections that never finish their handshake. Connections of
 * unknown address (streams handed to handle(), e.g. by a relay, where every connection would share
 * the relay's address) are not counted.
 */
import { NoiseError } from '../errors.js';

/** Default of `maxHandshakesPerAddress`. */
export const DEFAULT_MAX_HANDSHAKES_PER_ADDRESS = 16;

/** The `maxHandshakesPerAddress` option with its default; ERR_NOISE_INVALID_ARGUMENT unless a positive integer. */
export function maxPerAddress(value: number | undefined): number {
  const max = value ?? DEFAULT_MAX_HANDSHAKES_PER_ADDRESS;
  if (!Number.isInteger(max) || max < 1) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'maxHandshakesPerAddress must be a positive integer');
  return max;
}

/**
 * What counts as one remote address for the per-address limits (servers, UDP, relay): an IPv4 address as it is, an IPv6
 * address by its /64 (one host usually has a whole /64 to choose addresses from).
 */
export function addressGroup(address: string): string {
  const a = address.replace(/%.*$/, ''); // zone id
  if (!a.includes(':') || /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a)) return a;
  const [head = '', tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups.slice(0, 4).map((g) => parseInt(g || '0', 16).toString(16)).join(':')}::/64`;
}

export class AddressSlots {
  readonly #max: number;
  readonly #held = new Map<string, number>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Takes a slot for `address` (always granted when undefined); false when it holds them all. */
  take(address: string | undefined): boolean {
    if (address === undefined) return true;
    address = addressGroup(address);
    const n = this.#held.get(address) ?? 0;
    if (n >= this.#max) return false;
    this.#held.set(address, n + 1);
    return true;
  }

  /** Gives back a slot taken for `address`. */
  release(address: string | undefined): void {
    if (address === undefined) return;
    address = addressGroup(address);
    const n = (this.#held.get(address) ?? 1) - 1;
    if (n > 0) this.#held.set(address, n);
    else this.#held.delete(address);
  }
}
