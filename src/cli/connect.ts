/**
 * `noisekit connect HOST:PORT --protocol NAME ...`: like netcat over Noise. Standard input goes
 * out encrypted; what arrives goes to standard output. End of standard input sends the
 * authenticated end of stream (spec section 13). Exit status 0 when the peer ended the stream
 * cleanly too; otherwise one error line (`noisekit: ERR_CODE: message`) and status 1, e.g. on
 * truncation (ERR_NOISE_TRUNCATED) or a refused key (ERR_NOISE_REMOTE_REJECTED).
 */
import { Command } from 'commander';
import { connect } from '../net/connect.js';
import { parseHostPort, resolveDeployment } from '../config.js';
import { formatHostPort } from '../net/relay-protocol.js';
import { NoiseError } from '../errors.js';
import { toHex } from '../bytes.js';
import { action } from './output.js';
import { warnIfExposed } from './args.js';
import { withDeploymentFlags, deploymentFromFlags, type DeploymentFlags } from './deployment-flags.js';
import { connectUdp } from './udp.js';
import { connectPipes } from './pipes.js';
import { relayStream } from '../net/relay-client.js';
import { toStdout } from './stdio.js';

/** `noisekit connect`. */
export function connectCommand(): Command {
  return withDeploymentFlags(new Command('connect').description('connect to a Noise server: stdin -> encrypted -> server -> stdout'))
    .argument('<host:port>', 'server address, e.g. 127.0.0.1:4000 (with --via: the service name)')
    .option('--via <host:port>', 'reach the service named by the argument through this relay (docs/relay.md)')
    .option('--verbose', 'print the server key and handshake hash to stderr once connected')
    .option('--udp', 'datagram mode over UDP: each stdin line is one datagram (docs/datagram.md)')
    .option('--pipes', 'Noise Pipes: IK when --key-cache knows the server, XX otherwise (docs/pipes.md)')
    .option('--key-cache <file>', 'with --pipes: JSON file of cached server keys (created and updated)')
    .action(action(async (target: string, flags: DeploymentFlags & { via?: string; verbose?: boolean; udp?: boolean; pipes?: boolean; keyCache?: string }) => {
      if (flags.via && (flags.udp || flags.pipes)) throw new NoiseError('ERR_NOISE_CONFIG', '--via (relay) is TCP only: it does not combine with --udp or --pipes');
      if (flags.keyCache !== undefined && !flags.pipes) throw new NoiseError('ERR_NOISE_CONFIG', '--key-cache is for --pipes (it caches the server keys Noise Pipes uses for IK)');
      const { host, port } = flags.via ? { host: target, port: 0 } : parseHostPort(target);
      const settings = deploymentFromFlags(flags);
      const { options, warnings } = resolveDeployment(settings, 'initiator', flags.via ? `${target}@${flags.via}` : formatHostPort(host, port));
      warnIfExposed(settings.key, settings.psk); // always, unlike the --verbose warnings: resolveDeployment read both when given
      if (flags.verbose) for (const w of warnings) process.stderr.write(`noisekit: warning: ${w}\n`);
      if (flags.udp) return connectUdp(options, host, port, flags);
      if (flags.pipes) return connectPipes(options, host, port, flags);
      await new Promise<void>((resolve, reject) => {
        const s = connect({ ...options, ...(flags.via ? { socket: relayStream({ relay: flags.via, service: target }) } : { host, port }), allowHalfOpen: true });
        let ended = false;
        s.once('secureConnect', () => {
          if (flags.verbose) {
            process.stderr.write(`noisekit: connected ${host}:${port} remote-key ${s.remoteStaticKey ? toHex(s.remoteStaticKey) : '-'} hash ${toHex(s.handshakeHash!)}\n`);
          }
        });
        const stdout = toStdout(s, () => s.destroy());
        s.on('end', () => {
          ended = true;
          if (process.stdin.isTTY) s.end(); // nobody is listening any more: stop typing
        });
        s.on('error', (err) => {
          process.stdin.unpipe(s);
          process.stdin.destroy();
          if (stdout.failure) reject(stdout.failure);
          else if (stdout.closed) resolve();
          else reject(err);
        });
        s.on('close', () => {
          process.stdin.unpipe(s);
          process.stdin.destroy();
          if (stdout.failure) reject(stdout.failure);
          else if (ended || stdout.closed) resolve(); // stdout closed: exit 141, no error line
          else reject(new NoiseError('ERR_NOISE_TRUNCATED', 'the connection closed before the server ended the stream'));
        });
        process.stdin.pipe(s); // stdin EOF -> s.end() -> authenticated end of stream
      });
    }));
}
