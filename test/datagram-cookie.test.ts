/**
 * Return-routability cookies of the UDP responder (src/datagram/cookie.ts): a server that
 * requires a cookie answers a message 1 with 33 bytes and no handshake work until the client
 * proves it receives at its source address; the client takes the cookie and completes.
 */
import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import { createHash, randomBytes } from 'node:crypto';
import { createUdpServer, DatagramSession, HandshakeState } from '../src/index.js';
import { udpFixture } from './support/udp-fixture.js';
import { CookieJar, COOKIE_EPOCH_MS, COOKIE_LENGTH, COOKIE_TAG_LENGTH, checkCookiePolicy, cookieTag } from '../src/datagram/cookie.js';
import { COOKIE_REPLY_LENGTH, decodePacket, encodeCookie, encodeCookieEcho, encodeHandshake, PACKET_COOKIE, PACKET_HANDSHAKE } from '../src/datagram/packet.js';

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

  /** Sends a genuine message 1 from each of `n` fresh ports, one after the other; the kind of each first reply. */
  async function firstReplies(port: number, n: number): Promise<number[]> {
    const kinds: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await raw();
      r.sock.send(messageOne(), port, '127.0.0.1');
      kinds.push((await r.next())[0]!);
    }
    return kinds;
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
      expect(() => jar.make('192.0.2.1', 4000), 'make() after destroy()').to.throw().with.property('code', 'ERR_NOISE_INVALID_STATE');
    });

    it('the policy option: always, under-load (the default), never; anything else is ERR_NOISE_INVALID_ARGUMENT, also from createUdpServer', () => {
      expect(checkCookiePolicy(undefined)).to.equal('under-load');
      for (const p of ['always', 'under-load', 'never'] as const) expect(checkCookiePolicy(p)).to.equal(p);
      for (const bad of ['sometimes', true, 1, null]) {
        expect(() => checkCookiePolicy(bad), String(bad)).to.throw().with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
        expect(() => createUdpServer({ staticKeyPair: fx.serverKey, cookies: bad as never })).to.throw().with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
      }
    });

    it('packets: a cookie reply is 33 bytes (cookie, tag); an echo wraps a handshake packet; anything else of those kinds is malformed', () => {
      const cookie = randomBytes(COOKIE_LENGTH);
      const tag = randomBytes(COOKIE_TAG_LENGTH);
      const reply = encodeCookie(cookie, tag);
      expect(reply).to.have.length(33);
      expect(COOKIE_REPLY_LENGTH).to.equal(33);
      expect(decodePacket(reply)).to.deep.equal({ kind: 'cookie', cookie: new Uint8Array(cookie), tag: new Uint8Array(tag) });
      const inner = encodeHandshake(0, Uint8Array.of(9, 9, 9));
      const echo = encodeCookieEcho(cookie, inner);
      const d = decodePacket(echo);
      expect(d.kind).to.equal('cookie-echo');
      expect(d.kind === 'cookie-echo' && [...d.inner]).to.deep.equal([...inner]);
      expect(() => decodePacket(reply.subarray(0, COOKIE_REPLY_LENGTH - 1))).to.throw().with.property('code', 'ERR_NOISE_MALFORMED_MESSAGE');
      expect(() => decodePacket(Uint8Array.of(...reply, 0))).to.throw().with.property('code', 'ERR_NOISE_MALFORMED_MESSAGE');
      const notHandshake = Uint8Array.from(echo);
      notHandshake[1 + COOKIE_LENGTH] = 0x02;
      expect(() => decodePacket(notHandshake)).to.throw().with.property('code', 'ERR_NOISE_MALFORMED_MESSAGE');
      expect(() => encodeCookie(cookie.subarray(1), tag)).to.throw().with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
      expect(() => encodeCookie(cookie, tag.subarray(1))).to.throw().with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
      expect([...cookieTag(inner)], 'the tag: SHA-256 of the message 1 packet, first 16 bytes').to.deep.equal([...createHash('sha256').update(inner).digest().subarray(0, 16)]);
    });
  });

  it("cookies: 'always': a message 1 gets a 33-byte cookie reply tagged with it and no handshake; echoed from the same port it gets message 2; from another port, or spoiled, another cookie", async () => {
    const { srv, port } = await server({ cookies: 'always' });
    const a = await raw();
    const m1 = messageOne();
    a.sock.send(m1, port, '127.0.0.1');
    const reply = await a.next();
    expect(reply[0]).to.equal(PACKET_COOKIE);
    expect(reply.length, 'no amplification').to.equal(COOKIE_REPLY_LENGTH).and.below(m1.length);
    expect([...reply.subarray(1 + COOKIE_LENGTH)], 'the tag of this message 1').to.deep.equal([...cookieTag(m1)]);
    expect(srv.pendingHandshakes, 'no state kept').to.equal(0);
    expect(srv.cookiesSent).to.equal(1);
    const cookie = reply.subarray(1, 1 + COOKIE_LENGTH);
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
    // A bare copy of the pending handshake's message 1 (a replay: the client wraps its
    // retransmissions) gets nothing; a wrapped one gets message 2 again.
    let dropped = srv.dropped;
    a.sock.send(m1, port, '127.0.0.1');
    await sleep(50);
    expect(a.got, 'a bare copy: no answer').to.have.length(0);
    expect(srv.dropped).to.equal(dropped + 1);
    a.sock.send(encodeCookieEcho(cookie, m1), port, '127.0.0.1');
    expect([...(await a.next()).subarray(0, 2)], 'a wrapped copy: message 2').to.deep.equal([PACKET_HANDSHAKE, 1]);
    // A packet of no more than 33 bytes gets nothing; of 34, a cookie reply.
    const c = await raw();
    dropped = srv.dropped;
    c.sock.send(Buffer.concat([Buffer.from([PACKET_HANDSHAKE, 0]), randomBytes(31)]), port, '127.0.0.1');
    await sleep(50);
    expect(c.got, '33 bytes: no answer').to.have.length(0);
    expect(srv.dropped).to.equal(dropped + 1);
    c.sock.send(Buffer.concat([Buffer.from([PACKET_HANDSHAKE, 0]), randomBytes(32)]), port, '127.0.0.1');
    expect((await c.next()).length, '34 bytes: a cookie reply').to.equal(COOKIE_REPLY_LENGTH);
  });

  it("cookies: 'always': udpConnect takes the cookie and completes; data flows both ways", async () => {
    const { srv, port } = await server({ cookies: 'always' });
    // A slow retransmission timer: a stalled event loop must not resend the bare message 1 first.
    const c = await client(port, { retransmitInterval: 1000 });
    expect(c.stats.cookies).to.equal(1);
    const echoed = new Promise<Uint8Array>((r) => c.once('message', r));
    c.send(new TextEncoder().encode('through the cookie'));
    expect(new TextDecoder().decode(await echoed)).to.equal('through the cookie');
    expect(srv.cookiesSent).to.equal(1);
    expect(srv.sessions).to.have.length(1);
  });

  it("cookies: 'under-load' (the default) asks for them once maxSessions / 8 handshakes are pending; 'never' never does", async () => {
    const { srv, port } = await server({ maxSessions: 16 }); // under load from 2 pending handshakes
    const replies = await firstReplies(port, 3);
    expect(replies, 'message 2, message 2, then a cookie').to.deep.equal([PACKET_HANDSHAKE, PACKET_HANDSHAKE, PACKET_COOKIE]);
    expect(srv.pendingHandshakes).to.equal(2);
    const c = await client(port);
    expect(c.stats.cookies, 'an honest client gets in with a cookie').to.equal(1);

    const never = await server({ maxSessions: 16, cookies: 'never' });
    expect(await firstReplies(never.port, 3)).to.deep.equal([PACKET_HANDSHAKE, PACKET_HANDSHAKE, PACKET_HANDSHAKE]);
    expect(never.srv.cookiesSent).to.equal(0);
    expect(never.srv.pendingHandshakes).to.equal(3);
  });

  it('a nearly full table asks for cookies too: established sessions holding 15 of 16 slots, the message 1 that takes the last one is the last answered without a cookie', async () => {
    const { srv, port } = await server({ maxSessions: 16 }); // under load from 2 pending handshakes
    for (let i = 0; i < 15; i++) await client(port);
    expect(srv.sessions).to.have.length(15);
    const replies = await firstReplies(port, 3);
    expect(replies, 'message 2 (the last slot), then cookie replies (full)').to.deep.equal([PACKET_HANDSHAKE, PACKET_COOKIE, PACKET_COOKIE]);
    const honest = await client(port);
    expect(honest.stats.cookies, 'an honest client displaces the pending handshake behind its cookie').to.equal(1);
    expect(srv.sessions).to.have.length(16);
  });

  it('maxSessions must be a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => createUdpServer({ staticKeyPair: fx.serverKey, maxSessions: bad }), String(bad)).to.throw().with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
    }
  });

  it('the client takes only a reply tagged with its own message 1, resends at once for at most 4 new cookies, ignores a repeated one, and takes none after message 2', () => {
    const hs = new HandshakeState({ protocol: XX, initiator: true, staticKeyPair: fx.clientKey, retryAfterFailedRead: true });
    const session = new DatagramSession(hs, true);
    const first = session.start();
    const tag = cookieTag(first);
    // Without the tag of our message 1 (a forger who has not seen it): nothing happens.
    expect(session.handle(encodeCookie(randomBytes(COOKIE_LENGTH), cookieTag(messageOne())))).to.deep.include({ reply: [], dropped: 'unexpected-cookie' });
    expect(session.stats.cookies).to.equal(0);
    const resent: Uint8Array[] = [];
    for (let i = 0; i < 10; i++) {
      const cookie = randomBytes(COOKIE_LENGTH);
      const r = session.handle(encodeCookie(cookie, tag));
      resent.push(...r.reply);
      if (i === 0) {
        expect(session.handle(encodeCookie(cookie, tag)), 'the same cookie again').to.deep.include({ reply: [], dropped: 'unexpected-cookie' });
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
    expect(session.handle(encodeCookie(randomBytes(COOKIE_LENGTH), tag))).to.deep.include({ dropped: 'unexpected-cookie' });
    expect(responder.handle(encodeCookie(randomBytes(COOKIE_LENGTH), tag)), 'a responder takes no cookie').to.deep.include({ dropped: 'unexpected-cookie' });
    // A client never receives a wrapped handshake packet: message 2 wrapped is no duplicate to answer.
    const before = session.stats.duplicateHandshakes;
    expect(session.handle(encodeCookieEcho(randomBytes(COOKIE_LENGTH), m2[0]!))).to.deep.include({ reply: [], dropped: 'unexpected-cookie' });
    expect(session.stats.duplicateHandshakes).to.equal(before);
    session.destroy();
    responder.destroy();
  });

  it('a session answers at most 16 duplicates of a handshake message (a retransmitting client needs about 8)', () => {
    const responder = new DatagramSession(new HandshakeState({ protocol: XX, initiator: false, staticKeyPair: fx.serverKey }), false);
    const m1 = messageOne();
    expect(responder.handle(m1).reply).to.have.length(1);
    let answers = 0;
    for (let i = 0; i < 40; i++) answers += responder.handle(m1).reply.length;
    expect(answers).to.equal(16);
    expect(responder.stats.duplicateHandshakes).to.equal(40);
    responder.destroy();
  });
});
