/**
 * `noisekit pipes-serve` and `noisekit pipes-connect`: Noise Pipes over TCP (spec 10.4): XX
 * without a cached server key, IK with zero-RTT early data when one is cached, XXfallback when
 * the cache is stale. Argument parsing only; the work is in net/pipes.ts.
 */
import { Command } from 'commander';
import type { AddressInfo } from 'node:net';
import { createPipesServer, pipesConnect, type PipesSocketOptions } from '../net/pipes.js';
import type { NoiseSocketOptions } from '../net/options.js';
import { NoiseError } from '../errors.js';
import { parseProtocolName } from '../protocol-name.js';
import { FileKeyCache } from '../pipes/key-cache.js';
import { toHex } from '../bytes.js';
import { action } from './output.js';
import { listenOn } from './listen.js';
import { keyFromFile, port, wholeNumber } from './args.js';
import { toStdout } from './stdio.js';
import { limitConnections } from './listen.js';

/** How much of what a client sent `pipes-serve` shows in its `data` line. */
const DATA_SHOWN = 64 * 1024;

/** `noisekit pipes-serve`: prints `listening tcp HOST:PORT key HEX`, then per connection its mode and data. */
export function pipesServeCommand(): Command {
  return new Command('pipes-serve')
    .description('serve Noise Pipes over TCP (XX, IK with 0-RTT, XXfallback)')
    .option('--host <host>', 'address', '127.0.0.1')
    .requiredOption('--port <port>', 'TCP port (0: any free port)', port)
    .option('--key <file>', 'private key file (noisekit keygen --out FILE; default: a fresh key)')
    .option('--suite <dh_cipher_hash>', 'algorithms', '25519_ChaChaPoly_BLAKE2s')
    .option('--echo', 'send everything back, then end')
    .action(action(async (flags: { host: string; port: number; key?: string; suite: string; echo?: boolean }) => {
      const key = keyFromFile(flags.key);
      const server = createPipesServer({ staticKeyPair: key, suite: flags.suite }, (s) => {
        console.log(`session ${s.pipes.mode} early-data ${s.pipes.earlyDataAccepted ? '0-rtt' : 'after-handshake'} remote-key ${toHex(s.remoteStaticKey!)}`);
        // The echo streams (nothing piles up however much a client sends, ended or not); the
        // `data` line keeps the first DATA_SHOWN bytes only.
        const shown: Buffer[] = [];
        let kept = 0;
        let total = 0;
        s.on('data', (d: Buffer) => {
          total += d.length;
          if (kept < DATA_SHOWN) {
            const part = Buffer.from(d.subarray(0, DATA_SHOWN - kept)); // a copy: not the whole chunk
            shown.push(part);
            kept += part.length;
          }
        });
        s.on('end', () => {
          console.log(`data ${Buffer.concat(shown).toString()}${total > kept ? `... (${total} bytes, the first ${kept} shown)` : ''}`);
          if (!flags.echo) s.end();
        });
        if (flags.echo) s.pipe(s); // (after the 'end' listener: the data line comes before the echo's end)
      });
      server.on('connectionError', (err: Error & { code?: string }) => console.error(`connection error ${err.code ?? ''}: ${err.message}`));
      await listenOn(server, flags.port, flags.host, `${flags.host}:${flags.port}`);
      const a = server.address() as AddressInfo;
      console.log(`listening tcp ${a.address}:${a.port} key ${toHex(key.publicKey)}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      server.close();
      server.closeAllConnections();
    }));
}

/** `noisekit pipes-connect`: one exchange, printing the mode, the server key and the reply. */
export function pipesConnectCommand(): Command {
  return new Command('pipes-connect')
    .description('connect to a Noise Pipes server (IK when --key-cache knows it, XX otherwise)')
    .option('--host <host>', 'address', '127.0.0.1')
    .requiredOption('--port <port>', 'TCP port', port)
    .option('--key <file>', 'private key file (noisekit keygen --out FILE; default: a fresh key)')
    .option('--suite <dh_cipher_hash>', 'algorithms', '25519_ChaChaPoly_BLAKE2s')
    .option('--key-cache <file>', 'JSON file of cached server keys (created and updated)')
    .option('--early-data <text>', 'sent zero-RTT when possible, otherwise right after the handshake')
    .option('--message <text>', 'sent after the handshake', '')
    .option('--handshake-timeout <ms>', 'handshake time limit', wholeNumber(0, 2 ** 31 - 1), 10000)
    .action(action(async (flags: { host: string; port: number; key?: string; suite: string; keyCache?: string; earlyData?: string; message: string; handshakeTimeout: number }) => {
      const s = await pipesConnect({
        host: flags.host,
        port: flags.port,
        staticKeyPair: keyFromFile(flags.key),
        suite: flags.suite,
        keyCache: flags.keyCache ? new FileKeyCache(flags.keyCache) : undefined,
        earlyData: flags.earlyData === undefined ? undefined : new TextEncoder().encode(flags.earlyData),
        handshakeTimeout: flags.handshakeTimeout,
      });
      console.log(`connected ${s.pipes.mode} early-data ${s.pipes.earlyDataAccepted ? '0-rtt' : 'after-handshake'} server-key ${toHex(s.remoteStaticKey!)}`);
      // The reply streams to stdout as it arrives (with backpressure), however long it is.
      process.stdout.write('reply ');
      await new Promise<void>((resolve, reject) => {
        const stdout = toStdout(s, () => s.destroy());
        s.on('end', resolve);
        s.on('error', (err) => (stdout.failure ? reject(stdout.failure) : stdout.closed ? resolve() : reject(err)));
        s.on('close', () => (stdout.failure ? reject(stdout.failure) : stdout.closed ? resolve() : undefined));
        s.end(flags.message);
      });
      process.stdout.write('\n');
    }));
}

/** Both Pipes commands, for registration in main.ts. */
export function pipesCommands(): Command[] {
  return [pipesServeCommand(), pipesConnectCommand()];
}

/** The Pipes options of a deployment resolved by the `serve`/`connect` flags. */
function fromDeployment(options: NoiseSocketOptions): PipesSocketOptions {
  if (!options.staticKeyPair) throw new NoiseError('ERR_NOISE_CONFIG', '--pipes needs this side\'s static key (--key FILE): both ends of a Noise Pipe have one');
  const n = parseProtocolName(options.protocol);
  return {
    suite: `${n.dh}_${n.cipher}_${n.hash}`,
    prefix: n.prefix,
    staticKeyPair: options.staticKeyPair,
    psks: options.psks,
    prologue: options.prologue,
    backend: options.backend,
    verifyRemote: options.verifyRemote,
    handshakeTimeout: options.handshakeTimeout,
    idleTimeout: options.idleTimeout,
    rekey: options.rekey,
  };
}

/**
 * `noisekit serve --pipes --echo`: Noise Pipes over TCP with the deployment's key, algorithms
 * (from --protocol) and trust. Logs `listening pipes HOST:PORT ...` and one line per connection.
 */
export async function servePipes(options: NoiseSocketOptions, host: string, port: number, flags: { echo?: boolean; exec?: string }, log: (line: string) => void, maxConnections = 0): Promise<void> {
  if (flags.exec) throw new NoiseError('ERR_NOISE_CONFIG', '--pipes supports --echo only');
  const o = fromDeployment(options);
  const server = createPipesServer(o, (s) => {
    log(`connection ${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'} ${s.pipes.mode} remote-key ${toHex(s.remoteStaticKey!)} hash ${toHex(s.handshakeHash!).slice(0, 16)}`);
    s.pipe(s);
  });
  server.on('connectionError', (err: Error & { code?: string }) => log(`connection-error ${err.code ?? 'ERR_NOISE_SOCKET'}: ${err.message}`));
  limitConnections(server.netServer, maxConnections, log);
  await listenOn(server, port, host, `${host}:${port}`);
  const a = server.address() as AddressInfo;
  log(`listening pipes ${a.address}:${a.port} suite ${o.suite} key ${toHex(o.staticKeyPair.publicKey)}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  server.close();
  server.closeAllConnections();
}

/**
 * `noisekit connect --pipes [--key-cache FILE] HOST:PORT`: like `connect`, stdin to the server
 * and the server to stdout, over a Noise Pipe (IK when the cache knows the server).
 */
export async function connectPipes(options: NoiseSocketOptions, host: string, port: number, flags: { keyCache?: string; verbose?: boolean }): Promise<void> {
  const s = await pipesConnect({ ...fromDeployment(options), host, port, keyCache: flags.keyCache ? new FileKeyCache(flags.keyCache) : undefined });
  if (flags.verbose) process.stderr.write(`noisekit: connected ${host}:${port} ${s.pipes.mode} remote-key ${toHex(s.remoteStaticKey!)} hash ${toHex(s.handshakeHash!)}\n`);
  await new Promise<void>((resolve, reject) => {
    let ended = false;
    const stdout = toStdout(s, () => s.destroy());
    s.on('end', () => (ended = true));
    s.on('error', (err) => (stdout.failure ? reject(stdout.failure) : stdout.closed ? resolve() : reject(err)));
    s.on('close', () => {
      process.stdin.unpipe(s);
      process.stdin.destroy();
      if (stdout.failure) reject(stdout.failure);
      else if (ended || stdout.closed) resolve(); // stdout closed: exit 141, no error line
      else reject(new NoiseError('ERR_NOISE_TRUNCATED', 'the connection closed before the server ended the stream'));
    });
    process.stdin.pipe(s);
  });
}
