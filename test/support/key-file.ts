/** Private key files for CLI tests, in the format of docs/cli.md: one line of hex, mode 0600. */
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** Writes a fresh X25519 private key file at `file` and returns the path. */
export function writeKeyFile(file: string): string {
  writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  return file;
}
