/**
 * Noise Pipes over TCP on loopback (spec 10.4): XX without a cached key, IK with zero-RTT data,
 * XXfallback after the server's key changed (stale cache), then IK again; the exact bytes on the
 * wire (two negotiation bytes per connection); and the failure paths: a refused new server key,
 * an unknown negotiation byte, a silent client.
 */
import { expect } from 'chai';
import net from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createPipesServer, pipesConnect, PipesInitiator, generateKeyPair, MemoryKeyCache, NoiseError, type KeyPair, type PipesServer, type PipesConnectOptions } from '../src/index.js';
import type { NoiseSocket } from '../src/net/noise-socket.js';
import { encodeFrame, FrameDecoder } from '../src/net/framing.js';

const enc = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A server that answers each connection with "got:" + everything it received, then ends. */
async function echoServer(key: KeyPair, extra: Partial<Parameters<typeof createPipesServer>[0]> = {}) {
  const received: string[] = [];
  const errors: NoiseError[] = [];
  const srv = createPipesServer({ staticKeyPair: key, handshakeTimeout: 2000, ...extra }, (s) => {
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('end', () => {
      received.push(text);
      s.end(`got:${text}`);
    });
  });
  srv.on('connectionError', (e) => errors.push(e));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  return { srv, port, received, errors };
}

async function exchange(opts: PipesConnectOptions, body: string) {
  const s = await pipesConnect(opts);
  let reply = '';
  s.on('data', (d: Buffer) => (reply += d.toString()));
  const done = new Promise<void>((resolve, reject) => {
    s.on('end', resolve);
    s.on('error', reject);
  });
  s.end(body);
  await done;
  return { reply, mode: s.pipes.mode, early: s.pipes.earlyDataAccepted, key: s.remoteStaticKey };
}

describe('Noise Pipes over TCP (loopback)', () => {
  let client: KeyPair;
  const servers: PipesServer[] = [];
  before(() => {
    client = generateKeyPair();
  });
  afterEach(async () => {
    while (servers.length) await new Promise((r) => servers.pop()!.close(() => r(undefined)));
  });
  const start = async (key: KeyPair, extra = {}) => {
    const s = await echoServer(key, extra);
    servers.push(s.srv);
    return s;
  };

  it('XX -> IK (0-RTT) -> server key changes -> XXfallback -> IK; early data arrives exactly once every time', async () => {
    const cache = new MemoryKeyCache();
    let serverKey = generateKeyPair();
    const modes: string[] = [];
    for (let round = 0; round < 4; round++) {
      if (round === 2) serverKey = generateKeyPair();
      const { port, received, srv } = await start(serverKey);
      const r = await exchange({ port, staticKeyPair: client, keyCache: cache, peer: 'server', earlyData: enc(`early${round}|`) }, 'body');
      modes.push(r.mode);
      expect(r.reply).to.equal(`got:early${round}|body`);
      expect(received).to.deep.equal([`early${round}|body`]);
      expect(r.early).to.equal(r.mode === 'IK');
      expect(hex(r.key!)).to.equal(hex(serverKey.publicKey));
      expect(srv.stats[r.mode as 'XX']).to.equal(1);
    }
    expect(modes).to.deep.equal(['XX', 'IK', 'XXfallback', 'IK']);
    expect(hex(cache.get('server')!)).to.equal(hex(serverKey.publicKey));
  });

  it('on the wire: one negotiation byte before messages 1 and 2, nothing else added', async () => {
    const serverKey = generateKeyPair();
    const { port } = await start(serverKey);
    // A recording relay in front of the server.
    const frames: { up: Buffer[]; down: Buffer[] } = { up: [], down: [] };
    const relay = net.createServer({ allowHalfOpen: true }, (inbound) => {
      const out = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      inbound.on('data', (d) => { frames.up.push(d); out.write(d); });
      out.on('data', (d) => { frames.down.push(d); inbound.write(d); });
      inbound.on('end', () => out.end());
      out.on('end', () => inbound.end());
      inbound.on('error', () => out.destroy());
      out.on('error', () => inbound.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const rport = (relay.address() as net.AddressInfo).port;
    try {
      const stale = generateKeyPair().publicKey;
      await exchange({ port: rport, staticKeyPair: client, keyCache: { get: () => stale, set: () => undefined }, earlyData: enc('0123456789') }, '');
      const up = Buffer.concat(frames.up);
      const down = Buffer.concat(frames.down);
      // IK message 1: 2-byte length, 0x01, e (32) + encrypted s (48) + encrypted early data (10 + 16).
      expect(up.readUInt16BE(0)).to.equal(1 + 32 + 48 + 10 + 16);
      expect(up[2]).to.equal(0x01);
      // XXfallback message: 0x02, e (32) + encrypted s (48) + empty payload tag (16).
      expect(down.readUInt16BE(0)).to.equal(1 + 32 + 48 + 16);
      expect(down[2]).to.equal(0x02);
      // XXfallback message 2 (client): no negotiation byte: encrypted s (48) + early data (10 + 16).
      expect(up.readUInt16BE(2 + 107)).to.equal(48 + 10 + 16);
    } finally {
      await new Promise((r) => relay.close(r));
    }
  });

  it('rekey policy passes through to the socket: same policy both sides works, a mismatched one fails', async () => {
    const serverKey = generateKeyPair();
    const { port, errors, received } = await start(serverKey, { rekey: { messages: 2 } });
    const chunks = Array.from({ length: 8 }, (_, i) => `c${i};`);
    const ok = await pipesConnect({ port, staticKeyPair: client, rekey: { messages: 2 } });
    let reply = '';
    ok.on('data', (d: Buffer) => (reply += d.toString()));
    const ended = new Promise((r) => ok.on('end', r));
    for (const c of chunks) await new Promise((r) => ok.write(c, r));
    ok.end();
    await ended;
    expect(reply).to.equal(`got:${chunks.join('')}`);
    // Without the policy the client keeps its first key: the server cannot decrypt message 3.
    const bad = await pipesConnect({ port, staticKeyPair: client });
    bad.on('error', () => undefined);
    for (const c of chunks) await new Promise((r) => bad.write(c, r));
    await new Promise((r) => setTimeout(r, 100));
    bad.destroy();
    expect(errors.map((e) => e.code)).to.deep.equal(['ERR_NOISE_DECRYPT']);
    expect(received).to.have.length(1);
  });

  it('a client that refuses the server\'s new key sends no early data and keeps its cache', async () => {
    const oldKey = generateKeyPair();
    const { port, received, errors } = await start(generateKeyPair());
    const cache = new MemoryKeyCache();
    cache.set('s', oldKey.publicKey);
    const err = await pipesConnect({ port, staticKeyPair: client, keyCache: cache, peer: 's', earlyData: enc('secret'), verifyRemote: (k) => hex(k!) === hex(oldKey.publicKey) }).catch((e) => e);
    expect(err).to.be.instanceOf(NoiseError).with.property('code', 'ERR_NOISE_REMOTE_REJECTED');
    expect(hex(cache.get('s')!)).to.equal(hex(oldKey.publicKey));
    await new Promise((r) => setTimeout(r, 100));
    expect(received).to.deep.equal([]);
    expect(errors.map((e) => e.code)).to.deep.equal(['ERR_NOISE_TRUNCATED']);
  });

  it("verifyRemote's own NoiseError is the refusal, as on NoiseSocket (tofu: ERR_NOISE_REMOTE_KEY_CHANGED)", async () => {
    const { port } = await start(generateKeyPair());
    const code = 'ERR_NOISE_REMOTE_KEY_CHANGED';
    const err = await pipesConnect({ port, staticKeyPair: client, verifyRemote: () => { throw new NoiseError(code, 'pinned'); } }).catch((e) => e);
    expect(err).to.be.instanceOf(NoiseError).with.property('code', code);
    const other = await pipesConnect({ port, staticKeyPair: client, verifyRemote: async () => { throw new Error('lookup failed'); } }).catch((e) => e);
    expect([other.code, other.message, other.cause?.message]).to.deep.equal(['ERR_NOISE_REMOTE_REJECTED', 'verifyRemote failed: lookup failed', 'lookup failed']);
  });

  it('a reset while the client writes its key cache rejects pipesConnect with ERR_NOISE_TRUNCATED (no unhandled error)', async () => {
    const srv = createPipesServer({ staticKeyPair: generateKeyPair() }, (s) => (s.rawSocket as net.Socket).resetAndDestroy());
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    const slowCache = { get: () => undefined, set: () => new Promise<void>((r) => setTimeout(r, 150)) };
    const err = await pipesConnect({ port, staticKeyPair: client, keyCache: slowCache }).catch((e) => e);
    expect(err).to.be.instanceOf(NoiseError).with.property('code', 'ERR_NOISE_TRUNCATED');
  });

  it('a reset during the handshake is ERR_NOISE_TRUNCATED (as on NoiseSocket), and the server keeps serving', async () => {
    const serverKey = generateKeyPair();
    const { port, errors } = await start(serverKey);
    const alice = new PipesInitiator({ staticKeyPair: client });
    const raw = net.connect(port, '127.0.0.1');
    raw.on('error', () => undefined);
    await new Promise((r) => raw.once('connect', r));
    const m1 = alice.writeMessage();
    raw.write(m1.subarray(0, 5)); // part of message 1, then a reset
    await new Promise((r) => setTimeout(r, 50));
    raw.resetAndDestroy();
    for (let i = 0; i < 200 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(errors.map((e) => e.code), errors.map((e) => e.message).join('; ')).to.deep.equal(['ERR_NOISE_TRUNCATED']);
    const r = await exchange({ port, staticKeyPair: client }, 'still here');
    expect(r.reply).to.equal('got:still here');
  });

  it("a listen error (port in use) is the PipesServer's 'error' event, not an uncaught exception", async () => {
    const serverKey = generateKeyPair();
    const { port } = await start(serverKey);
    const second = createPipesServer({ staticKeyPair: serverKey });
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      second.once('error', resolve);
      second.listen(port, '127.0.0.1');
    });
    expect(err.code).to.equal('EADDRINUSE');
  });

  it('the server refuses an unknown negotiation byte and a silent client, and keeps serving', async () => {
    const serverKey = generateKeyPair();
    const { port, errors } = await start(serverKey, { handshakeTimeout: 300 });
    const bad = net.connect(port, '127.0.0.1');
    bad.on('error', () => undefined);
    bad.write(Buffer.from([0x00, 0x21, 0x07, ...new Uint8Array(32)]));
    const silent = net.connect(port, '127.0.0.1');
    silent.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 500));
    bad.destroy();
    silent.destroy();
    expect(errors.map((e) => e.code).sort(), errors.map((e) => e.message).join('; ')).to.deep.equal(['ERR_NOISE_HANDSHAKE_TIMEOUT', 'ERR_NOISE_NEGOTIATION']);
    const r = await exchange({ port, staticKeyPair: client }, 'still here');
    expect(r.reply).to.equal('got:still here');
  });

  it('a client flooding bytes while the server verifies is not read meanwhile, then fails authentication', async () => {
    // The server reads nothing while verifyRemote runs (the flood waits in TCP's buffers); after
    // the handshake the garbage is the first transport message, and fails to decrypt.
    const serverKey = generateKeyPair();
    const { port, errors } = await start(serverKey, { verifyRemote: () => new Promise<boolean>((r) => setTimeout(() => r(true), 300)) });
    const alice = new PipesInitiator({ staticKeyPair: client, remoteStaticKey: serverKey.publicKey });
    const m1 = alice.writeMessage();
    const flood = net.connect(port, '127.0.0.1');
    flood.on('error', () => undefined);
    flood.write(Buffer.concat([Buffer.from([m1.length >> 8, m1.length & 0xff]), m1]));
    flood.write(Buffer.alloc(300_000));
    await new Promise((r) => setTimeout(r, 450));
    flood.destroy();
    expect(errors.map((e) => e.code)).to.deep.equal(['ERR_NOISE_DECRYPT']);
  });

  it('data sent right after the handshake while the other side still verifies arrives whole (server and IK client)', async () => {
    const slowly = async () => {
      await new Promise((r) => setTimeout(r, 50));
      return true;
    };
    // Server side: 1 MiB from each client right after pipesConnect(), an async verifyRemote.
    const serverKey = generateKeyPair();
    const { port, received, errors } = await start(serverKey, { verifyRemote: slowly });
    const data = randomBytes(1 << 20).toString('hex');
    const results = await Promise.all([0, 1, 2].map(() => exchange({ port, staticKeyPair: client }, data)));
    for (const r of results) expect(r.reply.length).to.equal(4 + data.length);
    expect(received).to.deep.equal([data, data, data]);
    expect(errors).to.deep.equal([]);
    // Client side, IK (key cached): the server sends 1 MiB as soon as it is secure.
    const big = randomBytes(1 << 20);
    const srv = createPipesServer({ staticKeyPair: serverKey }, (s) => {
      s.resume();
      s.end(big);
    });
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const keyCache = new MemoryKeyCache();
    for (const mode of ['XX', 'IK']) {
      const c = await pipesConnect({ port: (srv.address() as net.AddressInfo).port, staticKeyPair: client, keyCache, verifyRemote: slowly });
      expect(c.pipes.mode).to.equal(mode);
      const got: Buffer[] = [];
      c.on('data', (d: Buffer) => got.push(d));
      c.end();
      await once(c, 'end');
      expect(Buffer.concat(got).equals(big)).to.equal(true);
    }
  });

  it('backpressure holds after a Pipes handshake: a server application that never reads stops the sender', async function () {
    this.timeout(20_000);
    let serverSide: (NoiseSocket & { pipes: unknown }) | undefined;
    const srv = createPipesServer({ staticKeyPair: generateKeyPair(), verifyRemote: async () => {
      await new Promise((r) => setTimeout(r, 100));
      return true;
    } }, (s) => (serverSide = s)); // never reads
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const c = await pipesConnect({ port: (srv.address() as net.AddressInfo).port, staticKeyPair: client });
    c.on('error', () => undefined);
    // Two full frames right away: they reach the server behind message 3, while it verifies,
    // and fill the socket's buffer at once (before, the server then resumed reading regardless).
    c.write(randomBytes(65519));
    c.write(randomBytes(65453));
    await new Promise((r) => setTimeout(r, 300));
    const chunk = randomBytes(1 << 20);
    let written = 0;
    for (;;) {
      written += chunk.length;
      if (c.write(chunk)) continue;
      const drained = await Promise.race([once(c, 'drain').then(() => true), new Promise((r) => setTimeout(() => r(false), 1000))]);
      if (!drained || written > 64 << 20) break;
    }
    expect(written, 'bytes the sender could write to a reader that never reads').to.be.at.most(32 << 20);
    expect(serverSide!.rawSocket.isPaused()).to.equal(true);
    c.destroy();
    serverSide!.destroy();
  });

  it("an exception in a 'secureConnection' listener closes that connection with ERR_NOISE_SOCKET", async () => {
    const serverKey = generateKeyPair();
    const errors: NoiseError[] = [];
    const srv = createPipesServer({ staticKeyPair: serverKey }, () => {
      throw new Error('application bug');
    });
    srv.on('connectionError', (e: NoiseError) => errors.push(e));
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, r)); // listen(port, callback)
    const c = await pipesConnect({ port: (srv.address() as net.AddressInfo).port, staticKeyPair: client });
    let clientError: NoiseError | undefined;
    c.on('error', (e: NoiseError) => (clientError = e));
    c.resume();
    const closed = await Promise.race([new Promise((r) => c.once('close', () => r(true))), new Promise((r) => setTimeout(() => r(false), 5000))]);
    expect(closed, 'the server closed the connection').to.equal(true);
    expect(clientError?.code).to.equal('ERR_NOISE_TRUNCATED');
    expect(errors.map((e) => e.code)).to.deep.equal(['ERR_NOISE_SOCKET']);
    expect((errors[0]!.cause as Error).message).to.equal('application bug');
  });

  it('one address cannot take every handshake slot with idle connections (maxHandshakesPerAddress): another address is served', async () => {
    const server = generateKeyPair();
    const { srv, port, errors } = await echoServer(server, { maxConcurrentHandshakes: 20, maxHandshakesPerAddress: 4, handshakeTimeout: 10_000 });
    servers.push(srv);
    const idle: net.Socket[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const s = net.connect({ port, host: '127.0.0.1' });
        s.on('error', () => {});
        idle.push(s);
        await once(s, 'connect');
      }
      for (let t = 0; srv.stats.refused < 16 && t < 500; t++) await new Promise((r) => setTimeout(r, 10));
      expect(srv.stats.refused).to.equal(16);
      expect(errors.filter((e) => /127\.0\.0\.1 already runs its share of handshakes/.test(e.message))).to.have.length(16);
      // a client from 127.0.0.2, driven by hand (pipesConnect picks no local address): XX completes
      const raw = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
      await once(raw, 'connect');
      const alice = new PipesInitiator({ staticKeyPair: client });
      const decoder = new FrameDecoder();
      raw.write(encodeFrame(alice.writeMessage()));
      const [reply] = await new Promise<Uint8Array[]>((resolve) => raw.on('data', (d: Buffer) => { const f = decoder.push(d); if (f.length) resolve(f); }));
      alice.readMessage(reply!);
      raw.write(encodeFrame(alice.writeMessage()));
      expect(alice.isFinished).to.equal(true);
      for (let t = 0; srv.stats.secured < 1 && t < 500; t++) await new Promise((r) => setTimeout(r, 10));
      expect(srv.stats.secured).to.equal(1);
      raw.destroy();
    } finally {
      for (const s of idle) s.destroy();
    }
  });

  it('close() closes the handshakes still running, as NoiseServer does', async () => {
    let verifying = false;
    const srv = createPipesServer({ staticKeyPair: generateKeyPair(), verifyRemote: () => {
      verifying = true;
      return new Promise<boolean>(() => undefined); // never decides
    } });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    // The client is done once it sent message 3; the server is still verifying it.
    const c = await pipesConnect({ port: (srv.address() as net.AddressInfo).port, staticKeyPair: client });
    let clientError: NoiseError | undefined;
    c.on('error', (e: NoiseError) => (clientError = e));
    c.resume();
    while (!verifying) await new Promise((r) => setTimeout(r, 10));
    const timeout = (what: string) => new Promise((_, reject) => setTimeout(() => reject(new Error(what)), 3000));
    await Promise.race([new Promise<void>((r) => srv.close(() => r())), timeout('close() did not finish')]);
    await Promise.race([new Promise((r) => c.once('close', r)), timeout('the client was not closed')]);
    expect(clientError?.code).to.equal('ERR_NOISE_TRUNCATED');
  });
});
