/**
 * Small files that noisekit rewrites as it learns keys (known-hosts files, Noise Pipes key
 * caches): each rewrite is atomic (a fresh temporary file, mode 0600, created exclusively so a
 * planted file or symlink is never followed, fsynced, then renamed over the target), and the
 * read-modify-write cycles of one file are serialized within the process, so concurrent updates
 * never lose one another's entries. Failures are ERR_NOISE_TRUST_STORE.
 */
import { promises as fsp } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { NoiseError } from './errors.js';

/** The tail of the update chain of each file (absolute path) being updated. */
const chains = new Map<string, Promise<unknown>>();

/**
 * Runs `update` after every earlier update of the same file in this process has settled, and
 * returns its result. Use it around a read-modify-write of `path`.
 */
export function serialized<T>(path: string, update: () => Promise<T>): Promise<T> {
  const file = resolve(path);
  const p = (chains.get(file) ?? Promise.resolve()).then(update);
  const settled = p.catch(() => undefined);
  chains.set(file, settled);
  void settled.then(() => {
    if (chains.get(file) === settled) chains.delete(file);
  });
  return p;
}

/** Writes `text` to `path` atomically (see the module comment). */
export async function writeAtomic(path: string, text: string): Promise<void> {
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
