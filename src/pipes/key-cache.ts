/**
 * The client's cache of server static keys for Noise Pipes (spec section 10.4): with a cached
 * key the client opens with `IK` (zero-RTT), without one with `XX`; after any completed
 * handshake the key the server proved is stored for next time.
 */
import { checkBytes, copyBytes, fromHex, toHex } from '../bytes.js';
import { NoiseError } from '../errors.js';
import { readFile } from 'node:fs/promises';
import { serialized, writeAtomic } from '../file-store.js';
import { jsonErrorPlace } from '../json-error.js';

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
 * A KeyCache in a JSON file (`{"peer": "hex key", ...}`), rewritten atomically on each change,
 * mode 0600, the updates of one file serialized within the process (src/file-store.ts). A
 * missing file is an empty cache; an unreadable or malformed one is ERR_NOISE_TRUST_STORE.
 */
/** Public key lengths a Noise Pipes peer can have (X25519, X448). */
const PUBLIC_KEY_LENGTHS = [32, 56];

export class FileKeyCache implements KeyCache {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async #read(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new NoiseError('ERR_NOISE_TRUST_STORE', `key cache ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      // Neither V8's message nor the error as cause: both quote the text (it may be a key file given by mistake).
      throw new NoiseError('ERR_NOISE_TRUST_STORE', `key cache ${this.path}: not valid JSON${jsonErrorPlace(text, err)}`);
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new NoiseError('ERR_NOISE_TRUST_STORE', `key cache ${this.path}: not a JSON object`);
    return doc as Record<string, string>;
  }

  /** The cached key of `peer` (ERR_NOISE_TRUST_STORE when the entry is not a public key). */
  async get(peer: string): Promise<Uint8Array | undefined> {
    const doc = await this.#read();
    if (!Object.hasOwn(doc, peer)) return undefined;
    const hex = doc[peer];
    if (typeof hex !== 'string' || !/^[0-9a-fA-F]*$/.test(hex) || !PUBLIC_KEY_LENGTHS.includes(hex.length / 2)) {
      throw new NoiseError('ERR_NOISE_TRUST_STORE', `key cache ${this.path}: the entry of ${JSON.stringify(peer)} is not a public key in hex`);
    }
    return fromHex(hex);
  }

  /** Stores the key of `peer`. */
  async set(peer: string, key: Uint8Array): Promise<void> {
    checkBytes('key', key);
    await serialized(this.path, async () => {
      const doc = await this.#read();
      doc[peer] = toHex(key);
      await this.#write(doc);
    });
  }

  /** Forgets `peer`. */
  async delete(peer: string): Promise<void> {
    await serialized(this.path, async () => {
      const doc = await this.#read();
      delete doc[peer];
      await this.#write(doc);
    });
  }

  async #write(doc: Record<string, string>): Promise<void> {
    await writeAtomic(this.path, JSON.stringify(doc, null, 2) + '\n');
  }
}
