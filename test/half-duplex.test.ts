/**
 * Half-duplex mode (spec 11.5): explicit opt-in, strict alternation enforced (out-of-turn sends
 * and receives refused), and both directions really use the first Split() CipherState with one
 * shared nonce (checked against a full-duplex session with the same keys).
 */
import { expect } from 'chai';
import { errorCode } from './support/errors.js';
import { HandshakeState, HalfDuplexTransport, keyPairFromPrivate, type TransportState } from '../src/index.js';
import { kFixedEphemeral } from '../src/engine/internal.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const key = (byte: number) => keyPairFromPrivate(new Uint8Array(32).fill(byte));

function session(): [TransportState, TransportState] {
  const p = 'Noise_NN_25519_ChaChaPoly_SHA256';
  const i = new HandshakeState({ protocol: p, initiator: true, [kFixedEphemeral]: key(5) });
  const r = new HandshakeState({ protocol: p, initiator: false, [kFixedEphemeral]: key(6) });
  r.readMessage(i.writeMessage());
  i.readMessage(r.writeMessage());
  return [i.split(), r.split()];
}

function pair(firstSender?: 'initiator' | 'responder'): [HalfDuplexTransport, HalfDuplexTransport] {
  const [a, b] = session();
  return [
    new HalfDuplexTransport(a, { acknowledgeStrictAlternation: true, initiator: true, firstSender }),
    new HalfDuplexTransport(b, { acknowledgeStrictAlternation: true, initiator: false, firstSender }),
  ];
}

const code = errorCode;

describe('HalfDuplexTransport (spec 11.5)', () => {
  it('needs the explicit opt-in', () => {
    const [a] = session();
    expect(code(() => new HalfDuplexTransport(a, {} as never))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    expect(code(() => new HalfDuplexTransport(a, { acknowledgeStrictAlternation: 'yes', initiator: true } as never))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
  });

  it('refuses to send out of turn (and to receive when it should send); the refusal changes nothing', () => {
    const [a, b] = pair();
    expect(code(() => b.encrypt(enc('responder first?')))).to.equal('ERR_NOISE_INVALID_STATE');
    expect(code(() => a.decrypt(new Uint8Array(16)))).to.equal('ERR_NOISE_INVALID_STATE');
    const m = a.encrypt(enc('one'));
    expect(code(() => a.encrypt(enc('two in a row')))).to.equal('ERR_NOISE_INVALID_STATE');
    expect(a.nonce).to.equal(1n);
    expect(dec(b.decrypt(m))).to.equal('one');
    expect(code(() => a.encrypt(enc('still not my turn')))).to.equal('ERR_NOISE_INVALID_STATE');
    expect(dec(a.decrypt(b.encrypt(enc('reply'))))).to.equal('reply');
  });

  it('alternates for 20 messages with firstSender responder; a tampered message is refused without losing the turn', () => {
    const [a, b] = pair('responder');
    let [tx, rx] = [b, a];
    for (let i = 0; i < 20; i++) {
      const m = tx.encrypt(enc(`m${i}`));
      const bad = m.slice();
      bad[0]! ^= 1;
      expect(code(() => rx.decrypt(bad))).to.equal('ERR_NOISE_DECRYPT');
      expect(dec(rx.decrypt(m))).to.equal(`m${i}`);
      [tx, rx] = [rx, tx];
    }
    expect(a.nonce).to.equal(20n);
    expect(b.nonce).to.equal(20n);
  });

  it('both directions use the first CipherState with one counter (compared with a full-duplex session of the same keys)', () => {
    const [a, b] = pair();
    const [full] = session(); // identical keys: full.send is the same c1
    const m0 = a.encrypt(enc('from initiator'));
    expect(hex(m0)).to.equal(hex(full.encrypt(enc('from initiator'))));
    b.decrypt(m0);
    const m1 = b.encrypt(enc('from responder'));
    expect(hex(m1), 'nonce 1 of c1, not nonce 0 of c2').to.equal(hex(full.encrypt(enc('from responder'))));
    const [, fr] = session(); // the responder's full-duplex sender is c2: not what half-duplex uses
    expect(hex(m1)).to.not.equal(hex(fr.encrypt(enc('from responder'))));
  });

  it('wipes the unused second CipherState', () => {
    const [a, b] = session();
    new HalfDuplexTransport(a, { acknowledgeStrictAlternation: true, initiator: true });
    new HalfDuplexTransport(b, { acknowledgeStrictAlternation: true, initiator: false });
    expect(a.receive.hasKey()).to.equal(false);
    expect(b.send.hasKey()).to.equal(false);
  });
});
