/**
 * Loader for test vectors in the community JSON format used by cacophony, snow and noise-c:
 * `{"vectors": [{protocol_name, init_*, resp_*, handshake_hash?, messages: [{payload, ciphertext}]}]}`.
 * noise-c's fallback vectors (`name`, `pattern`, `fallback: true`, singular `*_psk`) are read too.
 */
import { readFileSync } from 'node:fs';
import { fromHex } from '../bytes.js';
import { NoiseError } from '../errors.js';
import { jsonErrorPlace } from '../json-error.js';

/** One party's inputs. */
export interface VectorParty {
  prologue: Uint8Array;
  psks: Uint8Array[];
  staticKey?: Uint8Array;
  ephemeralKey?: Uint8Array;
  remoteStaticKey?: Uint8Array;
}

/** One test vector, normalised. */
export interface NoiseVector {
  /** Position in its file (0-based). */
  index: number;
  protocolName: string;
  /** For a Noise Pipes vector: the pattern of the first, failing attempt (e.g. `IK`). */
  fallbackFrom?: string;
  init: VectorParty;
  resp: VectorParty;
  handshakeHash?: Uint8Array;
  messages: Array<{ payload: Uint8Array; ciphertext: Uint8Array }>;
}

type Raw = Record<string, unknown>;

/** Reads the fields of one vector, naming the vector and the field in every error. */
class Fields {
  readonly #raw: Raw;
  readonly #where: string;

  constructor(raw: Raw, where: string) {
    this.#raw = raw;
    this.#where = where;
  }

  fail(what: string): never {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${this.#where}: ${what}`);
  }

  /** A string field, or undefined when absent (null counts as absent). */
  text(key: string, raw: Raw = this.#raw, label = `"${key}"`): string | undefined {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(`${label} must be a string, not ${Array.isArray(v) ? 'an array' : typeof v}`);
    return v;
  }

  /** A hex field's bytes, or undefined when absent or empty. */
  hex(key: string, raw: Raw = this.#raw, label = `"${key}"`): Uint8Array | undefined {
    const v = this.text(key, raw, label);
    if (!v) return undefined;
    try {
      return fromHex(v);
    } catch (err) {
      return this.fail(`${label}: ${(err as Error).message}`);
    }
  }

  party(prefix: 'init' | 'resp'): VectorParty {
    const list = this.#raw[`${prefix}_psks`];
    if (list !== undefined && list !== null && !Array.isArray(list)) this.fail(`"${prefix}_psks" must be an array of hex strings`);
    const psks = Array.isArray(list)
      ? list.map((p, i) => (typeof p === 'string' && p ? this.hex(String(i), list as unknown as Raw, `"${prefix}_psks"[${i}]`)! : this.fail(`"${prefix}_psks"[${i}] must be a non-empty hex string`)))
      : [this.hex(`${prefix}_psk`)].filter((p): p is Uint8Array => p !== undefined);
    return {
      prologue: this.hex(`${prefix}_prologue`) ?? new Uint8Array(0),
      psks,
      staticKey: this.hex(`${prefix}_static`),
      ephemeralKey: this.hex(`${prefix}_ephemeral`),
      remoteStaticKey: this.hex(`${prefix}_remote_static`),
    };
  }
}

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses the text of a vector file. A malformed file or vector (not JSON, no "vectors" array, an
 * entry that is not an object, a field of the wrong type, bad hex) is ERR_NOISE_INVALID_ARGUMENT
 * naming the vector and the field.
 */
export function parseVectors(text: string, source = '<vectors>'): NoiseVector[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${source}: not JSON${jsonErrorPlace(text, err)}`); // never V8's message: it quotes the text
  }
  const list = isObject(doc) ? doc.vectors : undefined;
  if (!Array.isArray(list)) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${source}: no "vectors" array`);
  return list.map((raw: unknown, index) => {
    const where = `${source}: vector ${index}`;
    if (!isObject(raw)) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${where}: not an object`);
    const f = new Fields(raw, where);
    const protocolName = f.text('protocol_name') ?? f.text('name') ?? '';
    const messages: unknown = raw.messages ?? [];
    if (!Array.isArray(messages)) return f.fail('"messages" must be an array');
    return {
      index,
      protocolName,
      fallbackFrom: raw.fallback === true ? f.text('pattern') : undefined,
      init: f.party('init'),
      resp: f.party('resp'),
      handshakeHash: f.hex('handshake_hash'),
      messages: messages.map((m: unknown, i: number) => {
        if (!isObject(m)) return f.fail(`message ${i} is not an object`);
        return { payload: f.hex('payload', m, `message ${i} "payload"`) ?? new Uint8Array(0), ciphertext: f.hex('ciphertext', m, `message ${i} "ciphertext"`) ?? new Uint8Array(0) };
      }),
    };
  });
}

/** Reads and parses a vector file. */
export function loadVectorFile(path: string): NoiseVector[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `cannot read vector file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  return parseVectors(text, path);
}
