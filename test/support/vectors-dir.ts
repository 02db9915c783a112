/**
 * Where the official vector files are: $NOISE_VECTORS_DIR, or ../shared/vectors beside the checkout.
 * They are reference data from other projects and are never copied into this repository.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export const VECTORS_DIR = process.env.NOISE_VECTORS_DIR
  ? resolve(process.env.NOISE_VECTORS_DIR)
  : resolve(repoRoot, '..', 'shared', 'vectors');

/** The path of a vector file, or undefined when it is not there. */
export function vectorFile(name: string): string | undefined {
  const p = join(VECTORS_DIR, name);
  return existsSync(p) ? p : undefined;
}
