/**
 * Return-routability cookies of the UDP responder (src/datagram/cookie.ts): a server that
 * requires a cookie answers a message 1 with 17 bytes and no handshake work until the client
 * proves it receives at its source address; the client takes the cookie and completes.
 */
import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { createUdpServer, DatagramSession, HandshakeState } from '../src/index.js';
import { udpFixture } from './support/udp-fixture.js';
import { CookieJar, COOKIE_EPOCH_MS, COOKIE_LENGTH, checkCookiePolicy } from '../src/datagram/cookie.js';
import { decodePacket, encodeCookie, encodeCookieEcho, encodeHandshake, PACKET_COOKIE, PACKET_HANDSHAKE } from '../src/datagram/packet.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const XX = 'Noise_XX_25519_ChaChaPoly_BLAKE2s';

describe('UDP cookies (return routability before any handshake work)', function () {
  const fx = udpFixture();
  const { cleanup, server: serverOf, client } = fx;
  /** A server that echoes every datagram. */
  const server = (opts: Parameters<typeof serverOf>[0] = {}) => serverOf(opts, (s) => s.on('message', (m: Uint8Array) => s.send(m)));

  /** A bound UDP socket that records what it receives. */
  async function raw(): Promise<{ sock: Socket; got: Buffer[]; next: () => Promise<Buffer> }> {
    const sock = createSocket('udp4');
    cleanup.push(() => new Promise<void>((r) => sock.close(() => r())));
    const got: Buffer[] = [];
    const waiters: Array<(b: Buffer) => void> = [];
    sock.on('message', (m: Buffer) => {
      const w = waiters.shift();
      if (w) w(m);
      else got.push(m);
    });
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const next = () => {
      const m = got.shift();
      if (m) return Promise.resolve(m);
      return new Promise<Buffer>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no reply within 2 s')), 2000);
        waiters.push((b) => {
          clearTimeout(t);
          resolve(b);
        });
      });
    };
    return { sock, got, next };
  }

  /** A genuine XX message 1 packet (a real ephemeral key, index 0). */
  function messageOne(): Uint8Array {
    const hs = new HandshakeState({ protocol: XX, initiator: true, staticKeyPair: fx.clientKey });
    const packet = encodeHandshake(0, hs.writeMessage());
    hs.destroy();
    return packet;
  }

  describe('CookieJar', () => {
    it('a cookie is good for its address and port only, in its epoch and the next, and for its own jar only', () => {
      let now = 10 * COOKIE_EPOCH_MS + 5;
      const jar = new CookieJar(() => now);
      const c = jar.make('192.0.2.1', 4000);
      expect(c).to.have.length(COOKIE_LENGTH);
      expect(jar.check(c, '192.0.2.1', 4000)).to.equal(true);
      expect(jar.check(c, '192.0.2.1', 4001), 'another port').to.equal(false);
      expect(jar.check(c, '192.0.2.2', 4000), 'another address').to.equal(false);
      expect(jar.check(c, '2001:db8::1', 4000), 'another family').to.equal(false);
      expect(new CookieJar(() => now).check(c, '192.0.2.1', 4000), 'another server').to.equal(false);
      const spoiled = Uint8Array.from(c);
      spoiled[COOKIE_LENGTH - 1]! ^= 1;
      expect(jar.check(spoiled, '192.0.2.1', 4000), 'one bit changed').to.equal(false);
      expect(jar.check(c.subarray(0, COOKIE_LENGTH - 1), '192.0.2.1', 4000), 'too short').to.equal(false);
      now += COOKIE_EPOCH_MS;
      expect(jar.check(c, '192.0.2.1', 4000), 'the next epoch').to.equal(true);
      expect(jar.make('192.0.2.1', 4000), 'a new epoch makes a new cookie').to.not.deep.equal(c);
      now += COOKIE_EPOCH_MS;
      expect(jar.check(c, '192.0.2.1', 4000), 'two epochs later').to.equal(false);
      const fresh = jar.make('192.0.2.1', 4000);
      jar.destroy();
      expect(jar.check(fresh, '192.0.2.1', 4000), 'after destroy()').to.equal(false);
    });

    it('the policy option: always, under-load (the default), never; anything else is ERR_NOISE_INVALID_ARGUMENT, also from createUdpServer', () => {
      expect(checkCookiePolicy(undefined)).to.equal('under-load');
      for (const p of ['always', 'under-load', 'never'] as const) expect(checkCookiePolicy(p)).to.equal(p);
      for (const bad of ['sometimes', true, 1, null]) {
        expect(() => checkCookiePolicy(bad), String(bad)).to.throw().with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
        expect(() => createUdpServer({ staticKeyPair: fx.serverKey, cookies: bad as never })).to.throw().with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
      }
    });

    it('packets: a cookie reply is 17 bytes; an echo wraps a handshake packet; anything else of those kinds is malformed', () => {
      const cookie = randomBytes(COOKIE_LENGTH);
      const reply = encodeCookie(cookie);
      expect(reply).to.have.length(1 + COOKIE_LENGTH);
      expect(decodePacket(reply)).to.deep.equal({ kind: 'cookie', cookie: new Uint8Array(cookie) });
      const inner = encodeHandshake(0, Uint8Array.of(9, 9, 9));
      const echo = encodeCookieEcho(cookie, inner);
      const d = decodePacket(echo);
      expect(d.kind).to.equal('cookie-echo');
      expect(d.kind === 'cookie-echo' && [...d.inner]).to.deep.equal([...inner]);
      expect(() => decodePacket(reply.subarray(0, COOKIE_LENGTH))).to.throw().with.property('code', 'ERR_NOISE_MALFORMED_MESSAGE');
      expect(() => decodePacket(Uint8Array.of(...reply, 0))).to.throw().with.property('code', 'ERR_NOISE_MALFORMED_MESSAGE');
      const notHandshake = Uint8Array.from(echo);
      notHandshake[1 + COOKIE_LENGTH] = 0x02;
      expect(() => decodePacket(notHandshake)).to.throw().with.property('code', 'ERR_NOISE_MALFORMED_MESSAGE');
      expect(() => encodeCookie(cookie.subarray(1))).to.throw().with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
    });
  });

  it("cookies: 'always': a message 1 gets a 17-byte cookie and no handshake; echoed from the same port it gets message 2; from another port, or spoiled, another cookie", async () => {
    const { srv, port } = await server({ cookies: 'always' });
    const a = await raw();
    const m1 = messageOne();
    a.sock.send(m1, port, '127.0.0.1');
    const reply = await a.next();
    expect(reply[0]).to.equal(PACKET_COOKIE);
    expect(reply.length, 'no amplification').to.equal(1 + COOKIE_LENGTH).and.below(m1.length);
    expect(srv.pendingHandshakes, 'no state kept').to.equal(0);
    expect(srv.cookiesSent).to.equal(1);
    const cookie = reply.subarray(1);
    // The same cookie from another port of the same host is not good.
    const b = await raw();
    b.sock.send(encodeCookieEcho(cookie, m1), port, '127.0.0.1');
    expect((await b.next())[0], 'another port: a cookie again').to.equal(PACKET_COOKIE);
    // A spoiled cookie is as none.
    const spoiled = Buffer.from(cookie);
    spoiled[0]! ^= 0x80;
    a.sock.send(encodeCookieEcho(spoiled, m1), port, '127.0.0.1');
    expect((await a.next())[0], 'spoiled: a cookie again').to.equal(PACKET_COOKIE);
    expect(srv.pendingHandshakes).to.equal(0);
    // The right cookie from the right port: the handshake starts.
    a.sock.send(encodeCookieEcho(cookie, m1), port, '127.0.0.1');
    const m2 = await a.next();
    expect([m2[0], m2[1]], 'message 2').to.deep.equal([PACKET_HANDSHAKE, 1]);
    expect(srv.pendingHandshakes).to.equal(1);
    // A different message 1 without a cookie from that port gets a cookie and leaves the handshake alone.
    a.sock.send(messageOne(), port, '127.0.0.1');
    expect((await a.next())[0]).to.equal(PACKET_COOKIE);
    expect(srv.pendingHandshakes).to.equal(1);
    // A packet too short to answer with a cookie gets nothing.
    const dropped = srv.dropped;
    a.sock.send(Uint8Array.of(PACKET_HANDSHAKE, 0, 1, 2), port, '127.0.0.1');
    await sleep(50);
    expect(a.got).to.have.length(0);
    expect(srv.dropped).to.equal(dropped + 1);
  });

  it("cookies: 'always': udpConnect takes the cookie and completes; data flows both ways", async () => {
    const { srv, port } = await server({ cookies: 'always' });
    const c = await client(port);
    expect(c.stats.cookies).to.equal(1);
    const echoed = new Promise<Uint8Array>((r) => c.once('message', r));
    c.send(new TextEncoder().encode('through the cookie'));
    expect(new TextDecoder().decode(await echoed)).to.equal('through the cookie');
    expect(srv.cookiesSent).to.equal(1);
    expect(srv.sessions).to.have.length(1);
  });

  it("cookies: 'under-load' (the default) asks for them once maxSessions / 8 handshakes are pending; 'never' never does", async () => {
    const { srv, port } = await server({ maxSessions: 16 }); // under load from 2 pending handshakes
    const replies: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await raw();
      r.sock.send(messageOne(), port, '127.0.0.1');
      replies.push((await r.next())[0]!);
    }
    expect(replies, 'message 2, message 2, then a cookie').to.deep.equal([PACKET_HANDSHAKE, PACKET_HANDSHAKE, PACKET_COOKIE]);
    expect(srv.pendingHandshakes).to.equal(2);
    const c = await client(port);
    expect(c.stats.cookies, 'an honest client gets in with a cookie').to.equal(1);

    const never = await server({ maxSessions: 16, cookies: 'never' });
    for (let i = 0; i < 3; i++) {
      const r = await raw();
      r.sock.send(messageOne(), never.port, '127.0.0.1');
      expect((await r.next())[0]).to.equal(PACKET_HANDSHAKE);
    }
    expect(never.srv.cookiesSent).to.equal(0);
    expect(never.srv.pendingHandshakes).to.equal(3);
  });

  it('the client resends message 1 at once for at most 4 new cookies (forged ones included), ignores a repeated one, and takes none after the reply', () => {
    const hs = new HandshakeState({ protocol: XX, initiator: true, staticKeyPair: fx.clientKey, retryAfterFailedRead: true });
    const session = new DatagramSession(hs, true);
    const first = session.start();
    const resent: Uint8Array[] = [];
    for (let i = 0; i < 10; i++) {
      const cookie = randomBytes(COOKIE_LENGTH);
      const r = session.handle(encodeCookie(cookie));
      resent.push(...r.reply);
      if (i === 0) {
        expect(session.handle(encodeCookie(cookie)), 'the same cookie again').to.deep.include({ reply: [], dropped: 'unexpected-cookie' });
      }
    }
    expect(resent, 'at most 4 at once').to.have.length(4);
    for (const p of resent) expect([...p.subarray(1 + COOKIE_LENGTH)], 'message 1 inside').to.deep.equal([...first]);
    // The latest cookie is used by the retransmission timer.
    const again = session.retransmit()!;
    expect(again[0]).to.equal(0x04);
    expect(session.stats.cookies).to.equal(10);
    // A responder answers; after its message 2 a cookie reply is out of place.
    const responder = new DatagramSession(new HandshakeState({ protocol: XX, initiator: false, staticKeyPair: fx.serverKey }), false);
    const m2 = responder.handle(again).reply;
    expect(m2).to.have.length(1);
    session.handle(m2[0]!);
    expect(session.handle(encodeCookie(randomBytes(COOKIE_LENGTH)))).to.deep.include({ dropped: 'unexpected-cookie' });
    expect(responder.handle(encodeCookie(randomBytes(COOKIE_LENGTH))), 'a responder takes no cookie').to.deep.include({ dropped: 'unexpected-cookie' });
    session.destroy();
    responder.destroy();
  });
});
