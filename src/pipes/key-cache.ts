/**
 * The client's cache of server static keys for Noise Pipes (spec section 10.4): with a cached
 * key the client opens with `IK` (zero-RTT), without one with `XX`; after any completed
 * handshake the key the server proved is stored for next time.
 */
import { checkBytes, copyBytes } from '../bytes.js';

/**
 * Where a Noise Pipes client keeps server static keys, by a peer name of the application's
 * choosing (e.g. `host:port`). May be asynchronous (a file, a database).
 */
export interface KeyCache {
  /** The cached static public key of `peer`, if any. */
  get(peer: string): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Stores `key` as the static public key of `peer`. */
  set(peer: string, key: Uint8Array): void | Promise<void>;
  /** Forgets `peer`. */
  delete?(peer: string): void | Promise<void>;
}

/** A KeyCache in memory (a Map of copies). */
export class MemoryKeyCache implements KeyCache {
  readonly #keys = new Map<string, Uint8Array>();

  /** The cached key of `peer` (a copy), or undefined. */
  get(peer: string): Uint8Array | undefined {
    const k = this.#keys.get(peer);
    return k && copyBytes(k);
  }

  /** Stores a copy of `key` for `peer`. */
  set(peer: string, key: Uint8Array): void {
    checkBytes('key', key);
    this.#keys.set(peer, copyBytes(key));
  }

  /** Forgets `peer`. */
  delete(peer: string): void {
    this.#keys.delete(peer);
  }

  /** Number of cached peers. */
  get size(): number {
    return this.#keys.size;
  }
}
