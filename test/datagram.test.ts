/**
 * DatagramTransport (spec 11.4 explicit nonces, 11.3 rekey, 5.1 nonce limit). Where bytes are
 * compared, the reference is a plain TransportState of an identical session (same fixed keys),
 * i.e. the vector-verified engine, never the code under test.
 */
import { expect } from 'chai';
import { errorCode } from './support/errors.js';
import {
  HandshakeState, DatagramTransport, MAX_NONCE, NONCE_LENGTH, keyPairFromPrivate,
  type TransportState, type DatagramOptions,
} from '../src/index.js';
import { kFixedEphemeral } from '../src/engine/internal.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const PROTOCOL = 'Noise_XX_25519_ChaChaPoly_BLAKE2s';
const key = (byte: number) => keyPairFromPrivate(new Uint8Array(32).fill(byte));

/** A finished XX session; with `fixed`, the same keys every time (so two sessions are identical). */
function session(fixed = false): [TransportState, TransportState] {
  const i = new HandshakeState({ protocol: PROTOCOL, initiator: true, staticKeyPair: key(1), ...(fixed ? { [kFixedEphemeral]: key(3) } : {}) });
  const r = new HandshakeState({ protocol: PROTOCOL, initiator: false, staticKeyPair: key(2), ...(fixed ? { [kFixedEphemeral]: key(4) } : {}) });
  r.readMessage(i.writeMessage());
  i.readMessage(r.writeMessage());
  r.readMessage(i.writeMessage());
  return [i.split(), r.split()];
}

function datagramPair(opts: DatagramOptions = {}, fixed = false): [DatagramTransport, DatagramTransport, TransportState, TransportState] {
  const [a, b] = session(fixed);
  return [new DatagramTransport(a, opts), new DatagramTransport(b, opts), a, b];
}

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const code = errorCode;

describe('DatagramTransport', () => {
  it('each datagram is the 8-byte big-endian nonce followed by the ciphertext the engine makes at that nonce', () => {
    const [a] = datagramPair({}, true);
    const [plain] = session(true);
    for (let n = 0; n < 3; n++) {
      const d = a.encrypt(enc(`m${n}`));
      expect(new DataView(d.buffer).getBigUint64(0)).to.equal(BigInt(n));
      expect(hex(d.subarray(NONCE_LENGTH))).to.equal(hex(plain.encrypt(enc(`m${n}`))));
    }
  });

  it('delivers 3,000 datagrams shuffled (displacement < window) exactly once; duplicates are ERR_NOISE_REPLAY', () => {
    const [a, b] = datagramPair();
    const rnd = prng(1);
    const sent = Array.from({ length: 3000 }, (_, i) => a.encrypt(enc(`msg ${i}`)));
    // Shuffle in chunks of 1,500, so no datagram is delayed by more than the 2,048 window.
    const order: Uint8Array[] = [];
    for (let c = 0; c < sent.length; c += 1500) {
      const chunk = sent.slice(c, c + 1500);
      for (let i = chunk.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [chunk[i], chunk[j]] = [chunk[j]!, chunk[i]!];
      }
      order.push(...chunk);
    }
    const got = new Set<string>();
    for (const d of order) {
      const text = dec(b.decrypt(d));
      expect(got.has(text)).to.equal(false);
      got.add(text);
      expect(code(() => b.decrypt(d))).to.equal('ERR_NOISE_REPLAY');
    }
    expect(got.size).to.equal(3000);
    expect(b.stats).to.include({ received: 3000, replayed: 3000, forged: 0 });
  });

  it('a forged or damaged datagram is ERR_NOISE_DECRYPT and burns nothing: the genuine one is still accepted', () => {
    const [a, b] = datagramPair();
    const d = a.encrypt(enc('genuine'));
    for (const pos of [0, 7, 8, d.length - 1]) {
      const bad = d.slice();
      bad[pos]! ^= 1;
      expect(code(() => b.decrypt(bad)), `byte ${pos}`).to.be.oneOf(['ERR_NOISE_DECRYPT', 'ERR_NOISE_REPLAY']);
    }
    expect(code(() => b.decrypt(d.subarray(0, 20)))).to.equal('ERR_NOISE_MALFORMED_MESSAGE');
    expect(code(() => b.decrypt(new Uint8Array(NONCE_LENGTH + 65536)))).to.equal('ERR_NOISE_MESSAGE_TOO_LONG');
    expect(b.highestReceived).to.equal(-1n);
    expect(dec(b.decrypt(d))).to.equal('genuine');
  });

  it('a datagram older than the window is refused even if never seen', () => {
    const [a, b] = datagramPair();
    const first = a.encrypt(enc('old'));
    let last = first;
    for (let i = 0; i < 2048; i++) last = a.encrypt(enc('x'));
    b.decrypt(last);
    expect(code(() => b.decrypt(first))).to.equal('ERR_NOISE_REPLAY');
    expect(b.stats.tooOld).to.equal(1);
  });

  it('nonce exhaustion: 2^64-2 is the last nonce sent, then ERR_NOISE_NONCE_EXHAUSTED, never a wrap', () => {
    const [a, b, ta] = datagramPair();
    ta.send.setNonce(MAX_NONCE - 1n);
    const last = a.encrypt(enc('last'));
    expect(new DataView(last.buffer).getBigUint64(0)).to.equal(MAX_NONCE - 1n);
    expect(dec(b.decrypt(last))).to.equal('last');
    expect(code(() => a.encrypt(enc('one more')))).to.equal('ERR_NOISE_NONCE_EXHAUSTED');
    expect(a.sendNonce).to.equal(MAX_NONCE);
    const forged = new Uint8Array(40);
    new DataView(forged.buffer).setBigUint64(0, MAX_NONCE);
    expect(code(() => b.decrypt(forged))).to.equal('ERR_NOISE_REPLAY');
  });

  describe('rekey policy (section 11.3)', () => {
    it('rekeyInterval 1000 (as BOLT 8): nonce n uses REKEY^floor(n/1000) of the Split() key, like CipherState.rekey()', () => {
      const [a] = datagramPair({ rekeyInterval: 1000 }, true);
      const [plain] = session(true);
      for (let n = 0; n < 2501; n++) {
        if (n > 0 && n % 1000 === 0) plain.rekeySend();
        const d = a.encrypt(enc(`m${n}`));
        const ref = plain.encrypt(enc(`m${n}`));
        if (n % 500 === 0) expect(hex(d.subarray(NONCE_LENGTH)), `nonce ${n}`).to.equal(hex(ref));
      }
    });

    it('both sides rekey by policy with reordering across epoch boundaries; a receiver without the policy fails after the first epoch', () => {
      const [a, b] = datagramPair({ rekeyInterval: 100 });
      const rnd = prng(7);
      const sent = Array.from({ length: 1000 }, (_, i) => a.encrypt(enc(`m${i}`)));
      const order = sent.map((d, i) => ({ d, k: i + rnd() * 300 })).sort((x, y) => x.k - y.k).map((x) => x.d);
      const got = new Set(order.map((d) => dec(b.decrypt(d))));
      expect(got.size).to.equal(1000);
      // The mismatched receiver: epoch 0 decrypts, epoch 1 does not.
      const [c] = datagramPair({ rekeyInterval: 100 }, true);
      const [, plainRx] = datagramPair({}, true);
      const msgs = Array.from({ length: 101 }, (_, i) => c.encrypt(enc(`m${i}`)));
      expect(dec(plainRx.decrypt(msgs[99]!))).to.equal('m99');
      expect(code(() => plainRx.decrypt(msgs[100]!))).to.equal('ERR_NOISE_DECRYPT');
    });

    it('rekeyNow(): explicit rekey jumps to the next epoch; the receiver follows without a signal', () => {
      const [a, b] = datagramPair({ rekeyInterval: 1000 });
      const d0 = a.encrypt(enc('before'));
      a.rekeyNow();
      expect(a.sendNonce).to.equal(1000n);
      const d1 = a.encrypt(enc('after'));
      a.rekeyNow();
      a.rekeyNow();
      const d3 = a.encrypt(enc('two epochs later'));
      expect(new DataView(d3.buffer).getBigUint64(0)).to.equal(3000n);
      expect(dec(b.decrypt(d3))).to.equal('two epochs later');
      expect(dec(b.decrypt(d1))).to.equal('after');
      expect(code(() => b.decrypt(d0)), 'older than the window').to.equal('ERR_NOISE_REPLAY');
      const [x] = datagramPair();
      expect(code(() => x.rekeyNow())).to.equal('ERR_NOISE_INVALID_STATE');
    });

    it('by default a genuine jump of 64 epochs is followed, one of 65 refused before any REKEY work (maxRekeySkip 64)', () => {
      for (const [jump, ok] of [[64, true], [65, false]] as const) {
        const [a, b] = datagramPair({ rekeyInterval: 10 });
        for (let i = 0; i < jump; i++) a.rekeyNow();
        const d = a.encrypt(enc('far ahead'));
        if (ok) expect(dec(b.decrypt(d))).to.equal('far ahead');
        else expect(() => b.decrypt(d)).to.throw(/jumps more than 64 rekey epochs ahead/);
      }
    });

    it('a datagram claiming a far-future epoch costs no unbounded work and is refused', () => {
      const [, b] = datagramPair({ rekeyInterval: 1, maxRekeySkip: 16 });
      const forged = new Uint8Array(40);
      new DataView(forged.buffer).setBigUint64(0, 1n << 40n);
      expect(code(() => b.decrypt(forged))).to.equal('ERR_NOISE_DECRYPT');
    });
  });

  it('destroy() wipes and refuses further use; a used TransportState is refused', () => {
    const [a] = datagramPair();
    a.destroy();
    expect(code(() => a.encrypt(enc('x')))).to.equal('ERR_NOISE_INVALID_STATE');
    const [t] = session();
    t.encrypt(enc('x'));
    expect(code(() => new DatagramTransport(t))).to.equal('ERR_NOISE_INVALID_STATE');
  });
});
