/**
 * Integrity and backpressure: 256 MiB through a Noise echo server over loopback TCP arrive
 * byte-exact in both directions (SHA-256 of what was sent vs what came back), while the bytes
 * buffered in every stream stay bounded. Uses the node crypto backend.
 */
import { expect } from 'chai';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { generateKeyPair } from '../src/index.js';
import { connect } from '../src/net/connect.js';
import type { NoiseSocket } from '../src/net/noise-socket.js';
import type { NoiseServer } from '../src/net/server.js';
import { echo, HOST, startServer, stopServer, within } from './support/net-helpers.js';

const TOTAL = 256 * 1024 * 1024;
const CHUNK = 1024 * 1024;

describe('net integrity: 256 MiB through an echo server', function () {
  let server: NoiseServer | undefined;
  after(() => stopServer(server));

  it('arrives byte-exact both ways with bounded buffering (node backend)', async function () {
    const protocol = 'Noise_XX_25519_ChaChaPoly_BLAKE2s';
    let serverSide: NoiseSocket | undefined;
    const started = await startServer({ protocol, staticKeyPair: generateKeyPair(), backend: 'node' }, (s) => {
      serverSide = s;
      echo(s);
    });
    server = started.server;
    const c = connect({ protocol, host: HOST, port: started.port, staticKeyPair: generateKeyPair(), backend: 'node' });
    let clientError: Error | undefined;
    c.on('error', (e) => (clientError = e));

    // Largest number of bytes held in any stream buffer on either side, sampled as we go.
    let maxBuffered = 0;
    const buffered = (s: NoiseSocket | undefined) =>
      s ? s.writableLength + s.readableLength + s.rawSocket.writableLength + s.rawSocket.readableLength : 0;
    const baseline = process.memoryUsage().arrayBuffers;
    let maxArrayBuffers = 0;
    const sampler = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, buffered(c), buffered(serverSide));
      maxArrayBuffers = Math.max(maxArrayBuffers, process.memoryUsage().arrayBuffers - baseline);
    }, 20);

    const sent = createHash('sha256');
    const received = createHash('sha256');
    let receivedBytes = 0;
    c.on('data', (d: Buffer) => {
      received.update(d);
      receivedBytes += d.length;
    });
    const ended = new Promise<void>((resolve) => c.on('end', () => resolve()));
    const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));

    const t0 = process.hrtime.bigint();
    // A fast pseudo-random source: AES-CTR keystream of zeros.
    const stream = createCipheriv('aes-256-ctr', randomBytes(32), randomBytes(16));
    const zeros = Buffer.alloc(CHUNK);
    try {
      await within(
        (async () => {
          for (let off = 0; off < TOTAL; off += CHUNK) {
            const chunk = stream.update(zeros);
            sent.update(chunk);
            if (!c.write(chunk)) await new Promise((r) => c.once('drain', r));
            if (clientError) throw clientError;
          }
          c.end();
          await ended;
          await closed;
        })(),
        80_000,
        '256 MiB echo',
      );
    } finally {
      clearInterval(sampler);
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    expect(clientError).to.equal(undefined);
    expect(receivedBytes).to.equal(TOTAL);
    expect(received.digest('hex')).to.equal(sent.digest('hex'));
    // Backpressure: every stream buffer stays within a few frames / chunks, not the 256 MiB sent.
    expect(maxBuffered, 'bytes buffered in one side').to.be.below(8 * 1024 * 1024);
    // Coarse whole-process check (includes garbage not yet collected): far below the 512 MiB that
    // would be held if neither direction applied backpressure.
    expect(maxArrayBuffers, 'array buffer growth').to.be.below(200 * 1024 * 1024);
    const mibps = TOTAL / (1024 * 1024) / seconds;
    console.log(`      256 MiB echoed in ${seconds.toFixed(2)} s: ${mibps.toFixed(0)} MiB/s each way (client->server and back at once); max buffered ${(maxBuffered / 1024).toFixed(0)} KiB, array buffer growth ${(maxArrayBuffers / 1048576).toFixed(0)} MiB`);
  });
});
