/**
 * Example: IK with the server's key pinned by the client (run:
 * `node --import tsx examples/ik-pinned.ts`).
 *
 * The client knows the server's static public key in advance (a pre-message, spec 7.5 "K"), so
 * its first message is already encrypted to that key and carries the client's own key (spec
 * 7.7: zero-RTT encryption). The example runs the handshake twice:
 *  1. with the right server key: the handshake succeeds and the server sees the client's key;
 *  2. against an impostor server (another key) while pinning the real key: the impostor cannot
 *     decrypt the first message, so no session is established on either side and the client
 *     gets a typed error (ERR_NOISE_TRUNCATED: closed during the handshake).
 * Exits 0 only if both outcomes are as expected.
 */
import type { AddressInfo } from 'node:net';
import { createServer, connect, generateKeyPair, NoiseError, type NoiseServer } from '../src/index.js';

const protocol = 'Noise_IK_25519_ChaChaPoly_BLAKE2s';
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');
const serverKeys = generateKeyPair(); // in a deployment: noisekit keygen --out server.key
const impostorKeys = generateKeyPair();
const clientKeys = generateKeyPair();

function start(keys: ReturnType<typeof generateKeyPair>): Promise<{ server: NoiseServer; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer({ protocol, staticKeyPair: keys }, (socket) => {
    seen.push(hex(socket.remoteStaticKey));
    socket.pipe(socket);
  });
  server.on('connectionError', () => undefined); // the impostor's failed handshakes
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, seen, port: (server.address() as AddressInfo).port })));
}

function exchange(port: number, pinned: Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = connect({ protocol, host: '127.0.0.1', port, staticKeyPair: clientKeys, remoteStaticKey: pinned });
    const chunks: Buffer[] = [];
    client.end('hello over IK'); // held until the handshake succeeded
    client.on('data', (d: Buffer) => chunks.push(d));
    client.on('end', () => resolve(Buffer.concat(chunks).toString()));
    client.on('error', reject);
  });
}

const real = await start(serverKeys);
const impostor = await start(impostorKeys);
let ok = true;
try {
  const echoed = await exchange(real.port, serverKeys.publicKey);
  const knewClient = real.seen[0] === hex(clientKeys.publicKey);
  console.log(`pinned key, real server: echoed "${echoed}"; server saw the client's key: ${knewClient}`);
  ok &&= echoed === 'hello over IK' && knewClient;
  try {
    await exchange(impostor.port, serverKeys.publicKey); // the impostor does not hold the pinned key
    console.log('pinned key, impostor server: connected (WRONG)');
    ok = false;
  } catch (err) {
    const code = err instanceof NoiseError ? err.code : String(err);
    console.log(`pinned key, impostor server: refused with ${code}`);
    ok &&= err instanceof NoiseError && impostor.seen.length === 0;
  }
} finally {
  real.server.close();
  impostor.server.close();
}
console.log(`proved: the client talks only to the holder of the pinned key: ${ok}`);
if (!ok) process.exitCode = 1;
