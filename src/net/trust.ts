/**
 * Trust helpers that build a `verifyRemote` for NoiseSocket, connect() and createServer():
 * deciding whether a peer's static key is acceptable is the application's job (Noise spec
 * section 14, "Authentication"). Two common answers:
 *
 * - `authorizedKeys(path)`: a preconfigured list of public keys (one per line, hex or base64,
 *   `#` comments, anything after the key on a line is a free-form label);
 * - `tofu(path, hostId)`: "pinning" / key continuity: the first key seen for `hostId` is written
 *   to a known-hosts file, and a different key later is refused with
 *   ERR_NOISE_REMOTE_KEY_CHANGED. The file is replaced atomically (write, fsync, rename).
 *
 * Files are read at each verification, so edits take effect for the next connection.
 */
import { promises as fsp } from 'node:fs';
import { NoiseError } from '../errors.js';
import { checkBytes, equalBytes, toHex } from '../bytes.js';
import type { VerifyRemote } from './options.js';
import { serialized, writeAtomic } from '../file-store.js';
import { parseKeyText } from '../keyfile.js';

// Public key lengths of every DH noisekit speaks: X25519, X448, secp256k1 (compressed, BOLT 8;
// SECP256K1_PUBLIC_KEY_LENGTH) and P-256 (uncompressed; P256_PUBLIC_KEY_LENGTH). Numbers, not
// imports: those modules load the curve code, which trust files do not need.
const KEY_LENGTHS = [32, 56, 33, 65];

/**
 * Decodes one public key written as hex or base64. Throws ERR_NOISE_INVALID_KEY when it is
 * neither or has a length no DH function uses (32, 56, 33 or 65 bytes: X25519, X448, secp256k1,
 * P-256).
 */
export function parsePublicKey(text: string): Uint8Array {
  checkText(text, 'a public key');
  return parseKeyText(text, KEY_LENGTHS, 'public key'); // the key files' decoder (src/keyfile.ts)
}

/**
 * Parses an authorized-keys text: one key per line (hex or base64), `#` starts a comment,
 * blank lines are ignored, and text after the key (separated by whitespace) is a label.
 * Throws ERR_NOISE_TRUST_STORE naming the first bad line.
 */
export function parseAuthorizedKeys(text: string): Uint8Array[] {
  checkText(text, 'authorized keys');
  const keys: Uint8Array[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const field = stripComment(line).split(/\s+/)[0];
    if (!field) return;
    try {
      keys.push(parsePublicKey(field));
    } catch (err) {
      throw new NoiseError('ERR_NOISE_TRUST_STORE', `authorized keys line ${i + 1}: not a public key in hex or base64`, { cause: err });
    }
  });
  return keys;
}

/**
 * A verifyRemote that accepts only peers whose static key is listed in the file at `path`.
 * Peers without a static key, or not listed, are refused with ERR_NOISE_REMOTE_REJECTED; an
 * unreadable or malformed file refuses everyone with ERR_NOISE_TRUST_STORE.
 */
export function authorizedKeys(path: string): VerifyRemote {
  checkPath(path);
  return async (remoteStaticKey) => {
    if (!remoteStaticKey) throw new NoiseError('ERR_NOISE_REMOTE_REJECTED', 'the peer has no static key to check against authorized keys');
    checkBytes('remoteStaticKey', remoteStaticKey);
    const keys = parseAuthorizedKeys(await readText(path, false));
    let found = false;
    for (const k of keys) if (equalBytes(k, remoteStaticKey)) found = true;
    if (!found) throw new NoiseError('ERR_NOISE_REMOTE_REJECTED', 'the peer static key is not in the authorized keys');
    return true;
  };
}

/**
 * Parses a known-hosts text: lines `hostId key` (key in hex or base64), `#` comments.
 * Throws ERR_NOISE_TRUST_STORE naming the first bad line or a duplicated host.
 */
export function parseKnownHosts(text: string): Map<string, Uint8Array> {
  checkText(text, 'known hosts');
  const hosts = new Map<string, Uint8Array>();
  text.split(/\r?\n/).forEach((line, i) => {
    const fields = stripComment(line).trim().split(/\s+/).filter((f) => f.length > 0);
    if (fields.length === 0) return;
    if (fields.length !== 2) throw new NoiseError('ERR_NOISE_TRUST_STORE', `known hosts line ${i + 1}: expected "hostId key"`);
    let key: Uint8Array;
    try {
      key = parsePublicKey(fields[1]!);
    } catch (err) {
      throw new NoiseError('ERR_NOISE_TRUST_STORE', `known hosts line ${i + 1}: not a public key in hex or base64`, { cause: err });
    }
    if (hosts.has(fields[0]!)) throw new NoiseError('ERR_NOISE_TRUST_STORE', `known hosts line ${i + 1}: host listed twice`);
    hosts.set(fields[0]!, key);
  });
  return hosts;
}

/**
 * Trust on first use: a verifyRemote that pins the first static key seen for `hostId` in the
 * known-hosts file at `path` (created if missing, mode 0600) and afterwards accepts only that
 * key; a different one is refused with ERR_NOISE_REMOTE_KEY_CHANGED and the file is left as is.
 * Verifications of one file are serialized within the process (also through different tofu()
 * functions on the same path, e.g. one per connect()); do not share one file between processes
 * writing at the same time.
 */
export function tofu(path: string, hostId: string): VerifyRemote {
  checkPath(path);
  if (typeof hostId !== 'string' || hostId.length === 0 || /[\s#]/.test(hostId)) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'hostId must be a non-empty string without whitespace or "#"');
  }
  return (remoteStaticKey) => {
    const run = async (): Promise<boolean> => {
      if (!remoteStaticKey) throw new NoiseError('ERR_NOISE_REMOTE_REJECTED', 'the peer has no static key to pin');
      checkBytes('remoteStaticKey', remoteStaticKey);
      const text = await readText(path, true);
      const pinned = parseKnownHosts(text).get(hostId);
      if (pinned) {
        if (equalBytes(pinned, remoteStaticKey)) return true;
        throw new NoiseError('ERR_NOISE_REMOTE_KEY_CHANGED', `the static key of "${hostId}" differs from the one pinned in ${path}`);
      }
      const sep = text.length === 0 || text.endsWith('\n') ? '' : '\n';
      await writeAtomic(path, `${text}${sep}${hostId} ${toHex(remoteStaticKey)}\n`);
      return true;
    };
    // One chain per file, not per function: two read-modify-writes of the same file must not
    // interleave, or one pin is lost and that host's next key is accepted as new.
    return serialized(path, run);
  };
}

function stripComment(line: string): string {
  const i = line.indexOf('#');
  return i < 0 ? line : line.slice(0, i);
}

function checkText(text: unknown, what: string): void {
  if (typeof text !== 'string') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${what} must be given as a string`);
}

function checkPath(path: unknown): void {
  if (typeof path !== 'string' || path.length === 0) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'path must be a non-empty string');
}

async function readText(path: string, missingIsEmpty: boolean): Promise<string> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (err) {
    if (missingIsEmpty && (err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new NoiseError('ERR_NOISE_TRUST_STORE', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

