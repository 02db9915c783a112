/**
 * Starting a TCP listener for a CLI command: a listen error (EADDRINUSE, EACCES, a bad address)
 * becomes one typed line (`ERR_NOISE_SOCKET: cannot listen on HOST:PORT: CODE`), never an
 * unhandled 'error' event.
 */
import type { EventEmitter } from 'node:events';
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
