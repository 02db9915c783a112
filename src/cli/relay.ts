/**
 * `noisekit relay --listen HOST:PORT`: runs the untrusted forwarding node of docs/relay.md.
 * Services register names with `noisekit serve --via RELAY --name NAME`; clients reach them
 * with `noisekit connect --via RELAY NAME`. The relay only splices connections and forwards
 * Noise frames; it holds no keys.
 *
 * Logs to stderr: `relay listening HOST:PORT` once, then `splice NAME` per spliced pair and
 * `peer-error ERR_CODE: message` for malformed requests. SIGINT/SIGTERM close it.
 *
 * Also exports relayServe(), the `serve --via` half used by serve.ts.
 */
import { Command } from 'commander';
import type { AddressInfo } from 'node:net';
import { createRelay } from '../net/relay-server.js';
import { relayListen } from '../net/relay-client.js';
import { formatHostPort, parseHostPort } from '../net/relay-protocol.js';
import type { NoiseServer } from '../net/server.js';
import type { NoiseSocketOptions } from '../net/options.js';
import { NoiseError, isNoiseError } from '../errors.js';
import { toHex } from '../bytes.js';
import { action } from './output.js';
import { listenOn } from './listen.js';
import { wholeNumber } from './args.js';
import { asNoiseError } from '../net/stream-error.js';
import { stopCommands } from './exec.js';

const log = (line: string) => process.stderr.write(`noisekit: ${line}\n`);

function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

/** `noisekit relay`. */
export function relayCommand(): Command {
  return new Command('relay')
    .description('run an untrusted relay: services behind NAT register names, clients connect by name (docs/relay.md)')
    .requiredOption('--listen <host:port>', 'address to listen on, e.g. 0.0.0.0:7000 (port 0: any free port)')
    .option('--connect-wait <ms>', 'how long a client waits for a free service connection', wholeNumber(1, 2 ** 31 - 1), 3000)
    .option('--idle-timeout <ms>', 'close a spliced pair after this many milliseconds without a byte either way (default 0: never)', wholeNumber(0, 2 ** 31 - 1), 0)
    .action(action(async (flags: { listen: string; connectWait: number; idleTimeout: number }) => {
      const { host, port } = parseHostPort(flags.listen);
      const { connectWait, idleTimeout } = flags;
      const relay = createRelay({ connectWait, idleTimeout });
      relay.on('splice', (name: string) => log(`splice ${name}`));
      relay.on('peerError', (err: unknown) => log(`peer-error ${isNoiseError(err) ? err.code : 'ERR_NOISE_SOCKET'}: ${(err as Error).message}`));
      await listenOn(relay, port, host, flags.listen);
      const a = relay.address() as AddressInfo;
      log(`relay listening ${formatHostPort(a.address, a.port)}`);
      await untilSignal();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }));
}

/**
 * `serve --via RELAY --name NAME`: offers `server`'s responder at the relay under NAME (the
 * server never listens on a port) until SIGINT/SIGTERM.
 */
export async function relayServe(server: NoiseServer, via: string, name: string | undefined, options: NoiseSocketOptions, trust: string, logLine: (line: string) => void): Promise<void> {
  if (!name) throw new NoiseError('ERR_NOISE_CONFIG', '--via needs --name NAME (the service name to register at the relay)');
  const listener = relayListen({ relay: via, service: name }, (raw) => {
    try {
      server.handle(raw);
    } catch (err) {
      raw.destroy();
      server.emit('connectionError', asNoiseError(err), { secure: false });
    }
  });
  let reported = false;
  listener.on('error', (err: NoiseError) => {
    if (!reported) logLine(`relay-error ${err.code}: ${err.message} (retrying)`);
    reported = true;
  });
  const stop = untilSignal();
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  while (!stopped && listener.waiting === 0) await new Promise((r) => setTimeout(r, 20));
  if (!stopped) {
    const key = options.staticKeyPair ? toHex(options.staticKeyPair.publicKey) : '-';
    logLine(`listening via ${via} name ${name} protocol ${options.protocol} key ${key} trust ${trust}`);
    await stop;
  }
  listener.close();
  server.close();
  server.closeAllConnections();
  await stopCommands();
}
