/**
 * connect(): the initiator side of a Noise channel over TCP (or over any Duplex you pass), like
 * tls.connect(). Framing and termination follow spec section 13; see noise-socket.ts.
 */
import net from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';
import { NoiseError } from '../errors.js';
import { NoiseSocket } from './noise-socket.js';
import type { NoiseSocketOptions } from './options.js';
import { relayStream, type RelayConnectOptions } from './relay-client.js';

/**
 * Where to connect: a TCP host and port, an already-open stream, or a service behind an
 * untrusted relay (`via`: the relay's `host:port`; the Noise handshake runs end to end).
 */
export type ConnectTarget =
  | { host?: string; port: number }
  | { socket: Duplex }
  | { via: RelayConnectOptions['relay']; service: string; relayTimeout?: number };

/** Options of connect(). */
export type ConnectOptions = NoiseSocketOptions & ConnectTarget & {
  /** Like net.Socket: when false (default) the writable side ends once the peer has ended. */
  allowHalfOpen?: boolean;
};

/**
 * Opens a connection and runs the initiator side of the handshake. The returned socket emits
 * 'secureConnect' (and 'secure') once the handshake finished and `verifyRemote` accepted the
 * peer; `onSecureConnect` is called then. Writes made before that are held and sent afterwards.
 * Invalid options throw a NoiseError before any connection is opened.
 */
export function connect(options: ConnectOptions, onSecureConnect?: (s: NoiseSocket) => void): NoiseSocket {
  if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
  let raw: Duplex;
  if ('socket' in options && options.socket !== undefined) {
    raw = options.socket;
  } else if ('via' in options && options.via !== undefined) {
    // The relay stream sends its request as soon as it exists: check the Noise options first.
    new NoiseSocket(new PassThrough(), { ...socketOptions(options), initiator: true }).destroy();
    raw = relayStream({ relay: options.via, service: options.service, timeout: options.relayTimeout });
    try {
      return wrap(raw, options, onSecureConnect);
    } catch (err) {
      raw.destroy();
      throw err;
    }
  } else {
    const port = (options as { port?: unknown }).port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'port must be an integer in [0, 65535]');
    }
    const host = (options as { host?: unknown }).host ?? 'localhost';
    if (typeof host !== 'string' || host.length === 0) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'host must be a non-empty string');
    // Half-open at the TCP level: the end of stream is in-band, so our NoiseSocket decides when to close.
    const sock = net.connect({ host, port, allowHalfOpen: true });
    sock.setNoDelay(true); // whole frames are written at once; do not wait for ACKs (Nagle)
    try {
      return wrap(sock, options, onSecureConnect);
    } catch (err) {
      sock.destroy(); // bad options: nothing was sent yet
      throw err;
    }
  }
  return wrap(raw, options, onSecureConnect);
}

/** The NoiseSocket options of connect()'s options (without the transport's own). */
function socketOptions(options: ConnectOptions): NoiseSocketOptions {
  const { socket: _s, host: _h, port: _p, via: _v, service: _n, relayTimeout: _t, ...rest } = options as ConnectOptions & {
    socket?: unknown; host?: unknown; port?: unknown; via?: unknown; service?: unknown; relayTimeout?: unknown;
  };
  return rest as NoiseSocketOptions;
}

function wrap(raw: Duplex, options: ConnectOptions, onSecureConnect?: (s: NoiseSocket) => void): NoiseSocket {
  const s = new NoiseSocket(raw, { ...socketOptions(options), initiator: true });
  s.once('secure', () => s.emit('secureConnect'));
  if (onSecureConnect) s.once('secureConnect', () => onSecureConnect(s));
  return s;
}
