/**
 * `noisekit udp-serve` and `noisekit udp-connect`: Noise over UDP in datagram mode (spec 11.4),
 * optionally as Noise Pipes (`--pipes`, spec 10.4). Argument parsing only; the work is in
 * net/udp.ts.
 *
 * udp-serve prints `listening udp HOST:PORT key HEX`, then one line per session and per
 * datagram received (`datagram FROM TEXT`), echoing datagrams back with `--echo`.
 * udp-connect sends `--count` datagrams of `--message` (or each stdin line), prints what comes
 * back, and ends with `sent N, received M` (exit 1 if the handshake fails).
 */
import { Command, Option } from 'commander';
import { createInterface } from 'node:readline';
import { createUdpServer, DEFAULT_UDP_PROTOCOL, udpConnect, type UdpOptions } from '../net/udp.js';
import { FileKeyCache } from '../pipes/key-cache.js';
import { toHex } from '../bytes.js';
import { parsePublicKey } from '../net/trust.js';
import type { KeyPair } from '../crypto/types.js';
import type { CookiePolicy } from '../datagram/cookie.js';
import type { NoiseSocketOptions } from '../net/options.js';
import { action } from './output.js';
import { keyFromFile, port, wholeNumber } from './args.js';
import { NoiseError } from '../errors.js';
import { parseProtocolName } from '../protocol-name.js';
import { resolvePattern } from '../engine/handshake-state.js';
import { lineToStdout, watchStdout } from './stdio.js';

interface CommonFlags {
  host: string;
  port: number;
  key?: string;
  protocol?: string;
  pipes?: boolean;
  rekeyInterval?: number;
  handshakeTimeout: number;
}

function common(flags: CommonFlags, staticKeyPair: KeyPair): UdpOptions {
  return {
    protocol: flags.protocol,
    pipes: flags.pipes,
    staticKeyPair,
    handshakeTimeout: flags.handshakeTimeout,
    datagram: flags.rekeyInterval !== undefined ? { rekeyInterval: BigInt(flags.rekeyInterval) } : undefined,
  };
}

function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--host <host>', 'address', '127.0.0.1')
    .requiredOption('--port <port>', 'UDP port (0: any free port, for udp-serve)', port)
    .option('--key <file>', 'this side\'s private key file (noisekit keygen --out FILE; default: a fresh key)')
    .option('--protocol <name>', `Noise protocol name (default ${DEFAULT_UDP_PROTOCOL})`)
    .option('--pipes', 'Noise Pipes: IK with a cached server key, XX otherwise, XXfallback when the cache is stale')
    .option('--rekey-interval <n>', 'rekey every N nonces (both sides must agree)', wholeNumber(1))
    .option('--handshake-timeout <ms>', 'handshake time limit', wholeNumber(0, 2 ** 31 - 1), 10000);
}

/** `noisekit udp-serve`. */
export function udpServeCommand(): Command {
  return withCommonOptions(new Command('udp-serve').description('serve Noise over UDP (datagram mode: explicit nonces, replay window)'))
    .option('--echo', 'send every datagram back')
    .addOption(new Option('--cookies <when>', 'when a message 1 must come back with a cookie before any handshake work (return routability)').choices(['always', 'under-load', 'never']).default('under-load'))
    .action(action(async (flags: CommonFlags & { echo?: boolean; cookies: CookiePolicy }) => {
      const key = keyFromFile(flags.key);
      const server = createUdpServer({ ...common(flags, key), cookies: flags.cookies }, (s) => {
        const from = `${s.remoteAddress.address}:${s.remoteAddress.port}`;
        console.log(`session ${from}${s.mode ? ` ${s.mode}` : ''} remote-key ${s.remoteStaticKey ? toHex(s.remoteStaticKey) : '-'}`);
        s.on('message', (m: Uint8Array) => {
          console.log(`datagram ${from} ${Buffer.from(m).toString()}`);
          if (flags.echo) s.send(m);
        });
      });
      const a = await server.listen(flags.port, flags.host);
      console.log(`listening udp ${a.address}:${a.port} key ${toHex(key.publicKey)}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
    }));
}

/** `noisekit udp-connect`. */
export function udpConnectCommand(): Command {
  return withCommonOptions(new Command('udp-connect').description('connect to a Noise UDP server and exchange datagrams'))
    .option('--server-key <key>', 'the server\'s static public key, hex or base64 (for IK, NK, ...)')
    .option('--key-cache <file>', 'with --pipes: JSON file of cached server keys')
    .option('--message <text>', 'datagram to send (default: one per stdin line)')
    .option('--count <n>', 'how many times to send --message', wholeNumber(0), 1)
    .option('--wait <ms>', 'how long to wait for replies after the last send', wholeNumber(0, 2 ** 31 - 1), 500)
    .action(action(async (flags: CommonFlags & { serverKey?: string; keyCache?: string; message?: string; count: number; wait: number }) => {
      if (!flags.pipes && flags.serverKey === undefined) {
        const pattern = resolvePattern(parseProtocolName(flags.protocol ?? DEFAULT_UDP_PROTOCOL));
        if (pattern.preMessages.some((m) => m.direction === '<-' && m.tokens.includes('s'))) {
          throw new NoiseError('ERR_NOISE_CONFIG', `${pattern.name} needs the server's static public key: --server-key KEY`);
        }
      }
      const session = await udpConnect({
        ...common(flags, keyFromFile(flags.key)),
        host: flags.host,
        port: flags.port,
        remoteStaticKey: flags.serverKey ? parsePublicKey(flags.serverKey) : undefined,
        keyCache: flags.keyCache ? new FileKeyCache(flags.keyCache) : undefined,
      });
      console.log(`connected${session.mode ? ` ${session.mode}` : ''} server-key ${session.remoteStaticKey ? toHex(session.remoteStaticKey) : '-'}`);
      let received = 0;
      let sent = 0;
      session.on('message', (m: Uint8Array) => {
        received++;
        console.log(`datagram ${Buffer.from(m).toString()}`);
      });
      const enc = new TextEncoder();
      if (flags.message !== undefined) {
        for (let i = 0; i < flags.count; i++, sent++) session.send(enc.encode(flags.message));
      } else {
        for await (const line of createInterface({ input: process.stdin })) {
          if (line.length === 0) continue;
          session.send(enc.encode(line));
          sent++;
        }
      }
      await new Promise((r) => setTimeout(r, flags.wait));
      console.log(`sent ${sent}, received ${received}`);
      session.close();
    }));
}

/** Both UDP commands, for registration in main.ts. */
export function udpCommands(): Command[] {
  return [udpServeCommand(), udpConnectCommand()];
}

/** Options resolved by the `serve`/`connect` deployment flags (protocol, keys, trust). */
type Resolved = NoiseSocketOptions;

/**
 * `noisekit serve --udp [--pipes] --echo`: the deployment's options over UDP. Logs
 * `listening udp HOST:PORT protocol NAME key HEX`, then `session ADDR [MODE] remote-key HEX` or
 * `connection-error ADDR ERR_CODE: message` for a client that verifyRemote refused.
 */
export async function serveUdp(options: Resolved, host: string, port: number, flags: { echo?: boolean; exec?: string; pipes?: boolean }, log: (line: string) => void): Promise<void> {
  if (flags.exec) throw new NoiseError('ERR_NOISE_CONFIG', '--udp serves datagrams: use --echo (--exec needs a byte stream)');
  const server = createUdpServer({ ...options, pipes: pipesSuite(options, flags.pipes) }, (s) => {
    const from = `${s.remoteAddress.address}:${s.remoteAddress.port}`;
    log(`session ${from}${s.mode ? ` ${s.mode}` : ''} remote-key ${s.remoteStaticKey ? toHex(s.remoteStaticKey) : '-'}`);
    s.on('message', (m: Uint8Array) => s.send(m));
  });
  // As TCP's connection-error line: a refused client (--authorized-keys), or a broken trust file.
  server.on('refused', (err: NoiseError, from: { address: string; port: number }) => log(`connection-error ${from.address}:${from.port} ${err.code}: ${err.message}`));
  const a = await server.listen(port, host);
  log(`listening udp ${a.address}:${a.port} protocol ${flags.pipes ? 'pipes' : options.protocol} key ${options.staticKeyPair ? toHex(options.staticKeyPair.publicKey) : '-'}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}

/**
 * `noisekit connect --udp [--pipes --key-cache FILE] HOST:PORT`: each stdin line is one
 * datagram; each datagram received is one stdout line. Ends 500 ms after stdin ends.
 */
export async function connectUdp(options: Resolved, host: string, port: number, flags: { pipes?: boolean; keyCache?: string; verbose?: boolean }): Promise<void> {
  const session = await udpConnect({
    ...options,
    host,
    port,
    pipes: pipesSuite(options, flags.pipes),
    keyCache: flags.keyCache ? new FileKeyCache(flags.keyCache) : undefined,
  });
  if (flags.verbose) process.stderr.write(`noisekit: connected udp ${host}:${port}${session.mode ? ` ${session.mode}` : ''} remote-key ${session.remoteStaticKey ? toHex(session.remoteStaticKey) : '-'}\n`);
  // Datagrams cannot be slowed down: one that finds stdout full (or its reader gone) is dropped,
  // as the network may drop it, and counted.
  let dropped = 0;
  const enc = new TextEncoder();
  const lines = createInterface({ input: process.stdin });
  // A reader that went away (EPIPE: exit 141) or a failing stdout ends the session, as in connect.
  const stdout = watchStdout(() => {
    lines.close();
    process.stdin.destroy();
  });
  session.on('message', (m: Uint8Array) => {
    if (!lineToStdout(Buffer.concat([Buffer.from(m), Buffer.from('\n')]), stdout)) dropped++;
  });
  try {
    for await (const line of lines) if (line.length > 0) session.send(enc.encode(line));
    if (!stdout.closed && !stdout.failure) await new Promise((r) => setTimeout(r, 500));
  } finally {
    lines.close();
    process.stdin.destroy();
    session.close();
  }
  if (stdout.failure) throw stdout.failure;
  if (dropped > 0 && !stdout.closed) process.stderr.write(`noisekit: warning: ${dropped} datagram(s) dropped: standard output was not keeping up\n`);
}

/** With --pipes: the suite of --protocol (e.g. 25519_ChaChaPoly_BLAKE2s); the pattern is chosen by Noise Pipes. */
export function pipesSuite(options: Resolved, pipes: boolean | undefined): { suite: string } | undefined {
  if (!pipes) return undefined;
  const n = parseProtocolName(options.protocol);
  return { suite: `${n.dh}_${n.cipher}_${n.hash}` };
}
