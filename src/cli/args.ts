/**
 * Argument handling shared by the CLI commands: numbers checked where they are parsed, key
 * files read the one way every command documents (src/keyfile.ts), and commander's own errors
 * (unknown flag, missing or invalid value) printed as one `noisekit: ERR_NOISE_CONFIG: ...` line.
 */
import { Command, InvalidArgumentError } from 'commander';
import { readKeyFile } from '../keyfile.js';
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
  return path === undefined ? generateKeyPair() : readKeyFile(path).keyPair;
}

/** Commander's errors for `cmd` and its subcommands as one noisekit line with ERR_NOISE_CONFIG. */
export function oneLineErrors(cmd: Command): Command {
  cmd.configureOutput({
    outputError: (str, write) => write(`noisekit: ERR_NOISE_CONFIG: ${str.replace(/^error: /, '').trim()}\n`),
  });
  for (const sub of cmd.commands) oneLineErrors(sub);
  return cmd;
}
