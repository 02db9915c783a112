/**
 * NoiseSocket over streams that are not TCP (any Duplex), NoiseSocket.fromTransport for
 * compound protocols, server.handle(), protocol violations after the end of stream, and
 * read-side backpressure with a consumer that stops reading.
 */
import { expect } from 'chai';
import { Duplex } from 'node:stream';
import { once } from 'node:events';
import { randomBytes, createHash } from 'node:crypto';
import { generateKeyPair, HandshakeState, NoiseError } from '../src/index.js';
import { NoiseSocket } from '../src/net/noise-socket.js';
import { createServer } from '../src/net/server.js';
import { connect } from '../src/net/connect.js';
import { encodeFrame } from '../src/net/framing.js';
import { HOST, startServer, stopServer, within } from './support/net-helpers.js';

/** Two in-memory Duplex ends: what one writes, the other reads (with backpressure). */
function duplexPair(): [Duplex, Duplex] {
  let a!: Duplex;
  let b!: Duplex;
  const waiting = new Map<Duplex, () => void>();
  const make = (peer: () => Duplex) =>
    new Duplex({
      write(chunk, _enc, cb) {
        if (peer().push(chunk)) cb();
        else waiting.set(peer(), cb);
      },
      final(cb) {
        peer().push(null);
        cb();
      },
      read() {
        const cb = waiting.get(this);
        waiting.delete(this);
        cb?.();
      },
    });
  a = make(() => b);
  b = make(() => a);
  return [a, b];
}

const protocol = 'Noise_XX_25519_ChaChaPoly_BLAKE2s';

describe('net streams: any Duplex, fromTransport, handle(), violations, backpressure', function () {
  it('runs a handshake and an exchange over an in-memory duplex pair', async () => {
    const [a, b] = duplexPair();
    const server = createServer({ protocol, staticKeyPair: generateKeyPair() });
    const secured = once(server, 'secureConnection');
    const s = server.handle(b);
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end());
    const c = connect({ protocol, socket: a, staticKeyPair: generateKeyPair() });
    await once(c, 'secureConnect');
    await secured;
    const data = randomBytes(300_000);
    const got: Buffer[] = [];
    c.on('data', (d: Buffer) => got.push(d));
    c.end(data);
    await within(once(c, 'end'), 5000, 'end');
    expect(Buffer.concat(got).equals(data)).to.equal(true);
    expect(Buffer.from(c.handshakeHash!).equals(Buffer.from(s.handshakeHash!))).to.equal(true);
  });

  it('handshakePayload as a function chooses each message payload; verifyRemote sees them all', async () => {
    const [a, b] = duplexPair();
    const enc = (t: string) => new TextEncoder().encode(t);
    const dec = (xs: Uint8Array[]) => xs.map((x) => new TextDecoder().decode(x));
    const seen: string[][] = [];
    const server = createServer({
      protocol,
      staticKeyPair: generateKeyPair(),
      handshakePayload: (i) => enc(`server message ${i}`),
      verifyRemote: (_key, payloads) => {
        seen.push(dec(payloads));
        return true;
      },
    });
    const s = server.handle(b);
    const c = connect({ protocol, socket: a, staticKeyPair: generateKeyPair(), handshakePayload: (i) => (i === 0 ? undefined : enc(`client message ${i}`)) });
    await Promise.all([once(c, 'secureConnect'), once(s, 'secure')]);
    expect(seen).to.deep.equal([['', 'client message 2']]);
    expect(dec(s.remoteHandshakePayloads)).to.deep.equal(['', 'client message 2']);
    expect(dec(c.remoteHandshakePayloads)).to.deep.equal(['server message 1']);
    c.destroy();
    s.destroy();
  });

  it('fromTransport wraps a handshake run by hand, including bytes already read after it', async () => {
    const [a, b] = duplexPair();
    const kr = generateKeyPair();
    const i = new HandshakeState({ protocol: 'Noise_NK_25519_ChaChaPoly_BLAKE2s', initiator: true, remoteStaticKey: kr.publicKey });
    const r = new HandshakeState({ protocol: 'Noise_NK_25519_ChaChaPoly_BLAKE2s', initiator: false, staticKeyPair: kr });
    r.readMessage(i.writeMessage());
    i.readMessage(r.writeMessage(Uint8Array.of(9)));
    const ti = i.split();
    const tr = r.split();
    // The responder "already read" two transport messages from the wire before wrapping.
    const early = Buffer.concat([encodeFrame(ti.encrypt(Buffer.from('early '))), encodeFrame(ti.encrypt(Buffer.from('bytes ')))]);
    const client = NoiseSocket.fromTransport(a, ti, { protocol: 'Noise_NK_25519_ChaChaPoly_BLAKE2s', initiator: true, remoteStaticKey: kr.publicKey, handshakeHash: i.handshakeHash, remoteHandshakePayloads: [Uint8Array.of(9)] });
    const server = NoiseSocket.fromTransport(b, tr, { protocol: 'Noise_NK_25519_ChaChaPoly_BLAKE2s', initiator: false, handshakeHash: r.handshakeHash }, {}, early);
    await once(server, 'secure');
    // Closing (below) wipes the keys of the transport states it was given.
    expect(tr.send.hasKey() && tr.receive.hasKey() && ti.send.hasKey() && ti.receive.hasKey()).to.equal(true);
    const got: Buffer[] = [];
    server.on('data', (d: Buffer) => got.push(d));
    client.end('then more');
    await within(once(server, 'end'), 5000, 'end');
    expect(Buffer.concat(got).toString()).to.equal('early bytes then more');
    expect(Array.from(client.remoteHandshakePayloads[0]!)).to.deep.equal([9]);
    expect(Buffer.from(client.handshakeHash!).equals(Buffer.from(server.handshakeHash!))).to.equal(true);
    server.end();
    client.resume(); // like any stream, 'end' (and so close) comes once the reader consumed it
    await within(once(client, 'close'), 5000, 'client close');
    expect(tr.send.hasKey() || tr.receive.hasKey() || ti.send.hasKey() || ti.receive.hasKey(), 'keys wiped').to.equal(false);
  });

  it('data after the authenticated end of stream is ERR_NOISE_PROTOCOL', async () => {
    const [a, b] = duplexPair();
    const i = new HandshakeState({ protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s', initiator: true });
    const r = new HandshakeState({ protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s', initiator: false });
    r.readMessage(i.writeMessage());
    i.readMessage(r.writeMessage());
    const ti = i.split();
    const server = NoiseSocket.fromTransport(b, r.split(), { protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s', initiator: false, handshakeHash: r.handshakeHash }, { allowHalfOpen: true });
    const events: string[] = [];
    server.on('data', (d: Buffer) => events.push(`data:${d}`));
    server.on('end', () => events.push('end'));
    server.on('error', (e: NoiseError) => events.push(`error:${e.code}`));
    a.write(encodeFrame(ti.encrypt(Buffer.from('x'))));
    a.write(encodeFrame(ti.encrypt(new Uint8Array(0))));
    a.write(encodeFrame(ti.encrypt(Buffer.from('smuggled'))));
    await within(new Promise((r) => server.on('close', r)), 5000, 'close');
    expect(events).to.deep.equal(['data:x', 'error:ERR_NOISE_PROTOCOL']);
  });

  it('a partial frame after the authenticated end of stream is ERR_NOISE_PROTOCOL', async () => {
    const [a, b] = duplexPair();
    const i = new HandshakeState({ protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s', initiator: true });
    const r = new HandshakeState({ protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s', initiator: false });
    r.readMessage(i.writeMessage());
    i.readMessage(r.writeMessage());
    const ti = i.split();
    const server = NoiseSocket.fromTransport(b, r.split(), { protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s', initiator: false, handshakeHash: r.handshakeHash }, { allowHalfOpen: true });
    const events: string[] = [];
    server.on('data', (d: Buffer) => events.push(`data:${d}`));
    server.on('error', (e: NoiseError) => events.push(`error:${e.code}`));
    a.write(encodeFrame(ti.encrypt(Buffer.from('x'))));
    a.write(encodeFrame(ti.encrypt(new Uint8Array(0))));
    a.end(Uint8Array.of(0, 40, 1, 2)); // the start of a frame, then the stream closes
    await within(new Promise((res) => server.on('close', res)), 5000, 'close');
    expect(events).to.deep.equal(['data:x', 'error:ERR_NOISE_PROTOCOL']);
  });

  /** A server whose application does not read yet (its socket paused), and a client connected to it. */
  async function clientOfPausedServer() {
    let serverSide: NoiseSocket | undefined;
    const { server, port } = await startServer({ protocol, staticKeyPair: generateKeyPair() }, (s) => {
      serverSide = s;
      s.pause();
    });
    const c = connect({ protocol, host: HOST, port, staticKeyPair: generateKeyPair() });
    await once(c, 'secureConnect');
    return { server, c, serverSide: () => serverSide };
  }

  it('1-byte messages to an application that is not reading are held as a few chunks, not one array per message', async () => {
    const { server, c, serverSide } = await clientOfPausedServer();
    try {
      const count = 70_000; // more than the 65,535-byte high-water mark
      for (let i = 0; i < count; i++) c.write(Uint8Array.of(i & 0xff)); // each write is one transport message
      await within((async () => {
        while ((serverSide()?.readableLength ?? 0) < 65_535) await new Promise((r) => setTimeout(r, 20));
      })(), 10_000, 'the server side fills its buffer');
      const s = serverSide()!;
      let chunks = 0;
      let bytes = 0;
      let wrong = 0;
      s.on('data', (d: Buffer) => {
        chunks++;
        for (const b of d) if (b !== (bytes++ & 0xff)) wrong++;
      });
      s.resume();
      c.end();
      await within(once(s, 'end'), 10_000, 'end');
      expect([bytes, wrong]).to.deep.equal([count, 0]);
      // One array per message would be 70,000 chunks (some 12 MiB of heap while unread).
      expect(chunks, 'chunks delivered').to.be.below(1_000);
      c.destroy();
    } finally {
      await stopServer(server);
    }
  });

  it('a reader that stops reading stops the TCP stream: bounded buffering, then everything arrives', async () => {
    const { server, c, serverSide } = await clientOfPausedServer();
    try {
      const total = 32 * 1024 * 1024;
      const sent = createHash('sha256');
      let written = 0;
      let blocked = false;
      // Write until backpressure stops us (the server reads nothing).
      while (written < total) {
        const chunk = randomBytes(256 * 1024);
        sent.update(chunk);
        written += chunk.length;
        if (!c.write(chunk)) {
          blocked = await Promise.race([once(c, 'drain').then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 300))]);
          if (blocked) break;
        }
      }
      expect(blocked, 'the writer was blocked by a reader that reads nothing').to.equal(true);
      const s = serverSide()!;
      const held = s.readableLength + s.rawSocket.readableLength;
      expect(held, 'bytes held by the paused server').to.be.below(2 * 1024 * 1024);
      // Now read everything.
      const got = createHash('sha256');
      let n = 0;
      s.on('data', (d: Buffer) => {
        got.update(d);
        n += d.length;
      });
      s.resume();
      c.end();
      await within(once(s, 'end'), 10_000, 'end');
      expect(n).to.equal(written);
      expect(got.digest('hex')).to.equal(sent.digest('hex'));
      c.destroy();
    } finally {
      await stopServer(server);
    }
  });
});
