/**
 * Argument handling shared by the CLI commands: numbers checked where they are parsed, key
 * files read the one way every command documents (src/keyfile.ts), and commander's own errors
 * (unknown flag, missing or invalid value) printed as one `noisekit: ERR_NOISE_CONFIG: ...` line.
 */
import { Command, InvalidArgumentError } from 'commander';
import { keyFileModeWarning, readKeyFile } from '../keyfile.js';
import { generateKeyPair } from '../crypto/keys.js';
import type { KeyPair } from '../crypto/types.js';

/**
 * A commander parser for a whole number in [min, max]; anything else (`abc`, `1.5`, `-3`, out
 * of range) is refused while the arguments are parsed, before the command runs.
 */
export function wholeNumber(min: number, max: number = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected a whole number of at least ${min}` : `expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

/** A TCP or UDP port: 0 to 65535 (0: any free port). */
export const port = wholeNumber(0, 65535);

/** The static key pair from `--key FILE` (a key file as `noisekit keygen` writes it), or a fresh one. */
export function keyFromFile(path: string | undefined): KeyPair {
  if (path === undefined) return generateKeyPair();
  const { keyPair } = readKeyFile(path);
  warnIfExposed(path);
  return keyPair;
}

/**
 * Prints one warning line to stderr for each private key or psk file among `paths` that other
 * users can read (keyfile.ts keyFileModeWarning), and goes on: a warning, not a refusal. Call it
 * after the files were read, so a file that fails to load gets its error line only.
 */
export function warnIfExposed(...paths: Array<string | undefined>): void {
  for (const path of paths) {
    const warning = path === undefined ? undefined : keyFileModeWarning(path);
    if (warning) process.stderr.write(`noisekit: warning: ${warning}\n`);
  }
}

/** Commander's errors for `cmd` and its subcommands as one noisekit line with ERR_NOISE_CONFIG. */
export function oneLineErrors(cmd: Command): Command {
  cmd.configureOutput({
    outputError: (str, write) => write(`noisekit: ERR_NOISE_CONFIG: ${str.replace(/^error: /, '').trim()}\n`),
  });
  for (const sub of cmd.commands) oneLineErrors(sub);
  return cmd;
}
