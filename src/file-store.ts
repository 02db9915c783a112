/**
 * Small files that noisekit rewrites as it learns keys (known-hosts files, Noise Pipes key
 * caches): each rewrite is atomic (a fresh temporary file, mode 0600, created exclusively so a
 * planted file or symlink is never followed, fsynced, then renamed over the target), and the
 * read-modify-write cycles of one file are serialized within the process, so concurrent updates
 * never lose one another's entries. Failures are ERR_NOISE_TRUST_STORE. Key files replaced with
 * `--force` (src/keyfile.ts) are rewritten the same way, synchronously.
 */
import { promises as fsp, openSync, writeFileSync, fsyncSync, closeSync, renameSync, rmSync } from 'node:fs';
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

/**
 * The temporary file an atomic write of `path` goes through: in the same folder (so the rename
 * stays on one file system and is atomic), hidden, and unique to this write.
 */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function writeFailed(path: string, err: unknown): NoiseError {
  return new NoiseError('ERR_NOISE_TRUST_STORE', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
}

/** Writes `text` to `path` atomically (see the module comment). */
export async function writeAtomic(path: string, text: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(path);
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
    throw writeFailed(path, err);
  }
}

/**
 * {@link writeAtomic} for synchronous callers (writeKeyFile): the same steps, temporary file and
 * errors. A symlink or file already at `path` is replaced, never written through, and never
 * holds the new text under its old mode. Secrets should come as bytes the caller wipes: fs copies
 * a string into Node's shared Buffer pool first.
 */
export function writeAtomicSync(path: string, text: string | Uint8Array): void {
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeFileSync(fd, text, 'utf8');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the write's error is the one to report
    }
    throw writeFailed(path, err);
  }
}
