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
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { NoiseError } from '../errors.js';
import { equalBytes, toHex } from '../bytes.js';
import type { VerifyRemote } from './options.js';

/** Public key lengths of the DH functions of spec section 12 (25519, 448). */
const KEY_LENGTHS = [32, 56];

/**
 * Decodes one public key written as hex or base64. Throws ERR_NOISE_INVALID_KEY when it is
 * neither or has a length no DH function uses (32 or 56 bytes).
 */
export function parsePublicKey(text: string): Uint8Array {
  const t = text.trim();
  let bytes: Uint8Array | undefined;
  if (/^[0-9a-fA-F]+$/.test(t) && t.length % 2 === 0 && KEY_LENGTHS.includes(t.length / 2)) {
    bytes = new Uint8Array(Buffer.from(t, 'hex'));
  } else if (/^[A-Za-z0-9+/]+={0,2}$/.test(t) && t.length % 4 === 0) {
    bytes = new Uint8Array(Buffer.from(t, 'base64'));
    if (Buffer.from(bytes).toString('base64') !== t) bytes = undefined; // non-canonical
  }
  if (!bytes || !KEY_LENGTHS.includes(bytes.length)) {
    throw new NoiseError('ERR_NOISE_INVALID_KEY', 'not a 32- or 56-byte public key in hex or base64');
  }
  return bytes;
}

/**
 * Parses an authorized-keys text: one key per line (hex or base64), `#` starts a comment,
 * blank lines are ignored, and text after the key (separated by whitespace) is a label.
 * Throws ERR_NOISE_TRUST_STORE naming the first bad line.
 */
export function parseAuthorizedKeys(text: string): Uint8Array[] {
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
 * Verifications through the same returned function are serialized; do not share one file
 * between processes writing at the same time.
 */
export function tofu(path: string, hostId: string): VerifyRemote {
  checkPath(path);
  if (typeof hostId !== 'string' || hostId.length === 0 || /[\s#]/.test(hostId)) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'hostId must be a non-empty string without whitespace or "#"');
  }
  let chain: Promise<unknown> = Promise.resolve();
  return (remoteStaticKey) => {
    const run = async (): Promise<boolean> => {
      if (!remoteStaticKey) throw new NoiseError('ERR_NOISE_REMOTE_REJECTED', 'the peer has no static key to pin');
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
    const p = chain.then(run, run);
    chain = p.catch(() => undefined);
    return p;
  };
}

function stripComment(line: string): string {
  const i = line.indexOf('#');
  return i < 0 ? line : line.slice(0, i);
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

/** Writes `text` to a temporary file next to `path`, fsyncs it, then renames it over `path`. */
async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await fsp.open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw new NoiseError('ERR_NOISE_TRUST_STORE', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}
