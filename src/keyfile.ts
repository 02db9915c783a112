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
 *
 * Key bytes never pass through Node's shared 8 KiB Buffer pool (`Buffer.from(text, 'hex')`, or fs
 * writing a string, copies small data there): nothing can wipe the pool, and the `.buffer` of any
 * later small Buffer exposes it. Decoding writes into a fresh array (decodeText); writing goes
 * from bytes that are wiped afterwards.
 */
import { readFileSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { NoiseError } from './errors.js';
import { decodeText, toHex } from './bytes.js';
import { writeAtomicSync } from './file-store.js';
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
  const bytes = decodeHex(t, lengths) ?? decodeBase64(t, lengths);
  if (!bytes) throw new NoiseError(code, `${what}: expected ${lengths.join(' or ')} bytes in hex or base64`);
  return bytes;
}

/** `t` as bytes when it is hex of one of `lengths`; otherwise undefined. */
function decodeHex(t: string, lengths: readonly number[]): Uint8Array | undefined {
  if (!/^[0-9a-fA-F]+$/.test(t) || t.length % 2 !== 0 || !lengths.includes(t.length / 2)) return undefined;
  return decodeText(t, 'hex');
}

/** `t` as bytes when it is canonical base64 of one of `lengths`; otherwise undefined. */
function decodeBase64(t: string, lengths: readonly number[]): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t) || t.length % 4 !== 0) return undefined;
  const bytes = decodeText(t, 'base64');
  // Canonical only (no stray bits in the last character); the check reads through a view, no copy.
  if (lengths.includes(bytes.length) && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64') === t) return bytes;
  bytes.fill(0);
  return undefined;
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
  let keyPair: KeyPair | undefined;
  try {
    keyPair = keyPairFromPrivate(priv, dh, backend);
    return { dh, keyPair };
  } finally {
    // The built-in backends copy the key into the pair; a custom one may keep the array itself
    // or a view of it (same memory), which must not be wiped.
    if (keyPair?.privateKey.buffer !== priv.buffer) priv.fill(0);
  }
}

/** Reads a private key file and derives its key pair. Throws ERR_NOISE_KEY_FILE when unreadable or malformed. */
export function readKeyFile(path: string, backend: BackendChoice = 'auto'): LoadedKey {
  return parsePrivateKeyFile(readText(path, 'key file'), backend, path);
}

/**
 * Writes `keyPair.privateKey` as a key file with mode 0600. Refuses to replace an existing file
 * (ERR_NOISE_KEY_FILE) unless `force` is true; then the new key goes to a fresh 0600 file renamed
 * over the old one (writeAtomicSync), never into the existing file: that would follow a symlink
 * planted there and put the key in a file that still has its old mode (e.g. 0644).
 */
export function writeKeyFile(path: string, keyPair: KeyPair, options: { force?: boolean } = {}): void {
  if (typeof path !== 'string' || path.length === 0) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'key file path must be a non-empty string');
  const line = hexLine(keyPair.privateKey);
  try {
    if (options.force) {
      writeAtomicSync(path, line);
    } else {
      writeFileSync(path, line, { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600); // a new file, but umask may have narrowed its mode: be sure
    }
  } catch (err) {
    const cause = err instanceof NoiseError && err.cause !== undefined ? err.cause : err; // writeAtomicSync wraps the fs error
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' ? 'file exists (use --force to replace it)' : code ?? (cause as Error).message;
    throw new NoiseError('ERR_NOISE_KEY_FILE', `cannot write key file ${path}: ${why}`, { cause });
  } finally {
    line.fill(0);
  }
}

/** `bytes` in lowercase hex and a newline, as bytes the caller wipes (not a string: see the module header). */
function hexLine(bytes: Uint8Array): Uint8Array {
  const digits = '0123456789abcdef';
  const out = new Uint8Array(bytes.length * 2 + 1);
  bytes.forEach((b, i) => {
    out[2 * i] = digits.charCodeAt(b >> 4);
    out[2 * i + 1] = digits.charCodeAt(b & 15);
  });
  out[out.length - 1] = 0x0a;
  return out;
}

/**
 * The warning to show when the private key or psk file at `path` can be used by other users
 * (any of mode 0o077), e.g. `server.key is readable by other users (mode 0644); run chmod 600
 * server.key`, or undefined when only its owner can. ssh refuses such files; noisekit only warns,
 * so deployments that share a key with a group on purpose keep working. Undefined on Windows
 * (mode bits do not say who can read a file there) and when the file cannot be stat'ed (reading
 * it reports that).
 */
export function keyFileModeWarning(path: string): string | undefined {
  if (process.platform === 'win32') return undefined;
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  const how = mode & 0o044 ? 'readable' : mode & 0o022 ? 'writable' : 'usable';
  return `${path} is ${how} by other users (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 ${path}`;
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
