/**
 * The deployment flags shared by `noisekit serve` and `noisekit connect` (protocol, keys, trust,
 * psk, prologue, config file), their parsing into DeploymentSettings, and the one-line error
 * format for bad flags. Argument parsing only; the rules are in config.ts.
 */
import { Command, Option } from 'commander';
import { loadDeployment, mergeDeployment, type DeploymentSettings } from '../config.js';
import { NoiseError } from '../errors.js';

/**
 * The flag values commander hands to serve/connect: the deployment settings as text (numbers
 * arrive as strings), plus the config file they override.
 */
export interface DeploymentFlags extends Omit<DeploymentSettings, 'handshakeTimeout' | 'idleTimeout'> {
  config?: string;
  handshakeTimeout?: string;
  idleTimeout?: string;
}

/** Adds the deployment flags (commander's errors become one line: cli/args.ts oneLineErrors). */
export function withDeploymentFlags(cmd: Command): Command {
  return cmd
    .option('--protocol <name>', 'Noise protocol name, e.g. Noise_XX_25519_ChaChaPoly_BLAKE2s')
    .option('--key <file>', 'this side\'s private key file (noisekit keygen --out FILE)')
    .option('--remote-key <key>', 'the peer\'s static public key, hex or base64 (pre-message for IK/NK/KK..., otherwise a pin)')
    .option('--authorized-keys <file>', 'accept only peers whose static key is listed in FILE')
    .option('--tofu <file>', 'trust on first use: pin the peer\'s key in the known-hosts FILE')
    .option('--psk <file>', 'pre-shared key file (one 32-byte key per line, hex or base64)')
    .option('--prologue <hex>', 'prologue bytes in hex (must match on both sides)')
    .option('--config <file>', 'deployment file (JSON, see docs/cli.md); flags override it')
    .addOption(new Option('--backend <name>', 'crypto backend').choices(['auto', 'node', 'stablelib', 'sodium']))
    .option('--handshake-timeout <ms>', 'handshake time limit in milliseconds (default 10000)')
    .option('--idle-timeout <ms>', 'close an established connection after this many milliseconds without traffic either way (default 0: never)');
}

/** The settings of the flags, on top of the --config file when given. */
export function deploymentFromFlags(flags: DeploymentFlags): DeploymentSettings {
  const millis = (value: string | undefined, flag: string): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new NoiseError('ERR_NOISE_CONFIG', `${flag} must be a whole number of milliseconds`);
    return Number(value);
  };
  const fromFlags: DeploymentSettings = {
    protocol: flags.protocol,
    key: flags.key,
    remoteKey: flags.remoteKey,
    authorizedKeys: flags.authorizedKeys,
    tofu: flags.tofu,
    psk: flags.psk,
    prologue: flags.prologue,
    backend: flags.backend,
    handshakeTimeout: millis(flags.handshakeTimeout, '--handshake-timeout'),
    idleTimeout: millis(flags.idleTimeout, '--idle-timeout'),
  };
  return mergeDeployment(flags.config ? loadDeployment(flags.config) : {}, fromFlags);
}
