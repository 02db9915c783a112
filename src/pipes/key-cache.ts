/**
 * The client's cache of server static keys for Noise Pipes (spec section 10.4): with a cached
 * key the client opens with `IK` (zero-RTT), without one with `XX`; after any completed
 * handshake the key the server proved is stored for next time.
 */
import { checkBytes, copyBytes, fromHex, toHex } from '../bytes.js';
import { NoiseError } from '../errors.js';
import { readFile, rename, writeFile } from 'node:fs/promises';

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

/**
 * A KeyCache in a JSON file (`{"peer": "hex key", ...}`), rewritten atomically (write, rename)
 * on each change. A missing file is an empty cache.
 */
export class FileKeyCache implements KeyCache {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async #read(): Promise<Record<string, string>> {
    try {
      const doc = JSON.parse(await readFile(this.path, 'utf8')) as unknown;
      if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not a JSON object');
      return doc as Record<string, string>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new NoiseError('ERR_NOISE_TRUST_STORE', `key cache ${this.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The cached key of `peer`. */
  async get(peer: string): Promise<Uint8Array | undefined> {
    const hex = (await this.#read())[peer];
    return typeof hex === 'string' ? fromHex(hex) : undefined;
  }

  /** Stores the key of `peer`. */
  async set(peer: string, key: Uint8Array): Promise<void> {
    checkBytes('key', key);
    const doc = await this.#read();
    doc[peer] = toHex(key);
    await this.#write(doc);
  }

  /** Forgets `peer`. */
  async delete(peer: string): Promise<void> {
    const doc = await this.#read();
    delete doc[peer];
    await this.#write(doc);
  }

  async #write(doc: Record<string, string>): Promise<void> {
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, this.path);
  }
}
