/**
 * Noise over UDP (datagram mode, spec 11.4) on loopback: clean delivery, handshake
 * retransmission, loss/duplication/reordering/replay/forgery through a seeded lossy relay, rekey
 * policy, Noise Pipes with a key cache, timeouts and junk. Every check of delivery compares with
 * what the test itself sent: each delivered datagram must be one that was sent (byte for byte),
 * and none may be delivered twice.
 */
import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUdpServer, udpConnect, generateKeyPair, MemoryKeyCache, FileKeyCache, tofu, authorizedKeys, NoiseError, DatagramSession, HandshakeState, type UdpSession } from '../src/index.js';
import { udpFixture } from './support/udp-fixture.js';
import { lossyProxy, type Impairment } from './support/lossy-proxy.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collects what a session delivers and checks it against what the peer sent. */
class Ledger {
  readonly sent = new Set<string>();
  readonly delivered = new Set<string>();
  duplicates = 0;
  unknown = 0;
  watch(s: UdpSession): void {
    s.on('message', (m: Uint8Array) => {
      const h = hex(m);
      if (!this.sent.has(h)) this.unknown++;
      if (this.delivered.has(h)) this.duplicates++;
      this.delivered.add(h);
    });
  }
  async pump(s: UdpSession, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const m = new Uint8Array(randomBytes(24 + (i % 50)));
      this.sent.add(hex(m));
      s.send(m);
      if (i % 10 === 9) await sleep(2); // paced, so loss comes from the relay, not socket buffers
    }
  }
}

async function settle(ledgers: Ledger[], quietMs = 250, maxMs = 3000): Promise<void> {
  const start = Date.now();
  let last = -1;
  while (Date.now() - start < maxMs) {
    await sleep(quietMs);
    const now = ledgers.reduce((n, l) => n + l.delivered.size, 0);
    if (now === last) return;
    last = now;
  }
}

describe('UDP datagram mode on loopback', function () {
  const fx = udpFixture();
  const { cleanup, server, client } = fx;

  it('clean path: XX handshake, 200 datagrams each way, all delivered once, keys and hashes agree', async () => {
    const toServer = new Ledger();
    const toClient = new Ledger();
    let serverSide: UdpSession | undefined;
    const { port } = await server({}, (s) => {
      serverSide = s;
      toServer.watch(s);
    });
    const c = await client(port);
    toClient.watch(c);
    expect(serverSide, 'server session').to.not.equal(undefined);
    expect(hex(c.remoteStaticKey!)).to.equal(hex(fx.serverKey.publicKey));
    expect(hex(serverSide!.remoteStaticKey!)).to.equal(hex(fx.clientKey.publicKey));
    expect(hex(c.handshakeHash)).to.equal(hex(serverSide!.handshakeHash));
    await toServer.pump(c, 200);
    await toClient.pump(serverSide!, 200);
    await settle([toServer, toClient]);
    for (const l of [toServer, toClient]) expect([l.delivered.size, l.duplicates, l.unknown]).to.deep.equal([200, 0, 0]);
  });

  it('IK (two-message pattern) with retransmission when the first 3 client packets and the first server reply are lost', async () => {
    const protocol = 'Noise_IK_25519_ChaChaPoly_BLAKE2s';
    const { port } = await server({ protocol });
    const relay = await lossyProxy({ port }, { dropFirst: 3 }, { dropFirst: 1 }, 2);
    cleanup.push(() => relay.close());
    const c = await client(relay.port, { protocol, remoteStaticKey: fx.serverKey.publicKey });
    expect(c.stats.handshakeRetransmits).to.be.at.least(4);
    expect(relay.stats.up.dropped).to.equal(3);
  });

  it('IK: a forged copy of each handshake message, sent just before the genuine one, does not end the handshake', async () => {
    const protocol = 'Noise_IK_25519_ChaChaPoly_BLAKE2s';
    const { port } = await server({ protocol });
    const relay = await lossyProxy({ port }, { tamperFirst: 1 }, { tamperFirst: 1 }, 3);
    cleanup.push(() => relay.close());
    const c = await client(relay.port, { protocol, remoteStaticKey: fx.serverKey.publicKey });
    expect([relay.stats.up.forged, relay.stats.down.forged]).to.deep.equal([1, 1]);
    expect(c.handshakeHash).to.have.length(32);
  });

  for (const protocol of ['Noise_NN_25519_ChaChaPoly_BLAKE2s', 'Noise_IK_25519_ChaChaPoly_BLAKE2s']) {
    const name = protocol.split('_')[1];
    it(`${name} (the client finishes by reading): a lost acknowledgement is resent, and the server keeps the session past its handshake timeout`, async () => {
      const received: string[] = [];
      const keys = name === 'NN' ? { staticKeyPair: undefined } : {};
      const { srv, port } = await server({ protocol, handshakeTimeout: 300, ...keys }, (s) => s.on('message', (m: Uint8Array) => received.push(hex(m))));
      // Up: message 1, then the acknowledgement (lost), then its resend.
      const relay = await lossyProxy({ port }, { dropAt: [2] }, {}, 4);
      cleanup.push(() => relay.close());
      const c = await client(relay.port, { protocol, ...keys, ...(name === 'IK' ? { remoteStaticKey: fx.serverKey.publicKey } : {}) });
      expect(relay.stats.up.dropped).to.equal(1);
      expect(srv.sessions, 'announced once the resent acknowledgement arrived').to.have.length(1);
      await sleep(450); // past the server's handshake timeout
      const sent = [0, 1, 2].map(() => new Uint8Array(randomBytes(20)));
      for (const m of sent) c.send(m);
      await sleep(150);
      expect(received).to.deep.equal(sent.map(hex));
      expect(srv.dropped).to.equal(0);
    });
  }

  it('NN: the server\'s answer to the acknowledgement lost: the client resends until it hears from the server', async () => {
    const protocol = 'Noise_NN_25519_ChaChaPoly_BLAKE2s';
    const { srv, port } = await server({ protocol, staticKeyPair: undefined });
    // Down: message 2, then the answer to the acknowledgement (lost).
    const relay = await lossyProxy({ port }, {}, { dropAt: [2] }, 5);
    cleanup.push(() => relay.close());
    const c = await client(relay.port, { protocol, staticKeyPair: undefined });
    expect(relay.stats.down.dropped).to.equal(1);
    expect(c.stats.handshakeRetransmits).to.be.at.least(1);
    expect(srv.sessions).to.have.length(1);
    expect(hex(c.handshakeHash)).to.equal(hex(srv.sessions[0]!.handshakeHash));
  });

  it('datagrams the server sends at once reach a listener the client adds after await (async verifyRemote; Pipes with a file key cache)', async () => {
    const push = (s: UdpSession) => {
      for (let i = 0; i < 5; i++) s.send(new TextEncoder().encode(`push ${i}`));
    };
    const expected = [0, 1, 2, 3, 4].map((i) => `push ${i}`);
    const { port } = await server({}, push);
    const slow = await client(port, { verifyRemote: async () => (await sleep(50), true) });
    const got: string[] = [];
    await sleep(20); // the datagrams are here before any listener is
    slow.on('message', (m: Uint8Array) => got.push(new TextDecoder().decode(m)));
    await sleep(100);
    expect(got, 'async verifyRemote').to.deep.equal(expected);

    const dir = mkdtempSync(join(tmpdir(), 'noisekit-udp-cache-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const pipes = await server({ pipes: true }, push);
    const cached = await client(pipes.port, { pipes: true, keyCache: new FileKeyCache(join(dir, 'known.json')) });
    const got2: string[] = [];
    await sleep(20); // and not even at once after the await
    cached.on('message', (m: Uint8Array) => got2.push(new TextDecoder().decode(m)));
    await sleep(100);
    expect(got2, 'Pipes, file key cache').to.deep.equal(expected);
  });

  it('held datagrams wait for listeners one at a time: a once() listener takes one, the next listener the rest; removeAllListeners() loses none', async () => {
    const dec = (m: Uint8Array) => new TextDecoder().decode(m);
    const { port } = await server({}, (s) => {
      for (const w of ['one', 'two', 'three']) s.send(new TextEncoder().encode(w));
      s.on('message', (m: Uint8Array) => s.send(m)); // and echo
    });
    const a = await client(port);
    await sleep(50);
    const [first] = (await once(a, 'message')) as [Uint8Array];
    const rest: string[] = [];
    a.on('message', (m: Uint8Array) => rest.push(dec(m)));
    a.send(new TextEncoder().encode('echo-me'));
    await sleep(100);
    expect([dec(first), ...rest]).to.deep.equal(['one', 'two', 'three', 'echo-me']);

    const b = await client(port);
    b.removeAllListeners(); // the hold must not depend on a hook of ours staying registered
    await sleep(50);
    const got: string[] = [];
    b.on('message', (m: Uint8Array) => got.push(dec(m)));
    b.send(new TextEncoder().encode('echo-me'));
    await sleep(100);
    expect(got).to.deep.equal(['one', 'two', 'three', 'echo-me']);
  });

  const scenarios: Array<{ name: string; imp: Impairment; seed: number; minRatio: number }> = [
    { name: 'loss 20%, duplication 10%, reordering 20% (delay <= 40 ms), replays 5%, forgeries 2%', imp: { loss: 0.2, duplicate: 0.1, reorder: 0.2, maxDelayMs: 40, replay: 0.05, forge: 0.02 }, seed: 11, minRatio: 0.5 },
    { name: 'loss 40%, duplication 25%, reordering 50% (delay <= 60 ms), replays 10%, forgeries 5%', imp: { loss: 0.4, duplicate: 0.25, reorder: 0.5, maxDelayMs: 60, replay: 0.1, forge: 0.05 }, seed: 12, minRatio: 0.3 },
  ];
  for (const sc of scenarios) {
    it(`lossy path both ways (${sc.name}): handshake completes, every delivered datagram is authentic and delivered at most once`, async () => {
      const toServer = new Ledger();
      const toClient = new Ledger();
      let serverSide: UdpSession | undefined;
      const { port } = await server({ datagram: { rekeyInterval: 100 } }, (s) => {
        serverSide = s;
        toServer.watch(s);
      });
      const relay = await lossyProxy({ port }, sc.imp, sc.imp, sc.seed);
      cleanup.push(() => relay.close());
      const c = await client(relay.port, { datagram: { rekeyInterval: 100 } });
      toClient.watch(c);
      for (let i = 0; i < 50 && !serverSide; i++) await sleep(10);
      expect(serverSide, 'the server finished too').to.not.equal(undefined);
      await Promise.all([toServer.pump(c, 400), toClient.pump(serverSide!, 400)]);
      await settle([toServer, toClient]);
      for (const [l, s] of [[toServer, serverSide!], [toClient, c]] as const) {
        expect(l.unknown, 'datagrams never sent').to.equal(0);
        expect(l.duplicates, 'delivered twice').to.equal(0);
        expect(l.delivered.size / l.sent.size).to.be.at.least(sc.minRatio);
        expect(s.stats.received).to.be.at.least(l.delivered.size);
      }
      const rejected = { replayed: serverSide!.stats.replayed + c.stats.replayed, forged: serverSide!.stats.forged + c.stats.forged };
      expect(rejected.replayed, 'duplicates and replays were refused by the window').to.be.greaterThan(0);
      expect(rejected.forged, 'forgeries were refused').to.be.greaterThan(0);
      console.log(`      [udp ${sc.name}] relay up ${JSON.stringify(relay.stats.up)} down ${JSON.stringify(relay.stats.down)}; ` +
        `delivered to server ${toServer.delivered.size}/400, to client ${toClient.delivered.size}/400, duplicates 0, unknown 0; ` +
        `refused: ${rejected.replayed} replayed/duplicate, ${rejected.forged} forged; client handshake retransmits ${c.stats.handshakeRetransmits}`);
    });
  }

  it('explicit rekey over UDP: rekey() moves to the next epoch and the peer follows', async () => {
    const toServer = new Ledger();
    const { port } = await server({ datagram: { rekeyInterval: 1000 } }, (s) => toServer.watch(s));
    const c = await client(port, { datagram: { rekeyInterval: 1000 } });
    await toServer.pump(c, 10);
    c.rekey();
    await toServer.pump(c, 10);
    await settle([toServer], 100);
    expect(toServer.delivered.size).to.equal(20);
  });

  it('Noise Pipes over UDP with a key cache: XX, IK, then the server key changes -> XXfallback, then IK', async () => {
    const cache = new MemoryKeyCache();
    const modes: string[] = [];
    let key = fx.serverKey;
    for (let round = 0; round < 4; round++) {
      if (round === 2) key = generateKeyPair();
      let gotMessage!: (m: Uint8Array) => void;
      const got = new Promise<Uint8Array>((resolve) => (gotMessage = resolve));
      const srv = createUdpServer({ pipes: true, staticKeyPair: key }, (s) => s.once('message', gotMessage));
      const { port } = await srv.listen(0, '127.0.0.1');
      try {
        const c = await udpConnect({ port, pipes: true, keyCache: cache, peer: 'srv', staticKeyPair: fx.clientKey, retransmitInterval: 40 });
        modes.push(c.mode!);
        c.send(new TextEncoder().encode(`round ${round}`));
        expect(new TextDecoder().decode(await got)).to.equal(`round ${round}`);
        c.close();
      } finally {
        await srv.close();
      }
    }
    expect(modes).to.deep.equal(['XX', 'IK', 'XXfallback', 'IK']);
    expect(hex(cache.get('srv')!)).to.equal(hex(key.publicKey));
  });

  it('a port in use: listen rejects with ERR_NOISE_SOCKET (the system error as cause), and the server can listen elsewhere', async () => {
    const { port } = await server();
    const second = createUdpServer({ staticKeyPair: fx.serverKey });
    const err = await second.listen(port, '127.0.0.1').then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(NoiseError);
    expect((err as NoiseError).code).to.equal('ERR_NOISE_SOCKET');
    expect(((err as NoiseError).cause as NodeJS.ErrnoException).code).to.equal('EADDRINUSE');
    const a = await second.listen(0, '127.0.0.1');
    expect(a.port).to.be.greaterThan(0);
    await second.close();
  });

  it('no answer: connect rejects with ERR_NOISE_HANDSHAKE_TIMEOUT within the time given', async () => {
    const silent = createSocket('udp4');
    cleanup.push(() => new Promise<void>((r) => silent.close(() => r())));
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    const t0 = Date.now();
    let got = 0;
    silent.on('message', () => got++);
    const err = await udpConnect({ port: silent.address().port, staticKeyPair: fx.clientKey, handshakeTimeout: 400, retransmitInterval: 50 }).catch((e) => e);
    expect(err).to.be.instanceOf(NoiseError).with.property('code', 'ERR_NOISE_HANDSHAKE_TIMEOUT');
    expect(Date.now() - t0).to.be.lessThan(1500);
    expect(got, 'the first message was retransmitted').to.be.at.least(3);
  });

  it('verifyRemote refusing the server key: ERR_NOISE_REMOTE_REJECTED', async () => {
    const { port } = await server();
    const err = await udpConnect({ port, staticKeyPair: fx.clientKey, verifyRemote: () => false, handshakeTimeout: 2000 }).catch((e) => e);
    expect(err).to.be.instanceOf(NoiseError).with.property('code', 'ERR_NOISE_REMOTE_REJECTED');
  });

  it("verifyRemote's own NoiseError is the refusal on both sides, as on TCP (tofu's ERR_NOISE_REMOTE_KEY_CHANGED; a malformed authorized_keys file)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'noisekit-udp-trust-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    // Client: tofu pins the first server's key; a server with another key is refused with the tofu code.
    const knownHosts = join(dir, 'known_hosts');
    const first = await server();
    await client(first.port, { verifyRemote: tofu(knownHosts, 'udp-server') });
    const other = createUdpServer({ staticKeyPair: generateKeyPair() });
    cleanup.push(() => other.close());
    const { port: otherPort } = await other.listen(0, '127.0.0.1');
    const err = await client(otherPort, { verifyRemote: tofu(knownHosts, 'udp-server') }).catch((e) => e);
    expect(err).to.be.instanceOf(NoiseError).with.property('code', 'ERR_NOISE_REMOTE_KEY_CHANGED');

    // Server: a broken trust file refuses the client with ERR_NOISE_TRUST_STORE, and says so.
    const keys = join(dir, 'authorized_keys');
    writeFileSync(keys, 'not a key\n');
    const { srv, port } = await server({ verifyRemote: authorizedKeys(keys) });
    const refused: Array<[string, string]> = [];
    srv.on('refused', (e: NoiseError, from: { address: string; port: number }) => refused.push([e.code, from.address]));
    // A refused client gets no acknowledgement, so its handshake never completes.
    const timedOut = await client(port, { handshakeTimeout: 400 }).catch((e) => e);
    expect(timedOut).to.be.instanceOf(NoiseError).with.property('code', 'ERR_NOISE_HANDSHAKE_TIMEOUT');
    expect(refused).to.deep.equal([['ERR_NOISE_TRUST_STORE', '127.0.0.1']]);
    expect([srv.rejected, srv.sessions.length]).to.deep.equal([1, 0]);
  });

  it('verifyRemote runs before anything more is sent: an XX client that refuses the server never sends its identity (message 3); an IK server that refuses the client never answers', async () => {
    // XX: the client reads message 2, refuses, and sends nothing more.
    const xx = await server();
    const up = await lossyProxy({ port: xx.port }, {}, {}, 6);
    cleanup.push(() => up.close());
    const refusedServer = await client(up.port, { verifyRemote: () => false, retransmitInterval: 2000 }).catch((e) => e);
    expect(refusedServer).to.be.instanceOf(NoiseError).with.property('code', 'ERR_NOISE_REMOTE_REJECTED');
    await sleep(50);
    expect([up.stats.up.seen, up.stats.down.seen], 'client -> server: message 1 only').to.deep.equal([1, 1]);

    // IK: the server reads message 1 (the client's last handshake message), refuses, and sends nothing.
    const protocol = 'Noise_IK_25519_ChaChaPoly_BLAKE2s';
    const ik = await server({ protocol, verifyRemote: () => false });
    const refusals: string[] = [];
    ik.srv.on('refused', (e: NoiseError) => refusals.push(e.code));
    const down = await lossyProxy({ port: ik.port }, {}, {}, 7);
    cleanup.push(() => down.close());
    const refusedClient = await client(down.port, { protocol, remoteStaticKey: fx.serverKey.publicKey, handshakeTimeout: 300, retransmitInterval: 2000 }).catch((e) => e);
    expect(refusedClient).to.be.instanceOf(NoiseError).with.property('code', 'ERR_NOISE_HANDSHAKE_TIMEOUT');
    expect([down.stats.up.seen, down.stats.down.seen, refusals], 'server -> client: nothing').to.deep.equal([1, 0, ['ERR_NOISE_REMOTE_REJECTED']]);
  });

  it('async verifyRemote on the server: nothing is announced or delivered before it accepts; a refusal leaves no session', async () => {
    const events: string[] = [];
    const allowed = hex(fx.clientKey.publicKey);
    const verifyRemote = async (k: Uint8Array | undefined) => {
      await sleep(80);
      events.push('verified');
      return hex(k!) === allowed;
    };
    const { srv, port } = await server({ verifyRemote }, (s) => {
      events.push('session');
      s.on('message', (m: Uint8Array) => events.push(`message ${new TextDecoder().decode(m)}`));
    });
    const c = await client(port);
    c.send(new TextEncoder().encode('early'));
    await sleep(150);
    expect(events).to.deep.equal(['verified', 'session', 'message early']);
    // Refused: the server sends nothing more (no acknowledgement), and the stranger times out.
    const stranger = await udpConnect({ port, staticKeyPair: generateKeyPair(), handshakeTimeout: 400, retransmitInterval: 40 }).catch((e) => e);
    expect(stranger).to.be.instanceOf(NoiseError).with.property('code', 'ERR_NOISE_HANDSHAKE_TIMEOUT');
    expect(events).to.deep.equal(['verified', 'session', 'message early', 'verified']);
    expect(srv.rejected).to.equal(1);
    expect(srv.sessions).to.have.length(1);
  });

  it('idle sessions are closed on both sides (idleTimeout), freeing the server slot', async () => {
    const { srv, port } = await server({ idleTimeout: 200, maxSessions: 1 });
    const c = await client(port, { idleTimeout: 200 });
    expect(srv.sessions).to.have.length(1);
    const closed = new Promise((r) => c.once('close', r));
    await sleep(350);
    await closed;
    expect(c.closed).to.equal(true);
    expect(srv.sessions).to.have.length(0);
    const again = await client(port);
    expect(again.closed).to.equal(false);
  });

  it('a new handshake from the same address replaces the session only once it completes', async () => {
    const { srv, port } = await server();
    const sock = createSocket('udp4');
    cleanup.push(() => new Promise<void>((r) => sock.close(() => r())));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    let current: DatagramSession | undefined;
    sock.on('message', (m: Buffer) => {
      const r = current?.handle(new Uint8Array(m));
      for (const p of r?.reply ?? []) sock.send(p, port, '127.0.0.1');
    });
    const handshake = async () => {
      current = new DatagramSession(new HandshakeState({ protocol: 'Noise_XX_25519_ChaChaPoly_BLAKE2s', initiator: true, staticKeyPair: fx.clientKey }), true);
      sock.send(current.start(), port, '127.0.0.1');
      for (let i = 0; i < 100 && !current.confirmed; i++) await sleep(5);
      expect(current.confirmed).to.equal(true);
    };
    await handshake();
    const first = srv.sessions[0]!;
    const firstClosed = new Promise((r) => first.once('close', r));
    // A forged message 1 from the same address does not disturb the live session.
    sock.send(Buffer.concat([Buffer.from([0x01, 0x00]), randomBytes(32)]), port, '127.0.0.1');
    await sleep(30);
    expect(srv.sessions).to.deep.equal([first]);
    expect(first.closed).to.equal(false);
    await handshake();
    await firstClosed;
    expect(srv.sessions).to.have.length(1);
    expect(srv.sessions[0]).to.not.equal(first);
    const got = new Promise<Uint8Array>((r) => srv.sessions[0]!.once('message', r));
    sock.send(current!.send(new TextEncoder().encode('new session')), port, '127.0.0.1');
    expect(new TextDecoder().decode(await got)).to.equal('new session');
  });

  it('a replayed IK message 1 (0-RTT replay) gets an answer but never becomes a session', async () => {
    const protocol = 'Noise_IK_25519_ChaChaPoly_BLAKE2s';
    let announced = 0;
    const { srv, port } = await server({ protocol, handshakeTimeout: 300 }, () => announced++);
    await client(port, { protocol, remoteStaticKey: fx.serverKey.publicKey });
    await sleep(20);
    expect(announced).to.equal(1);
    const attacker = createSocket('udp4');
    cleanup.push(() => new Promise<void>((r) => attacker.close(() => r())));
    let answers = 0;
    attacker.on('message', () => answers++);
    await new Promise<void>((r) => attacker.bind(0, '127.0.0.1', r));
    // Record a genuine IK message 1 of this client (sent to a socket that never answers), then replay it.
    const recorded = await new Promise<Buffer>((resolve) => {
      const probe = createSocket('udp4');
      probe.on('message', (m) => { probe.close(); resolve(m); });
      probe.bind(0, '127.0.0.1', () => {
        const c2 = udpConnect({ port: probe.address().port, protocol, remoteStaticKey: fx.serverKey.publicKey, staticKeyPair: fx.clientKey, handshakeTimeout: 200 });
        c2.catch(() => undefined);
      });
    });
    attacker.send(recorded, port, '127.0.0.1');
    attacker.send(recorded, port, '127.0.0.1');
    await sleep(100);
    expect(answers, 'the server answered (it cannot tell a replay from a retransmission)').to.be.at.least(1);
    expect(announced).to.equal(1);
    expect(srv.sessions).to.have.length(1);
  });

  /** XX message 1 as an attacker forges it without any crypto: packet type, index 0, 32 random bytes. */
  async function forgeFirstMessages(port: number, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const s = createSocket('udp4'); // a port of its own for each
      cleanup.push(() => new Promise<void>((r) => s.close(() => r())));
      s.send(Buffer.concat([Buffer.from([0x01, 0x00]), randomBytes(32)]), port, '127.0.0.1');
    }
    await sleep(100);
  }

  it('forged message 1s from many ports of one address hold at most maxHandshakesPerAddress handshakes', async () => {
    const { srv, port } = await server({ maxHandshakesPerAddress: 4 });
    await forgeFirstMessages(port, 10);
    expect(srv.dropped).to.equal(6);
  });

  it('forged message 1s filling every slot do not lock honest clients out: the oldest handshake makes room', async () => {
    // Without cookies: what the table does when forged message 1s reach it (with cookies they
    // would get cookie replies instead; test/datagram-cookie.test.ts).
    const { srv, port } = await server({ maxSessions: 8, maxHandshakesPerAddress: 100, cookies: 'never' });
    await forgeFirstMessages(port, 8);
    const c = await client(port);
    expect(c.remoteStaticKey && Buffer.from(c.remoteStaticKey).equals(fx.serverKey.publicKey)).to.equal(true);
    expect(srv.sessions).to.have.length(1);
  });

  it('a message 1 that does not read (psk0 without the psk) displaces no handshake from a full table', async () => {
    const protocol = 'Noise_XXpsk0_25519_ChaChaPoly_BLAKE2s';
    const psk = randomBytes(32);
    // verifyRemote takes 300 ms, so the honest handshake stays pending while the junk arrives
    const { port } = await server({ protocol, psks: [psk], maxSessions: 1, cookies: 'never', verifyRemote: () => new Promise<boolean>((r) => setTimeout(() => r(true), 300)) });
    const attacker = createSocket('udp4');
    cleanup.push(() => new Promise<void>((r) => attacker.close(() => r())));
    const junk = setInterval(() => attacker.send(Buffer.concat([Buffer.from([0x01, 0x00]), randomBytes(80)]), port, '127.0.0.1'), 20);
    try {
      const c = await client(port, { protocol, psks: [psk], handshakeTimeout: 3000, retransmitInterval: 100 });
      expect(c.remoteStaticKey && Buffer.from(c.remoteStaticKey).equals(fx.serverKey.publicKey)).to.equal(true);
    } finally {
      clearInterval(junk);
    }
  });

  it('junk, truncated and out-of-place packets do not disturb the server', async () => {
    const toServer = new Ledger();
    const { srv, port } = await server({}, (s) => toServer.watch(s));
    const junk = createSocket('udp4');
    cleanup.push(() => new Promise<void>((r) => junk.close(() => r())));
    const packets = [Buffer.alloc(0), Buffer.from([0x01]), Buffer.from([0x02, 1, 2]), Buffer.from([0x01, 0x05, 9, 9]), Buffer.from([0x01, 0x00, 1, 2, 3]), randomBytes(300), Buffer.concat([Buffer.from([0x02]), randomBytes(64)])];
    for (const p of packets) junk.send(p, port, '127.0.0.1');
    await sleep(50);
    const c = await client(port);
    await toServer.pump(c, 20);
    await settle([toServer], 100);
    expect(toServer.delivered.size).to.equal(20);
    expect(srv.sessions).to.have.length(1);
    expect(srv.dropped).to.be.at.least(3);
  });
});
