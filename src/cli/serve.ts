/**
 * `noisekit serve --protocol NAME --listen HOST:PORT [--echo | --exec CMD] ...`: a Noise server
 * over TCP. `--echo` sends every connection's data back; `--exec CMD` runs CMD (through the
 * shell) per connection with the decrypted stream as its stdin and stdout.
 *
 * Logs to stderr, one line each: `listening HOST:PORT ...` once, then per connection
 * `connection ADDR remote-key HEX hash PREFIX` or `connection-error ADDR ERR_CODE: message`.
 * A bad client never stops the server. SIGINT/SIGTERM close it.
 */
import { Command } from 'commander';
import type { AddressInfo } from 'node:net';
import { createServer } from '../net/server.js';
import type { NoiseSocket } from '../net/noise-socket.js';
import { parseHostPort, resolveDeployment } from '../config.js';
import { formatHostPort } from '../net/relay-protocol.js';
import { NoiseError, isNoiseError } from '../errors.js';
import { toHex } from '../bytes.js';
import { action } from './output.js';
import { withDeploymentFlags, deploymentFromFlags, type DeploymentFlags } from './deployment-flags.js';
import { serveUdp } from './udp.js';
import { servePipes } from './pipes.js';
import { relayServe } from './relay.js';
import { listenOn, limitConnections } from './listen.js';
import { runCommand, stopCommands, commandGroups } from './exec.js';
import { warnIfExposed, wholeNumber } from './args.js';
import { resolveSuite } from '../crypto/resolve.js';
import { parseProtocolName } from '../protocol-name.js';

const log = (line: string) => process.stderr.write(`noisekit: ${line}\n`);

/** Default --max-connections with --exec: each connection runs a command (a process group). */
const EXEC_MAX_CONNECTIONS = 64;
/** Default --max-connections otherwise: well under the usual limit of 1024 open files. */
const ECHO_MAX_CONNECTIONS = 512;

/** `noisekit serve`. */
export function serveCommand(): Command {
  return withDeploymentFlags(new Command('serve').description('accept Noise connections over TCP (echo them or hand them to a command)'))
    .option('--listen <host:port>', 'address to listen on, e.g. 127.0.0.1:4000 (port 0: any free port)')
    .option('--via <host:port>', 'instead of --listen: register at this relay (docs/relay.md), with --name')
    .option('--name <name>', 'with --via: the service name clients ask the relay for')
    .option('--echo', 'send each connection\'s data back to it')
    .option('--exec <cmd>', 'run CMD per connection, with the decrypted stream as its stdin/stdout')
    .option('--udp', 'datagram mode over UDP: explicit nonces, replay window, retransmission (docs/datagram.md)')
    .option('--pipes', 'Noise Pipes: XX, IK with 0-RTT, XXfallback; --protocol gives the algorithms (docs/pipes.md)')
    .option('--max-connections <n>', `connections (and --exec commands) at once; more are refused (0: no limit; default ${EXEC_MAX_CONNECTIONS} with --exec, ${ECHO_MAX_CONNECTIONS} otherwise)`, wholeNumber(0))
    .action(action(async (flags: DeploymentFlags & { listen: string; via?: string; name?: string; echo?: boolean; exec?: string; udp?: boolean; pipes?: boolean; maxConnections?: number }) => {
      if (!flags.echo === !flags.exec) throw new NoiseError('ERR_NOISE_CONFIG', 'give exactly one of --echo and --exec CMD');
      if (!flags.listen === !flags.via) throw new NoiseError('ERR_NOISE_CONFIG', 'give exactly one of --listen HOST:PORT and --via RELAY --name NAME');
      if (flags.via && (flags.udp || flags.pipes)) throw new NoiseError('ERR_NOISE_CONFIG', '--via (relay) is TCP only: it does not combine with --udp or --pipes');
      if (flags.udp && flags.maxConnections !== undefined) throw new NoiseError('ERR_NOISE_CONFIG', '--max-connections is for TCP: --udp has no connections');
      const max = flags.maxConnections ?? (flags.exec ? EXEC_MAX_CONNECTIONS : ECHO_MAX_CONNECTIONS);
      const { host, port } = flags.via ? { host: '', port: 0 } : parseHostPort(flags.listen);
      const settings = deploymentFromFlags(flags);
      const { options, trust, warnings } = resolveDeployment(settings, 'responder', 'client');
      resolveSuite(parseProtocolName(options.protocol), options.backend); // an unknown algorithm is the only line, not after the warnings
      warnIfExposed(settings.key, settings.psk); // resolveDeployment read both when given
      for (const w of warnings) log(`warning: ${w}`);
      if (flags.udp) return serveUdp(options, host, port, flags, log);
      if (flags.pipes) return servePipes(options, host, port, flags, log, max);
      // Half-open: a client's end of stream must not end our side before --exec's output is sent.
      const server = createServer({ ...options, allowHalfOpen: true }, (s) => {
        log(`connection ${peerOf(s)} remote-key ${s.remoteStaticKey ? toHex(s.remoteStaticKey) : '-'} hash ${toHex(s.handshakeHash!).slice(0, 16)}`);
        if (flags.echo) s.pipe(s);
        else if (max > 0 && commandGroups() >= max) {
          // Commands left to finish after a clean end, or what they left running, count too.
          log(`exec-refused ${peerOf(s)}: ${max} commands already running (--max-connections)`);
          s.destroy();
        } else runCommand(flags.exec!, s, log, peerOf(s));
      });
      limitConnections(server.netServer, max, log);
      server.on('connectionError', (err: unknown, info: { remoteAddress?: string; remotePort?: number }) => {
        const code = isNoiseError(err) ? err.code : 'ERR_NOISE_SOCKET';
        log(`connection-error ${info.remoteAddress ?? '?'}:${info.remotePort ?? '?'} ${code}: ${(err as Error).message}`);
      });
      if (flags.via) return relayServe(server, flags.via, flags.name, options, trust, log);
      await listenOn(server, port, host, flags.listen);
      const a = server.address() as AddressInfo;
      const key = options.staticKeyPair ? toHex(options.staticKeyPair.publicKey) : '-';
      log(`listening ${formatHostPort(a.address, a.port)} protocol ${options.protocol} key ${key} trust ${trust}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      server.close();
      server.closeAllConnections();
      await stopCommands();
    }));
}

function peerOf(s: NoiseSocket): string {
  return `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`;
}
