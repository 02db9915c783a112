/**
 * DatagramSession (the socket-free handshake driver of datagram mode, spec 11.4) in memory:
 * duplicates get the SAME reply bytes (never a second handshake answer), acknowledgements stop
 * the initiator's retransmission, early transport packets are dropped, and nonce exhaustion
 * ends sending (a new handshake is needed) instead of wrapping.
 */
import { expect } from 'chai';
import { HandshakeState, DatagramSession, UdpSession, generateKeyPair, NoiseError, MAX_NONCE, type TransportState, type HandshakeLike } from '../src/index.js';

const enc = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const PROTOCOL = 'Noise_XX_25519_ChaChaPoly_BLAKE2s';

/** A HandshakeState that remembers the TransportState it split into. */
function capturing(hs: HandshakeState): HandshakeLike & { transport?: TransportState } {
  const out = Object.create(hs) as HandshakeLike & { transport?: TransportState };
  Object.defineProperties(out, {
    action: { get: () => hs.action },
    isFinished: { get: () => hs.isFinished },
    handshakeHash: { get: () => hs.handshakeHash },
    remoteStaticKey: { get: () => hs.remoteStaticKey },
  });
  out.writeMessage = (p) => hs.writeMessage(p);
  out.readMessage = (m) => hs.readMessage(m);
  out.destroy = () => hs.destroy();
  out.split = () => (out.transport = hs.split());
  return out;
}

function pair() {
  // As src/net/udp.ts makes them: a forged packet must not end a datagram handshake.
  const ih = capturing(new HandshakeState({ protocol: PROTOCOL, initiator: true, staticKeyPair: generateKeyPair(), retryAfterFailedRead: true }));
  const rh = capturing(new HandshakeState({ protocol: PROTOCOL, initiator: false, staticKeyPair: generateKeyPair(), retryAfterFailedRead: true }));
  return { i: new DatagramSession(ih, true), r: new DatagramSession(rh, false), ih, rh };
}

describe('DatagramSession', () => {
  it('XX with every packet duplicated: same reply bytes, acks, and retransmission stops once acknowledged', () => {
    const { i, r } = pair();
    const m1 = i.start();
    expect(i.retransmit(), 'waiting for message 2').to.equal(m1);
    const [m2] = r.handle(m1).reply;
    expect(hex(r.handle(m1).reply[0]!), 'duplicate message 1 -> the same message 2').to.equal(hex(m2!));
    const res = i.handle(m2!);
    const m3 = res.reply[0]!;
    expect(i.established && !i.confirmed).to.equal(true);
    expect(hex(i.handle(m2!).reply[0]!), 'duplicate message 2 -> the same message 3').to.equal(hex(m3));
    expect(i.retransmit(), 'message 3 until acknowledged').to.equal(m3);
    const fin = r.handle(m3);
    expect(fin.established).to.equal(true);
    const ack = fin.reply[0]!;
    expect(ack[0]).to.equal(0x02);
    const ack2 = r.handle(m3).reply[0]!;
    expect(hex(ack2)).to.not.equal(hex(ack)); // a fresh acknowledgement (new nonce)
    expect(i.handle(ack).data, 'an ack is not delivered').to.equal(undefined);
    expect(i.confirmed).to.equal(true);
    expect(i.retransmit()).to.equal(undefined);
    const again = i.handle(ack2);
    expect([again.data, again.dropped], 'a second ack: a new nonce, accepted, not delivered').to.deep.equal([undefined, undefined]);
    const d = i.send(enc('data'));
    expect(new TextDecoder().decode(r.handle(d).data!)).to.equal('data');
    expect(r.handle(d).dropped).to.equal('replay');
  });

  it('NN (the initiator finishes by reading): it resends fresh acknowledgements until the responder answers one', () => {
    const nn = 'Noise_NN_25519_ChaChaPoly_BLAKE2s';
    const i = new DatagramSession(new HandshakeState({ protocol: nn, initiator: true, retryAfterFailedRead: true }), true);
    const r = new DatagramSession(new HandshakeState({ protocol: nn, initiator: false, retryAfterFailedRead: true }), false);
    const [m2] = r.handle(i.start()).reply;
    expect(r.established && !r.confirmed, 'responder: finished, waiting for the acknowledgement').to.equal(true);
    const ack = i.handle(m2!).reply[0]!;
    expect(ack[0]).to.equal(0x02);
    expect(i.established && !i.confirmed, 'initiator: the responder has not heard from it yet').to.equal(true);
    // The first acknowledgement is lost: the timer sends a fresh one (a copy would be a replay
    // for a responder that got the first one and whose answer was lost).
    const ack2 = i.retransmit()!;
    expect(ack2[0]).to.equal(0x02);
    expect(hex(ack2)).to.not.equal(hex(ack));
    const answer = r.handle(ack2);
    expect([answer.dropped, answer.data, r.confirmed]).to.deep.equal([undefined, undefined, true]);
    expect(answer.reply, 'the responder answers an acknowledgement').to.have.length(1);
    expect(answer.reply[0]![0]).to.equal(0x02);
    const heard = i.handle(answer.reply[0]!);
    expect([heard.dropped, heard.data, heard.reply.length]).to.deep.equal([undefined, undefined, 0]);
    expect(i.confirmed).to.equal(true);
    expect(i.retransmit(), 'no more acknowledgements once answered').to.equal(undefined);
    expect(r.handle(ack).dropped, 'the lost acknowledgement, arriving late, is just an old nonce').to.equal(undefined);
  });

  it('verifyPeer: after the peer\'s last message, nothing is sent until accept() (XX: message 3; the responder: its acknowledgement)', () => {
    const ih = new HandshakeState({ protocol: PROTOCOL, initiator: true, staticKeyPair: generateKeyPair(), retryAfterFailedRead: true });
    const rh = new HandshakeState({ protocol: PROTOCOL, initiator: false, staticKeyPair: generateKeyPair(), retryAfterFailedRead: true });
    const i = new DatagramSession(ih, true, {}, { verifyPeer: true });
    const r = new DatagramSession(rh, false, {}, { verifyPeer: true });
    const m1 = i.start();
    const first = r.handle(m1);
    expect([first.verify, first.reply.length], 'message 1 is not the initiator\'s last').to.deep.equal([undefined, 1]);
    const m2 = first.reply[0]!;
    const held = i.handle(m2);
    expect([held.verify, held.reply.length, i.remoteStaticKey !== undefined]).to.deep.equal([true, 0, true]);
    expect(i.retransmit(), 'nothing to resend while the peer is checked').to.equal(undefined);
    expect(i.handle(m2).reply, 'a duplicate of message 2 gets nothing either').to.deep.equal([]);
    const [m3] = i.accept();
    expect(() => i.accept()).to.throw(NoiseError);
    expect(i.retransmit(), 'message 3 until acknowledged').to.equal(m3);
    const last = r.handle(m3!);
    expect([last.verify, last.reply.length, r.confirmed]).to.deep.equal([true, 0, false]);
    const [ack] = r.accept();
    expect(r.confirmed).to.equal(true);
    i.handle(ack!);
    expect(i.confirmed).to.equal(true);
    expect(hex(i.handshakeHash!)).to.equal(hex(r.handshakeHash!));
  });

  it('transport packets before the handshake finished are dropped; a forged handshake message changes nothing', () => {
    const { i, r } = pair();
    const m1 = i.start();
    expect(r.handle(Uint8Array.from([0x02, ...new Uint8Array(40)])).dropped).to.equal('not-established');
    const [m2] = r.handle(m1).reply;
    const forged = m2!.slice();
    forged[forged.length - 1]! ^= 1;
    expect(i.handle(forged).dropped).to.equal('handshake-rejected');
    expect(i.handle(m2!).reply).to.have.length(1);
    expect(r.handle(new Uint8Array(0)).dropped).to.equal('malformed');
  });

  it('nonce exhaustion: the last nonce goes out, then ERR_NOISE_NONCE_EXHAUSTED; nothing wraps', () => {
    const { i, r, ih } = pair();
    const [m2] = r.handle(i.start()).reply;
    const [m3] = i.handle(m2!).reply;
    i.handle(r.handle(m3!).reply[0]!);
    ih.transport!.send.setNonce(MAX_NONCE - 1n);
    const last = i.send(enc('last'));
    expect(new TextDecoder().decode(r.handle(last).data!)).to.equal('last');
    expect(() => i.send(enc('more'))).to.throw(NoiseError).with.property('code', 'ERR_NOISE_NONCE_EXHAUSTED');
    expect(() => i.send(enc('more'))).to.throw(NoiseError).with.property('code', 'ERR_NOISE_NONCE_EXHAUSTED');
  });

  it('UdpSession: nonce exhaustion closes the session (a new handshake is needed), it never wraps', () => {
    const { i, r, ih } = pair();
    const [m2] = r.handle(i.start()).reply;
    const [m3] = i.handle(m2!).reply;
    i.handle(r.handle(m3!).reply[0]!);
    const sent: Uint8Array[] = [];
    let closedByOwner = false;
    const udp = new UdpSession(i, (p) => sent.push(p), () => (closedByOwner = true), { address: '127.0.0.1', port: 1 }, undefined, 0);
    ih.transport!.send.setNonce(MAX_NONCE - 1n);
    udp.send(enc('last'));
    expect(new TextDecoder().decode(r.handle(sent[0]!).data!)).to.equal('last');
    expect(() => udp.send(enc('wrap?'))).to.throw(NoiseError).with.property('code', 'ERR_NOISE_NONCE_EXHAUSTED');
    expect(udp.closed && closedByOwner).to.equal(true);
    expect(sent).to.have.length(1);
  });
});
