/**
 * Example: an NN echo over TCP on localhost (run: `npm run demo`, or
 * `node --import tsx examples/nn-echo.ts`).
 *
 * Starts a Noise server on an ephemeral loopback port, connects to it, runs a real
 * Noise_NN_25519_ChaChaPoly_BLAKE2s handshake, sends one message and reads the echo, then exits.
 * It proves: both sides derived the same handshake hash (spec 11.2), and the text made the round
 * trip through encrypted transport messages ended by the authenticated end of stream (spec 13).
 * NN has no static keys: it stops eavesdroppers but authenticates nobody (spec 7.5).
 */
import type { AddressInfo } from 'node:net';
import { createServer, connect } from '../src/index.js';

const protocol = 'Noise_NN_25519_ChaChaPoly_BLAKE2s';
const message = 'hello, Noise';
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');

let serverHash = '';
const server = createServer({ protocol }, (socket) => {
  serverHash = hex(socket.handshakeHash);
  socket.pipe(socket); // echo, then end when the client ends
});
server.on('connectionError', (err: Error & { code?: string }) => {
  console.error(`server: connection failed: ${err.code}: ${err.message}`);
  process.exitCode = 1;
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`server: listening on 127.0.0.1:${port} (${protocol})`);
  const client = connect({ protocol, host: '127.0.0.1', port }, () => {
    console.log(`client: handshake done, hash ${hex(client.handshakeHash)}`);
    client.end(message);
  });
  const chunks: Buffer[] = [];
  client.on('data', (d: Buffer) => chunks.push(d));
  client.on('error', (err: Error & { code?: string }) => {
    console.error(`client: ${err.code}: ${err.message}`);
    process.exitCode = 1;
    server.close();
  });
  client.on('end', () => {
    const echoed = Buffer.concat(chunks).toString();
    console.log(`client: echoed "${echoed}"`);
    const sameHash = serverHash === hex(client.handshakeHash);
    console.log(`proved: same handshake hash on both sides: ${sameHash}; echo equals the message: ${echoed === message}`);
    if (!sameHash || echoed !== message) process.exitCode = 1;
    server.close();
  });
});
