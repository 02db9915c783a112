/**
 * Starting a TCP listener for a CLI command: a listen error (EADDRINUSE, EACCES, a bad address)
 * becomes one typed line (`ERR_NOISE_SOCKET: cannot listen on HOST:PORT: CODE`), never an
 * unhandled 'error' event.
 */
import type { EventEmitter } from 'node:events';
import type { Server } from 'node:net';
import { NoiseError } from '../errors.js';

/** A server that listens like net.Server and reports listen errors as 'error'. */
export interface Listener extends EventEmitter {
  listen(port: number, host: string, cb: () => void): unknown;
}

/** Listens on host:port; rejects with ERR_NOISE_SOCKET naming `where` (as the user wrote it). */
export async function listenOn(server: Listener, port: number, host: string, where: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    throw new NoiseError('ERR_NOISE_SOCKET', `cannot listen on ${where}: ${err.code ?? err.message}`, { cause: err });
  });
}

/**
 * Caps the connections a TCP server holds at once (0: no cap). Beyond it, net.Server closes each
 * new connection at once, and the log says so (`connection-refused ADDR: ...`).
 */
export function limitConnections(server: Server, max: number, log: (line: string) => void): void {
  if (max <= 0) return;
  server.maxConnections = max;
  server.on('drop', (info?: { remoteAddress?: string; remotePort?: number }) => {
    log(`connection-refused ${info?.remoteAddress ?? '?'}:${info?.remotePort ?? '?'}: ${max} connections already open (--max-connections)`);
  });
}
