/**
 * `noisekit keygen [--dh 25519|448] --out FILE [--force]` writes a new static private key (mode
 * 0600) and prints its public key in hex and base64; `noisekit keygen --public FILE` prints the
 * public key of an existing key file. Argument parsing only; the work is in keyfile.ts.
 */
import { Command, Option } from 'commander';
import { generateKeyPair } from '../crypto/keys.js';
import { formatPublicKey, readKeyFile, writeKeyFile } from '../keyfile.js';
import { NoiseError } from '../errors.js';
import { action } from './output.js';
import { warnIfExposed } from './args.js';

/** `noisekit keygen`. */
export function keygenCommand(): Command {
  return new Command('keygen')
    .description('create a static key pair (private key file, mode 0600) or show the public key of one')
    .addOption(new Option('--dh <name>', 'DH function').choices(['25519', '448']).default('25519'))
    .option('--out <file>', 'write the new private key here (refuses to overwrite)')
    .option('--force', 'replace an existing --out file')
    .option('--public <file>', 'print the public key of this existing key file instead')
    .action(action((flags: { dh: string; out?: string; force?: boolean; public?: string }) => {
      process.stdout.on('error', quietOnClosedPipe);
      if (flags.public !== undefined && flags.out !== undefined) throw new NoiseError('ERR_NOISE_CONFIG', 'give either --out or --public, not both');
      let publicKey: Uint8Array;
      if (flags.public !== undefined) {
        publicKey = readKeyFile(flags.public).keyPair.publicKey;
        warnIfExposed(flags.public);
      } else {
        if (flags.out === undefined) throw new NoiseError('ERR_NOISE_CONFIG', 'give --out FILE (new key) or --public FILE (existing key)');
        const kp = generateKeyPair(flags.dh);
        writeKeyFile(flags.out, kp, { force: flags.force });
        publicKey = kp.publicKey;
        process.stderr.write(`noisekit: wrote private key ${flags.out} (${flags.dh}, mode 0600)\n`);
      }
      const { hex, base64 } = formatPublicKey(publicKey);
      console.log(`public-key-hex ${hex}`);
      console.log(`public-key-base64 ${base64}`);
    }));
}

/** `noisekit ... | head` closes stdout early: stop quietly instead of crashing with EPIPE. */
function quietOnClosedPipe(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
}
