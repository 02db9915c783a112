/**
 * Example: XX with mutual authentication and an authorized-keys file (run:
 * `node --import tsx examples/xx-authorized-keys.ts`).
 *
 * Both sides send their static keys encrypted during the handshake (spec 7.5 "X"). The server
 * accepts only clients listed in an authorized-keys file (one public key per line, hex or
 * base64); the client checks the server's key against the one it expects. Two clients try:
 * alice (listed) gets her echo; mallory (not listed) is refused and the server logs
 * ERR_NOISE_REMOTE_REJECTED, then goes on serving. Exits 0 only if both outcomes are as expected.
 */
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect, generateKeyPair, authorizedKeys, NoiseError, type KeyPair } from '../src/index.js';

const protocol = 'Noise_XX_25519_ChaChaPoly_BLAKE2s';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'noisekit-xx-'));
const serverKeys = generateKeyPair();
const alice = generateKeyPair();
const mallory = generateKeyPair();
writeFileSync(join(dir, 'authorized_keys'), `# who may connect\n${hex(alice.publicKey)} alice\n`);

const rejected: string[] = [];
const server = createServer(
  { protocol, staticKeyPair: serverKeys, verifyRemote: authorizedKeys(join(dir, 'authorized_keys')) },
  (socket) => socket.pipe(socket),
);
server.on('connectionError', (err: NoiseError) => rejected.push(err.code));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

function exchange(keys: KeyPair, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = connect({
      protocol, host: '127.0.0.1', port, staticKeyPair: keys,
      verifyRemote: (key) => key !== undefined && hex(key) === hex(serverKeys.publicKey), // the server we expect
    });
    const chunks: Buffer[] = [];
    client.end(text);
    client.on('data', (d: Buffer) => chunks.push(d));
    client.on('end', () => resolve(Buffer.concat(chunks).toString()));
    client.on('error', reject);
  });
}

let ok = true;
try {
  const echoed = await exchange(alice, 'hello from alice');
  console.log(`alice (authorized): echoed "${echoed}"`);
  ok &&= echoed === 'hello from alice';
  try {
    await exchange(mallory, 'hello from mallory');
    console.log('mallory (not authorized): got an echo (WRONG)');
    ok = false;
  } catch (err) {
    console.log(`mallory (not authorized): refused, client sees ${err instanceof NoiseError ? err.code : String(err)}`);
  }
  await new Promise((r) => setTimeout(r, 50)); // let the server report the refused connection
  console.log(`server refused: ${rejected.join(', ') || 'nothing'}`);
  ok &&= rejected.includes('ERR_NOISE_REMOTE_REJECTED');
  const again = await exchange(alice, 'still serving');
  console.log(`alice again after the refusal: echoed "${again}"`);
  ok &&= again === 'still serving';
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`proved: only authorized keys get through, and a refused client does not stop the server: ${ok}`);
if (!ok) process.exitCode = 1;
