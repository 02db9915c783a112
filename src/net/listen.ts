/**
 * `listen()` of noisekit's TCP servers, with the argument forms of net.Server#listen that they
 * document: (port), (port, host), (port, cb) and (port, host, cb).
 */
import type * as net from 'node:net';

/** Starts `server` listening; `cb` may come second, in place of the host. */
export function listenNet(server: net.Server, port: number, host?: string | (() => void), cb?: () => void): void {
  if (typeof host === 'function') server.listen(port, host);
  else if (host === undefined) server.listen(port, cb);
  else server.listen(port, host, cb);
}
