/**
 * Hostile input against a running NoiseServer (XX). After every attack a well-behaved client
 * must still complete a handshake and an echo, the attack must have produced a typed NoiseError
 * on the server, and the server application must never have been handed attacker bytes.
 */
import { expect } from 'chai';
import net from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { generateKeyPair, HandshakeState, NoiseError, type TransportState } from '../src/index.js';
import type { NoiseServer } from '../src/net/server.js';
import type { NoiseSocket } from '../src/net/noise-socket.js';
import { connect } from '../src/net/connect.js';
import { encodeFrame, FrameDecoder } from '../src/net/framing.js';
import { HOST, roundTrip, startServer, stopServer, within } from './support/net-helpers.js';

const protocol = 'Noise_XX_25519_ChaChaPoly_BLAKE2s';
const HANDSHAKE_TIMEOUT = 1000; // generous for a loaded CI machine; slowloris tests wait for it
const MAX_HANDSHAKE_MESSAGE = 1024;

/** A raw TCP peer that speaks the framing by hand, for attacks. */
class RawPeer {
  readonly sock: net.Socket;
  readonly frames: Uint8Array[] = [];
  readonly closed: Promise<void>;
  #decoder = new FrameDecoder();
  #wake: (() => void) | undefined;

  constructor(port: number) {
    this.sock = net.connect(port, HOST);
    this.sock.on('error', () => {});
    this.sock.on('data', (d: Buffer) => {
      try {
        this.frames.push(...this.#decoder.push(d));
      } catch {
        this.sock.destroy();
      }
      this.#wake?.();
    });
    this.closed = new Promise((r) => this.sock.on('close', () => r()));
  }

  async ready(): Promise<void> {
    await once(this.sock, 'connect');
  }

  send(bytes: Uint8Array): void {
    this.sock.write(bytes);
  }

  async nextFrame(): Promise<Uint8Array> {
    return within(
      (async () => {
        while (this.frames.length === 0) await new Promise<void>((r) => (this.#wake = r));
        return this.frames.shift()!;
      })(),
      3000,
      'a frame from the server',
    );
  }

  async endAndWait(): Promise<void> {
    this.sock.end();
    await within(this.closed, 3000, 'server closing the attack connection').catch(() => this.sock.destroy());
  }
}

describe('net hostile input: the server keeps serving and never delivers attacker bytes', function () {
  const serverKey = generateKeyPair();
  const attackerKey = generateKeyPair();
  let server: NoiseServer;
  let port: number;
  const errors: NoiseError[] = [];
  let waiter: ((e: NoiseError) => void) | undefined;
  /** Everything the server application received, per secure connection. */
  const delivered: Buffer[][] = [];
  /** Exactly the application payloads legitimately sent to the server. */
  const legitimate = new Set<string>(['']); // a connection may be secured and deliver nothing
  let goodChecks = 0;

  before(async () => {
    const s = await startServer(
      { protocol, staticKeyPair: serverKey, handshakeTimeout: HANDSHAKE_TIMEOUT, maxHandshakeMessageLength: MAX_HANDSHAKE_MESSAGE },
      (sock: NoiseSocket) => {
        const mine: Buffer[] = [];
        delivered.push(mine);
        sock.on('error', () => {});
        sock.on('data', (d: Buffer) => {
          mine.push(d);
          sock.write(d);
        });
        sock.on('end', () => sock.end());
      },
    );
    server = s.server;
    port = s.port;
    server.on('connectionError', (e: NoiseError) => {
      expect(e).to.be.instanceOf(NoiseError);
      errors.push(e);
      const w = waiter;
      waiter = undefined;
      w?.(e);
    });
  });

  after(async () => {
    await stopServer(server);
    // No server application ever saw a byte it was not legitimately sent.
    for (const chunks of delivered) {
      const got = Buffer.concat(chunks).toString('latin1');
      expect(legitimate.has(got), `delivered data ${JSON.stringify(got.slice(0, 60))}`).to.equal(true);
    }
    console.log(`      ${errors.length} attack connections failed with typed errors; ${goodChecks} good-client checks passed`);
  });

  function nextError(): Promise<NoiseError> {
    return within(new Promise<NoiseError>((r) => (waiter = r)), 3000, 'a connectionError on the server');
  }

  async function goodClient(): Promise<void> {
    const msg = `good client ${randomBytes(8).toString('hex')}`;
    legitimate.add(msg);
    const r = await roundTrip({ protocol, port, staticKeyPair: generateKeyPair() }, Buffer.from(msg, 'latin1'), 5000);
    expect(r.error, String(r.error)).to.equal(undefined);
    expect(r.ended).to.equal(true);
    expect(r.data.toString('latin1')).to.equal(msg);
    goodChecks++;
  }

  /** Runs an attack, expects one typed server error with a code in `codes`, then checks a good client. */
  async function attack(codes: string[], run: () => Promise<void>): Promise<NoiseError> {
    const err = nextError();
    await run();
    const e = await err;
    expect(codes, `${e.code}: ${e.message}`).to.include(e.code);
    await goodClient();
    return e;
  }

  /** Runs an honest XX initiator up to (not including) message 3. */
  async function toMessage3(): Promise<{ peer: RawPeer; hs: HandshakeState }> {
    const peer = new RawPeer(port);
    const hs = new HandshakeState({ protocol, initiator: true, staticKeyPair: attackerKey });
    peer.send(encodeFrame(hs.writeMessage()));
    hs.readMessage(await peer.nextFrame());
    return { peer, hs };
  }

  /** An honest, complete handshake; returns the transport state. */
  async function established(): Promise<{ peer: RawPeer; t: TransportState }> {
    const { peer, hs } = await toMessage3();
    peer.send(encodeFrame(hs.writeMessage()));
    return { peer, t: hs.split() };
  }

  it('a good client works before any attack', goodClient);

  it('random garbage of many sizes', async () => {
    for (const n of [1, 2, 3, 33, 34, 100, 1000, 70_000]) {
      await attack(['ERR_NOISE_TRUNCATED', 'ERR_NOISE_MALFORMED_MESSAGE', 'ERR_NOISE_DECRYPT', 'ERR_NOISE_MESSAGE_TOO_LONG', 'ERR_NOISE_DH'], async () => {
        const peer = new RawPeer(port);
        peer.send(randomBytes(n));
        await peer.endAndWait();
      });
    }
  });

  it('a length prefix announcing more than is ever sent: timeout when held open, truncation when closed', async () => {
    await attack(['ERR_NOISE_HANDSHAKE_TIMEOUT'], async () => {
      const peer = new RawPeer(port);
      peer.send(Uint8Array.of(0x03, 0x00, ...randomBytes(100))); // announces 768, sends 100
      await within(peer.closed, 3000, 'server closing');
    });
    await attack(['ERR_NOISE_TRUNCATED'], async () => {
      const peer = new RawPeer(port);
      peer.send(Uint8Array.of(0x03, 0x00, ...randomBytes(100)));
      await peer.endAndWait();
    });
  });

  it('messages longer or shorter than the pattern allows are refused', async () => {
    // Handshake message 1 above maxHandshakeMessageLength (a full 65535-byte frame).
    await attack(['ERR_NOISE_MESSAGE_TOO_LONG'], async () => {
      const peer = new RawPeer(port);
      peer.send(encodeFrame(randomBytes(65535)));
      await within(peer.closed, 3000, 'server closing');
    });
    // Handshake message 1 shorter than its e (32 bytes).
    await attack(['ERR_NOISE_MALFORMED_MESSAGE'], async () => {
      const peer = new RawPeer(port);
      peer.send(encodeFrame(randomBytes(31)));
      await within(peer.closed, 3000, 'server closing');
    });
    // Handshake message 3 shorter than s + tag + tag (64 bytes).
    await attack(['ERR_NOISE_MALFORMED_MESSAGE'], async () => {
      const { peer } = await toMessage3();
      peer.send(encodeFrame(randomBytes(63)));
      await within(peer.closed, 3000, 'server closing');
    });
    // A transport message shorter than its tag, and an empty frame.
    for (const n of [0, 15]) {
      await attack(['ERR_NOISE_DECRYPT'], async () => {
        const { peer } = await established();
        peer.send(encodeFrame(randomBytes(n)));
        await within(peer.closed, 3000, 'server closing');
      });
    }
  });

  it('XX handshake cut at every byte position of message 1 and message 3', async () => {
    const probe = new HandshakeState({ protocol, initiator: true, staticKeyPair: attackerKey });
    const m1 = encodeFrame(probe.writeMessage());
    probe.destroy();
    for (let cut = 0; cut < m1.length; cut++) {
      await attack(['ERR_NOISE_TRUNCATED'], async () => {
        const peer = new RawPeer(port);
        await peer.ready();
        peer.send(m1.subarray(0, cut));
        await peer.endAndWait();
      });
    }
    let m3length = 0;
    for (let cut = 0; ; cut++) {
      const { peer, hs } = await toMessage3();
      const m3 = encodeFrame(hs.writeMessage());
      m3length = m3.length;
      if (cut >= m3.length) {
        peer.sock.destroy();
        break;
      }
      await attack(['ERR_NOISE_TRUNCATED'], async () => {
        peer.send(m3.subarray(0, cut));
        await peer.endAndWait();
      });
    }
    expect(m3length).to.equal(2 + 48 + 16);
  });

  it('a flipped bit in every byte of handshake messages 1 and 3', async () => {
    // Message 3: the server must detect every flip itself.
    for (let i = 0; i < 64; i++) {
      await attack(['ERR_NOISE_DECRYPT'], async () => {
        const { peer, hs } = await toMessage3();
        const m3 = hs.writeMessage();
        m3[i]! ^= 1 << i % 8;
        peer.send(encodeFrame(m3));
        await within(peer.closed, 3000, 'server closing');
      });
    }
    // Message 1 (the plain ephemeral): the server cannot tell, but message 2 then fails for the
    // initiator, the handshake never completes and the server reports the abandoned handshake.
    for (let i = 0; i < 32; i++) {
      await attack(['ERR_NOISE_TRUNCATED'], async () => {
        const peer = new RawPeer(port);
        const hs = new HandshakeState({ protocol, initiator: true, staticKeyPair: attackerKey });
        const m1 = hs.writeMessage();
        m1[i]! ^= 1 << i % 8;
        peer.send(encodeFrame(m1));
        const m2 = await peer.nextFrame();
        expect(() => hs.readMessage(m2)).to.throw(NoiseError).with.property('code', 'ERR_NOISE_DECRYPT');
        await peer.endAndWait();
      });
    }
  });

  it('a flipped bit in every byte of a transport message: only the messages before it are delivered', async () => {
    const first = 'hello-0';
    legitimate.add(first);
    const before = delivered.length;
    for (let i = 0; i < 16 + 8; i++) {
      await attack(['ERR_NOISE_DECRYPT'], async () => {
        const { peer, t } = await established();
        peer.send(encodeFrame(t.encrypt(Buffer.from(first, 'latin1'))));
        const ct = t.encrypt(Buffer.from('attack!!', 'latin1'));
        ct[i]! ^= 1 << i % 8;
        peer.send(encodeFrame(ct));
        await within(peer.closed, 3000, 'server closing');
      });
    }
    // A flipped end-of-stream message is not an end either.
    await attack(['ERR_NOISE_DECRYPT'], async () => {
      const { peer, t } = await established();
      peer.send(encodeFrame(t.encrypt(Buffer.from(first, 'latin1'))));
      const eos = t.encrypt(new Uint8Array(0));
      eos[3]! ^= 0x80;
      peer.send(encodeFrame(eos));
      await within(peer.closed, 3000, 'server closing');
    });
    const mine = delivered
      .slice(before)
      .map((c) => Buffer.concat(c).toString('latin1'))
      .filter((m) => !m.startsWith('good client'));
    expect(mine.length).to.equal(25);
    for (const m of mine) expect(m).to.equal(first);
  });

  it('replayed transport messages and a replayed whole session are refused', async () => {
    const first = 'replay-me';
    legitimate.add(first);
    let transcript: Uint8Array[] = [];
    await attack(['ERR_NOISE_DECRYPT'], async () => {
      const peer = new RawPeer(port);
      const hs = new HandshakeState({ protocol, initiator: true, staticKeyPair: attackerKey });
      const m1 = encodeFrame(hs.writeMessage());
      peer.send(m1);
      hs.readMessage(await peer.nextFrame());
      const m3 = encodeFrame(hs.writeMessage());
      const t = hs.split();
      const d = encodeFrame(t.encrypt(Buffer.from(first, 'latin1')));
      peer.send(m3);
      peer.send(d);
      peer.send(d); // replay of the same transport message
      transcript = [m1, m3, d];
      await within(peer.closed, 3000, 'server closing');
    });
    // The whole client side of that session, replayed on a new connection: the server's new
    // ephemeral makes message 3 undecryptable.
    await attack(['ERR_NOISE_DECRYPT'], async () => {
      const peer = new RawPeer(port);
      peer.send(transcript[0]!);
      await peer.nextFrame();
      peer.send(transcript[1]!);
      peer.send(transcript[2]!);
      await within(peer.closed, 3000, 'server closing');
    });
  });

  it('slowloris: silent and byte-dripping clients hit the handshake timeout', async () => {
    await attack(['ERR_NOISE_HANDSHAKE_TIMEOUT'], async () => {
      const peer = new RawPeer(port);
      await within(peer.closed, 3000, 'server closing');
    });
    await attack(['ERR_NOISE_HANDSHAKE_TIMEOUT'], async () => {
      const peer = new RawPeer(port);
      const probe = new HandshakeState({ protocol, initiator: true, staticKeyPair: attackerKey });
      const m1 = encodeFrame(probe.writeMessage());
      let i = 0;
      const drip = setInterval(() => i < m1.length && peer.send(m1.subarray(i, ++i)), 50);
      await within(peer.closed, 3000, 'server closing').finally(() => clearInterval(drip));
      expect(i).to.be.below(m1.length);
    });
  });

  it('one address cannot take every handshake slot with idle connections (maxHandshakesPerAddress): a client from another address is served', async function () {
    const { server: slots, port: slotsPort } = await startServer({ protocol, staticKeyPair: serverKey, maxConcurrentHandshakes: 20, maxHandshakesPerAddress: 4 }, (s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    const idle: net.Socket[] = [];
    const errors: string[] = [];
    slots.on('connectionError', (e: NoiseError) => errors.push(e.message));
    try {
      // 20 connections from 127.0.0.1 that never send a byte: 4 get a handshake slot, 16 are closed at once
      for (let i = 0; i < 20; i++) {
        const s = net.connect({ port: slotsPort, host: HOST });
        s.on('error', () => {});
        idle.push(s);
        await once(s, 'connect');
      }
      await within((async () => {
        while (slots.stats.refused < 16) await new Promise((r) => setTimeout(r, 10));
      })(), 5000, 'the refusals');
      expect(slots.stats.handshaking).to.equal(4);
      expect(errors.filter((m) => /127\.0\.0\.1 already runs 4 handshakes \(maxHandshakesPerAddress\)/.test(m))).to.have.length(16);
      // another host (127.0.0.2 on the loopback) still gets a slot and a whole handshake
      const raw = net.connect({ port: slotsPort, host: HOST, localAddress: '127.0.0.2' });
      const c = connect({ protocol, socket: raw, staticKeyPair: generateKeyPair() });
      const got: Buffer[] = [];
      c.on('data', (d: Buffer) => got.push(d));
      const closed = new Promise<string | undefined>((resolve) => {
        let err: string | undefined;
        c.on('error', (e: NoiseError) => (err = e.code));
        c.on('close', () => resolve(err));
      });
      c.end('from another host');
      expect(await within(closed, 5000, 'the other host')).to.equal(undefined);
      expect(Buffer.concat(got).toString()).to.equal('from another host');
    } finally {
      for (const s of idle) s.destroy();
      await stopServer(slots);
    }
  });

  it('1000 concurrent handshakes: each completes or is refused cleanly; the limit holds', async function () {
    const MAX = 64;
    const N = 1000;
    // A slow (asynchronous) verifyRemote keeps handshakes in progress, so the limit is reached.
    const verifyRemote = () => new Promise<boolean>((r) => setTimeout(() => r(true), 200));
    // All clients come from 127.0.0.1: the per-address share is raised to the whole limit here.
    const { server: busy, port: busyPort } = await startServer({ protocol, staticKeyPair: serverKey, maxConcurrentHandshakes: MAX, maxHandshakesPerAddress: MAX, verifyRemote }, (s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    let maxSeen = 0;
    busy.netServer.on('connection', () => (maxSeen = Math.max(maxSeen, busy.stats.handshaking)));
    const refusedErrors: string[] = [];
    busy.on('connectionError', (e: NoiseError) => refusedErrors.push(e.code));
    try {
      const clientKey = generateKeyPair();
      const outcomes = await within(
        Promise.all(
          Array.from({ length: N }, (_, i) => {
            const msg = `c${i}`;
            return new Promise<'ok' | string>((resolve) => {
              const c = connect({ protocol, host: HOST, port: busyPort, staticKeyPair: clientKey, handshakeTimeout: 30_000 });
              const got: Buffer[] = [];
              let err: string | undefined;
              c.on('data', (d: Buffer) => got.push(d));
              c.on('error', (e: NoiseError) => (err = e.code));
              c.on('close', () => resolve(err ?? (Buffer.concat(got).toString() === msg ? 'ok' : 'wrong echo')));
              c.end(msg);
            });
          }),
        ),
        60_000,
        '1000 concurrent clients',
      );
      const ok = outcomes.filter((o) => o === 'ok').length;
      const refused = outcomes.filter((o) => o !== 'ok');
      const stats = busy.stats;
      console.log(`      1000 concurrent: ${ok} completed, ${refused.length} refused (limit ${MAX}, max running seen ${maxSeen})`);
      expect(outcomes.filter((o) => o === 'wrong echo')).to.deep.equal([]);
      for (const r of refused) expect(['ERR_NOISE_TRUNCATED', 'ERR_NOISE_SOCKET']).to.include(r);
      expect(ok + refused.length).to.equal(N);
      expect(refused.length, 'the limit was reached').to.be.above(0);
      expect(ok).to.be.at.least(MAX);
      expect(stats.secured).to.equal(ok);
      expect(stats.refused).to.equal(refused.length);
      expect(refusedErrors.every((c) => c === 'ERR_NOISE_TOO_MANY_HANDSHAKES')).to.equal(true);
      expect(maxSeen).to.be.at.most(MAX);
      expect(stats.handshaking).to.equal(0);
    } finally {
      await stopServer(busy);
    }
    await goodClient();
  });
});
