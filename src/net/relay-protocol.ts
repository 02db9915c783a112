/**
 * The rendezvous protocol of the noisekit relay (docs/relay.md): a few plaintext bytes at the
 * start of each TCP connection to the relay, then the relay splices two connections and only
 * forwards Noise frames (spec section 13 framing) between them.
 *
 *   request (peer -> relay, once, first bytes of the connection):
 *     op (1 byte) || nameLength (1 byte, 1..64) || name (nameLength bytes, [A-Za-z0-9._-])
 *     op 0x01 LISTEN : a service offers this connection for `name` and waits
 *     op 0x02 CONNECT: a client asks for a connection to the service `name`
 *   reply (relay -> peer, once, 1 byte):
 *     0x00 SPLICED          from now on the connection carries the other peer's frames
 *     0x01 UNKNOWN_SERVICE  CONNECT: no connection of that name became free in time
 *     0x02 BAD_REQUEST      malformed request
 *     0x03 BUSY             LISTEN: too many waiting connections for the name / relay full
 *
 * Nothing in it is secret or authenticated: the relay is untrusted. The Noise handshake runs end
 * to end between client and service over the spliced connection, so the relay sees ciphertext
 * only, and any change it makes to the frames is detected by the peers (ERR_NOISE_DECRYPT, or
 * ERR_NOISE_TRUNCATED for a cut stream). Names are not owned: a squatter can only deny service,
 * never impersonate, as long as the client pins the service's static key (e.g. with NK/IK or
 * verifyRemote).
 */
import { NoiseError } from '../errors.js';
import { checkBytes } from '../bytes.js';

/** Request opcodes. */
export const RELAY_OP = { LISTEN: 0x01, CONNECT: 0x02 } as const;
/** Reply status bytes. */
export const RELAY_STATUS = { SPLICED: 0x00, UNKNOWN_SERVICE: 0x01, BAD_REQUEST: 0x02, BUSY: 0x03 } as const;
/** Longest service name in bytes. */
export const RELAY_MAX_NAME_LENGTH = 64;

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** A parsed relay request. */
export interface RelayRequest {
  op: 'listen' | 'connect';
  name: string;
}

/** Throws ERR_NOISE_INVALID_ARGUMENT unless `name` is a valid service name. */
export function checkServiceName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `a relay service name is 1-${RELAY_MAX_NAME_LENGTH} characters of A-Z a-z 0-9 . _ -`);
  }
  return name;
}

/** The request bytes for `op` and `name`. */
export function encodeRelayRequest(op: RelayRequest['op'], name: string): Uint8Array {
  if (op !== 'listen' && op !== 'connect') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'relay request op must be "listen" or "connect"');
  checkServiceName(name);
  const n = new TextEncoder().encode(name);
  const out = new Uint8Array(2 + n.length);
  out[0] = op === 'listen' ? RELAY_OP.LISTEN : RELAY_OP.CONNECT;
  out[1] = n.length;
  out.set(n, 2);
  return out;
}

/**
 * Parses a request from the first bytes of a connection. Returns undefined while incomplete,
 * `{ request, rest }` when complete (rest: bytes that followed it), and throws
 * ERR_NOISE_RELAY for a malformed request.
 */
export function decodeRelayRequest(buf: Uint8Array): { request: RelayRequest; rest: Uint8Array } | undefined {
  checkBytes('relay request', buf);
  if (buf.length >= 1 && buf[0] !== RELAY_OP.LISTEN && buf[0] !== RELAY_OP.CONNECT) {
    throw new NoiseError('ERR_NOISE_RELAY', `unknown relay opcode 0x${buf[0]!.toString(16).padStart(2, '0')}`);
  }
  if (buf.length < 2) return undefined;
  const len = buf[1]!;
  if (len < 1 || len > RELAY_MAX_NAME_LENGTH) throw new NoiseError('ERR_NOISE_RELAY', `relay service name length ${len} is outside 1..${RELAY_MAX_NAME_LENGTH}`);
  if (buf.length < 2 + len) return undefined;
  const name = Buffer.from(buf.subarray(2, 2 + len)).toString('latin1');
  if (!NAME.test(name)) throw new NoiseError('ERR_NOISE_RELAY', 'relay service name has characters outside A-Z a-z 0-9 . _ -');
  return { request: { op: buf[0] === RELAY_OP.LISTEN ? 'listen' : 'connect', name }, rest: buf.subarray(2 + len) };
}

/** A human-readable meaning of a reply byte. */
export function describeRelayStatus(status: number): string {
  switch (status) {
    case RELAY_STATUS.SPLICED: return 'spliced';
    case RELAY_STATUS.UNKNOWN_SERVICE: return 'no service of that name is registered at the relay';
    case RELAY_STATUS.BAD_REQUEST: return 'the relay refused a malformed request';
    case RELAY_STATUS.BUSY: return 'the relay is busy (too many waiting connections)';
    default: return `unknown relay status 0x${status.toString(16).padStart(2, '0')}`;
  }
}

/** `host:port`, an IPv6 address in brackets (`[::1]:4000`): what {@link parseHostPort} reads. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parses `host:port` (or `[v6]:port`) into its parts; ERR_NOISE_INVALID_ARGUMENT otherwise. */
export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(typeof s === 'string' ? s : '');
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `expected HOST:PORT, got ${JSON.stringify(s)}`);
  return { host: (m[1] ?? m[2])!, port };
}
