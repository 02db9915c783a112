/**
 * Loopback helpers for the network tests: start a NoiseServer on 127.0.0.1, run a client round
 * trip, wait for events with a bound on time. Everything closes itself.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type NoiseServer, type NoiseServerOptions } from '../../src/net/server.js';
import { connect, type ConnectOptions } from '../../src/net/connect.js';
import type { NoiseSocket } from '../../src/net/noise-socket.js';
import type { NoiseSocketOptions } from '../../src/net/options.js';

export const HOST = '127.0.0.1';

/** Starts a server on an ephemeral loopback port. */
export async function startServer(options: NoiseServerOptions, onSecure?: (s: NoiseSocket) => void): Promise<{ server: NoiseServer; port: number }> {
  const server = createServer(options, onSecure);
  server.listen(0, HOST);
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

/** Closes a server and every connection it still has. */
export async function stopServer(server: NoiseServer | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Rejects after `ms` with a message, unless `p` settles first. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Outcome of a client round trip: what came back, how the socket ended, and the socket. */
export interface RoundTrip {
  data: Buffer;
  ended: boolean;
  error?: Error & { code?: string };
  socket: NoiseSocket;
}

/** Connects, writes `data`, ends, and collects everything until the socket closes. */
export function roundTrip(options: NoiseSocketOptions & { port: number }, data: Uint8Array, timeoutMs = 10_000): Promise<RoundTrip> {
  const socket = connect({ host: HOST, ...options } as ConnectOptions);
  const chunks: Buffer[] = [];
  let ended = false;
  let error: (Error & { code?: string }) | undefined;
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('end', () => {
    ended = true;
  });
  socket.on('error', (e) => {
    error = e;
  });
  socket.end(data);
  return within(
    // (events.once would reject on 'error'; we want to see how the socket ended instead)
    new Promise<void>((resolve) => socket.on('close', () => resolve())).then(() => ({ data: Buffer.concat(chunks), ended, error, socket })),
    timeoutMs,
    'client round trip',
  ).catch((e) => {
    socket.destroy();
    throw e;
  });
}

/** A server handler that echoes everything back and ends when the peer ends. */
export function echo(s: NoiseSocket): void {
  s.on('error', () => {});
  s.pipe(s);
}
