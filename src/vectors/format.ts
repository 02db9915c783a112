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

const hexOpt = (v: unknown): Uint8Array | undefined => (typeof v === 'string' && v.length > 0 ? fromHex(v) : undefined);

function party(raw: Raw, prefix: 'init' | 'resp'): VectorParty {
  const psks = raw[`${prefix}_psks`];
  const single = raw[`${prefix}_psk`];
  return {
    prologue: hexOpt(raw[`${prefix}_prologue`]) ?? new Uint8Array(0),
    psks: Array.isArray(psks) ? psks.map((p) => fromHex(String(p))) : typeof single === 'string' && single ? [fromHex(single)] : [],
    staticKey: hexOpt(raw[`${prefix}_static`]),
    ephemeralKey: hexOpt(raw[`${prefix}_ephemeral`]),
    remoteStaticKey: hexOpt(raw[`${prefix}_remote_static`]),
  };
}

/** Parses the text of a vector file. */
export function parseVectors(text: string, source = '<vectors>'): NoiseVector[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${source}: not JSON${jsonErrorPlace(text, err)}`); // never V8's message: it quotes the text
  }
  const list = (doc as Raw)?.vectors;
  if (!Array.isArray(list)) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${source}: no "vectors" array`);
  return list.map((raw: Raw, index) => {
    const protocolName = String(raw.protocol_name ?? raw.name ?? '');
    const messages = Array.isArray(raw.messages) ? raw.messages : [];
    return {
      index,
      protocolName,
      fallbackFrom: raw.fallback === true && typeof raw.pattern === 'string' ? raw.pattern : undefined,
      init: party(raw, 'init'),
      resp: party(raw, 'resp'),
      handshakeHash: hexOpt(raw.handshake_hash),
      messages: messages.map((m: Raw) => ({ payload: fromHex(String(m.payload ?? '')), ciphertext: fromHex(String(m.ciphertext ?? '')) })),
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
