/**
 * Key files for deployments and the CLI: static private keys, pre-shared keys, and keys written
 * on the command line (hex or base64).
 *
 * A private key file holds the private key as one line of hex, optionally preceded by `#`
 * comment lines; the DH function follows from the length (32 bytes: `25519`, 56 bytes: `448`,
 * spec section 12). Files are written with mode 0600 and never silently overwritten. The same
 * file works with `--key` of every noisekit command.
 *
 * A psk file holds one 32-byte pre-shared key per line (spec section 9), hex or base64, in the
 * order the pattern's psk tokens use them; `#` starts a comment.
 */
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { NoiseError } from './errors.js';
import { toHex } from './bytes.js';
import { keyPairFromPrivate } from './crypto/keys.js';
import type { KeyPair } from './crypto/types.js';
import type { BackendChoice } from './crypto/resolve.js';

/** Private key lengths in bytes of the DH functions of spec section 12. */
export const PRIVATE_KEY_LENGTHS: Readonly<Record<string, number>> = { '25519': 32, '448': 56 };

/** A static key pair read from a key file, with its DH function name. */
export interface LoadedKey {
  /** DH function name, `25519` or `448`. */
  dh: string;
  keyPair: KeyPair;
}

/**
 * Decodes bytes written as hex or canonical base64. `lengths` lists the accepted byte lengths.
 * Throws `code` (default ERR_NOISE_INVALID_KEY) naming `what` when the text is neither, or has
 * another length.
 */
export function parseKeyText(
  text: string,
  lengths: readonly number[],
  what = 'key',
  code: 'ERR_NOISE_INVALID_KEY' | 'ERR_NOISE_KEY_FILE' | 'ERR_NOISE_INVALID_PSK' = 'ERR_NOISE_INVALID_KEY',
): Uint8Array {
  if (typeof text !== 'string') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${what} must be a string`);
  const t = text.trim();
  let bytes: Uint8Array | undefined;
  if (/^[0-9a-fA-F]+$/.test(t) && t.length % 2 === 0 && lengths.includes(t.length / 2)) {
    bytes = new Uint8Array(Buffer.from(t, 'hex'));
  } else if (/^[A-Za-z0-9+/]+={0,2}$/.test(t) && t.length % 4 === 0) {
    const b = Buffer.from(t, 'base64');
    if (b.toString('base64') === t) bytes = new Uint8Array(b);
  }
  if (!bytes || !lengths.includes(bytes.length)) {
    throw new NoiseError(code, `${what}: expected ${lengths.join(' or ')} bytes in hex or base64`);
  }
  return bytes;
}

/** The non-comment, non-blank lines of a text file. */
function contentLines(text: string): Array<{ line: string; number: number }> {
  const out: Array<{ line: string; number: number }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const line = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (line) out.push({ line, number: i + 1 });
  });
  return out;
}

function readText(path: string, what: string): string {
  if (typeof path !== 'string' || path.length === 0) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${what} path must be a non-empty string`);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new NoiseError('ERR_NOISE_KEY_FILE', `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

/** Parses the text of a private key file (see the module header). */
export function parsePrivateKeyFile(text: string, backend: BackendChoice = 'auto', path = 'key file'): LoadedKey {
  const lines = contentLines(text);
  if (lines.length !== 1) throw new NoiseError('ERR_NOISE_KEY_FILE', `${path}: expected exactly one private key line, found ${lines.length}`);
  const priv = parseKeyText(lines[0]!.line, Object.values(PRIVATE_KEY_LENGTHS), `${path} line ${lines[0]!.number}`, 'ERR_NOISE_KEY_FILE');
  const dh = Object.entries(PRIVATE_KEY_LENGTHS).find(([, n]) => n === priv.length)![0];
  return { dh, keyPair: keyPairFromPrivate(priv, dh, backend) };
}

/** Reads a private key file and derives its key pair. Throws ERR_NOISE_KEY_FILE when unreadable or malformed. */
export function readKeyFile(path: string, backend: BackendChoice = 'auto'): LoadedKey {
  return parsePrivateKeyFile(readText(path, 'key file'), backend, path);
}

/**
 * Writes `keyPair.privateKey` as a key file with mode 0600. Refuses to replace an existing file
 * (ERR_NOISE_KEY_FILE) unless `force` is true.
 */
export function writeKeyFile(path: string, keyPair: KeyPair, options: { force?: boolean } = {}): void {
  if (typeof path !== 'string' || path.length === 0) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'key file path must be a non-empty string');
  const text = `${toHex(keyPair.privateKey)}\n`;
  try {
    writeFileSync(path, text, { mode: 0o600, flag: options.force ? 'w' : 'wx' });
    chmodSync(path, 0o600); // an existing file keeps its mode on 'w'; and umask may not matter, but be sure
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' ? 'file exists (use --force to replace it)' : code ?? (err as Error).message;
    throw new NoiseError('ERR_NOISE_KEY_FILE', `cannot write key file ${path}: ${why}`, { cause: err });
  }
}

/** Parses the text of a psk file: one 32-byte key per line, hex or base64 (see the module header). */
export function parsePskFile(text: string, path = 'psk file'): Uint8Array[] {
  const lines = contentLines(text);
  if (lines.length === 0) throw new NoiseError('ERR_NOISE_KEY_FILE', `${path}: no pre-shared key found`);
  return lines.map(({ line, number }) => parseKeyText(line, [32], `${path} line ${number}`, 'ERR_NOISE_KEY_FILE'));
}

/** Reads a psk file. Throws ERR_NOISE_KEY_FILE when unreadable or malformed. */
export function readPskFile(path: string): Uint8Array[] {
  return parsePskFile(readText(path, 'psk file'), path);
}

/** The hex and base64 forms of a public key, as keygen prints them. */
export function formatPublicKey(publicKey: Uint8Array): { hex: string; base64: string } {
  return { hex: toHex(publicKey), base64: Buffer.from(publicKey).toString('base64') };
}
