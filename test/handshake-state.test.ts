/**
 * HandshakeState (spec 5.3, 9.2): rollback after bad messages, key requirements, message limits,
 * the psk rule that `e` also does MixKey (checked against cacophony's psk vectors, with a mutated
 * control that must fail), one-way transport, and turn order.
 */
import { expect } from 'chai';
import * as crypto from 'node:crypto';
import { HandshakeState, generateKeyPair, NoiseError, nodeBackend, resolveSuite, type KeyPair } from '../src/index.js';
import type { CryptoBackend } from '../src/crypto/types.js';
import { stablelibBackend } from '../src/crypto/stablelib.js';
import { concat } from '../src/bytes.js';
import { loadVectorFile } from '../src/vectors/format.js';
import { runVector } from '../src/vectors/run.js';
import { vectorFile, VECTORS_DIR } from './support/vectors-dir.js';
import { errorCode } from './support/errors.js';

const enc = (s: string) => new TextEncoder().encode(s);

function pair(protocol: string, opts: { i?: Partial<ConstructorParameters<typeof HandshakeState>[0]>; r?: Partial<ConstructorParameters<typeof HandshakeState>[0]> } = {}) {
  return [
    new HandshakeState({ protocol, initiator: true, ...opts.i }),
    new HandshakeState({ protocol, initiator: false, ...opts.r }),
  ] as const;
}

function complete(a: HandshakeState, b: HandshakeState): void {
  let [w, r] = [a, b];
  while (!a.isFinished || !b.isFinished) {
    r.readMessage(w.writeMessage(enc('payload')));
    [w, r] = [r, w];
  }
}

describe('HandshakeState', () => {
  it('a payload never aliases the caller\'s message: without a key, small or large, or when a cipher decrypts in place', () => {
    // A backend of the caller's own whose cipher "decrypts" to a view of its input (identity
    // cipher: the payload is read from the ciphertext in place, tag ignored).
    const inPlace: CryptoBackend = {
      name: 'in-place',
      dh: () => undefined,
      hash: () => undefined,
      cipher: (name) =>
        name === 'ChaChaPoly'
          ? {
              name,
              init: () => ({
                encrypt: (_n, _ad, pt) => concat(pt, new Uint8Array(16)),
                decrypt: (_n, _ad, ct) => ct.subarray(0, ct.length - 16),
                wipe: () => {},
              }),
            }
          : undefined,
    };
    type Backend = ConstructorParameters<typeof HandshakeState>[0]['backend'];
    const cases: [string, Backend, number][] = [
      ['no key, small message', 'auto', 10],
      ['no key, large message', 'auto', 200],
      ['in-place cipher, large message', [inPlace, stablelibBackend], 200],
    ];
    for (const [what, backend, size] of cases) {
      const payload = crypto.randomBytes(size);
      const [i, r] = pair('Noise_NN_25519_ChaChaPoly_BLAKE2s', { i: { backend }, r: { backend } });
      const m1 = new Uint8Array(i.writeMessage(payload)); // message 1: no key yet
      const got1 = r.readMessage(m1);
      m1.fill(0xee);
      const m2 = new Uint8Array(r.writeMessage(payload)); // message 2: keyed (ee)
      const got2 = i.readMessage(m2);
      m2.fill(0xee);
      expect(Buffer.from(got1).equals(payload), `${what}: message 1 payload`).to.equal(true);
      expect(Buffer.from(got2).equals(payload), `${what}: message 2 payload`).to.equal(true);
    }
  });

  let si: KeyPair;
  let sr: KeyPair;
  before(() => {
    si = generateKeyPair();
    sr = generateKeyPair();
  });

  for (const backend of ['node', 'stablelib'] as const) {
    it(`${backend}: a message that fails to read ends the handshake (5.3): the genuine one is refused, fallback() remains`, () => {
      for (const spoil of [(m: Uint8Array) => (m[40]! ^= 0x55, m), (m: Uint8Array) => m.subarray(0, 40), (m: Uint8Array) => m.fill(0, 0, 32)]) {
        const [a, b] = pair('Noise_XX_25519_ChaChaPoly_BLAKE2s', { i: { staticKeyPair: si, backend }, r: { staticKeyPair: sr, backend } });
        b.readMessage(a.writeMessage());
        const m2 = b.writeMessage(enc('hello from responder'));
        const code = errorCode(() => a.readMessage(spoil(m2.slice())));
        expect(['ERR_NOISE_DECRYPT', 'ERR_NOISE_MALFORMED_MESSAGE', 'ERR_NOISE_DH']).to.include(code);
        expect(a.action).to.equal('done');
        expect(errorCode(() => a.readMessage(m2))).to.equal('ERR_NOISE_INVALID_STATE');
        expect(errorCode(() => a.writeMessage())).to.equal('ERR_NOISE_INVALID_STATE');
        expect(errorCode(() => a.split())).to.equal('ERR_NOISE_INVALID_STATE');
        expect(a.fallback().pattern.name).to.equal('XXfallback'); // Alice's ephemeral of message 1 is kept for it
        a.destroy();
      }
    });

    it(`${backend}: IKpsk2 falls back to XXfallback without psks by default; with a psk modifier it carries them (10.2)`, () => {
      const psk = crypto.randomBytes(32);
      const stale = generateKeyPair('25519', backend); // the key Alice thinks Bob has
      const alice = new HandshakeState({ protocol: 'Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s', initiator: true, staticKeyPair: si, remoteStaticKey: stale.publicKey, psks: [psk], backend });
      const m1 = alice.writeMessage();
      for (const [fallbackProtocol, psks] of [[undefined, 0], ['Noise_XXfallback+psk2_25519_ChaChaPoly_BLAKE2s', 1]] as const) {
        const bob = new HandshakeState({ protocol: 'Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s', initiator: false, staticKeyPair: sr, psks: [psk], backend });
        expect(errorCode(() => bob.readMessage(m1))).to.equal('ERR_NOISE_DECRYPT');
        const bobFb = bob.fallback({ failedMessage: m1, protocol: fallbackProtocol });
        const aliceFb = alice.fallback({ protocol: fallbackProtocol });
        expect(bobFb.pattern.name).to.equal(psks ? 'XXfallback+psk2' : 'XXfallback');
        complete(bobFb, aliceFb);
        expect(Buffer.from(bobFb.handshakeHash).equals(Buffer.from(aliceFb.handshakeHash))).to.equal(true);
      }
    });

    it(`${backend}: with retryAfterFailedRead, a tampered message is dropped and the state rolls back, so the genuine message still works (XX)`, () => {
      const [a, b] = pair('Noise_XX_25519_ChaChaPoly_BLAKE2s', { i: { staticKeyPair: si, backend, retryAfterFailedRead: true }, r: { staticKeyPair: sr, backend, retryAfterFailedRead: true } });
      b.readMessage(a.writeMessage());
      const m2 = b.writeMessage(enc('hello from responder'));
      const hBefore = a.handshakeHash;
      for (const pos of [0, 32, 40, m2.length - 1]) {
        const bad = m2.slice();
        bad[pos]! ^= 0x80;
        // Flipping a bit of the ephemeral changes the DH; elsewhere it breaks a tag. Either way: typed error.
        expect(() => a.readMessage(bad)).to.throw(NoiseError).with.property('code', 'ERR_NOISE_DECRYPT');
        expect(Buffer.from(a.handshakeHash).equals(Buffer.from(hBefore)), 'h unchanged').to.equal(true);
        expect(a.remoteStaticKey).to.equal(undefined);
        expect(a.action).to.equal('read');
      }
      expect(() => a.readMessage(m2.subarray(0, 40))).to.throw(NoiseError).with.property('code', 'ERR_NOISE_MALFORMED_MESSAGE');
      expect(new TextDecoder().decode(a.readMessage(m2))).to.equal('hello from responder');
      const m3 = a.writeMessage(enc('final'));
      const bad3 = m3.slice();
      bad3[10]! ^= 1;
      expect(() => b.readMessage(bad3)).to.throw(NoiseError).with.property('code', 'ERR_NOISE_DECRYPT');
      expect(b.remoteStaticKey).to.equal(undefined);
      expect(new TextDecoder().decode(b.readMessage(m3))).to.equal('final');
      expect(Buffer.from(a.remoteStaticKey!).equals(Buffer.from(sr.publicKey))).to.equal(true);
      expect(Buffer.from(b.remoteStaticKey!).equals(Buffer.from(si.publicKey))).to.equal(true);
      const ta = a.split();
      const tb = b.split();
      expect(Buffer.from(ta.handshakeHash).equals(Buffer.from(tb.handshakeHash))).to.equal(true);
      expect(new TextDecoder().decode(tb.decrypt(ta.encrypt(enc('transport'))))).to.equal('transport');
      expect(new TextDecoder().decode(ta.decrypt(tb.encrypt(enc('reply'))))).to.equal('reply');
    });
  }

  it('a wrong psk fails the handshake with ERR_NOISE_DECRYPT; with retryAfterFailedRead the right one then succeeds (rollback)', () => {
    const psk = crypto.randomBytes(32);
    for (const retryAfterFailedRead of [false, true]) {
      const [a, b] = pair('Noise_NNpsk0_25519_ChaChaPoly_SHA256', { i: { psks: [psk] }, r: { psks: [psk], retryAfterFailedRead } });
      const [evil] = pair('Noise_NNpsk0_25519_ChaChaPoly_SHA256', { i: { psks: [crypto.randomBytes(32)] }, r: { psks: [psk] } });
      expect(() => b.readMessage(evil.writeMessage(enc('x')))).to.throw(NoiseError).with.property('code', 'ERR_NOISE_DECRYPT');
      if (!retryAfterFailedRead) {
        expect(errorCode(() => b.readMessage(a.writeMessage(enc('x'))))).to.equal('ERR_NOISE_INVALID_STATE');
        continue;
      }
      complete(a, b);
      expect(Buffer.from(a.handshakeHash).equals(Buffer.from(b.handshakeHash))).to.equal(true);
    }
  });

  describe('with any psk, every e token also does MixKey (9.2)', () => {
    const file = vectorFile('cacophony.txt');
    it('cacophony psk vectors pass, and the same vectors with one psk byte changed fail', function () {
      if (!file) this.skip();
      const psk = loadVectorFile(file!).filter((v) => v.protocolName.includes('psk'));
      expect(psk.length).to.be.greaterThan(100);
      for (const v of psk.slice(0, 40)) {
        expect(runVector(v, 'node').status, v.protocolName).to.equal('passed');
        const mutated = { ...v, init: { ...v.init, psks: v.init.psks.map((p) => p.map((b, i) => (i === 0 ? b ^ 1 : b))) } };
        expect(runVector(mutated, 'node').status, `${v.protocolName} with a different psk`).to.equal('failed');
      }
    });
    if (!file) it(`(vectors not found in ${VECTORS_DIR})`, function () { this.skip(); });
  });

  it('never modifies caller-supplied Buffers (psks, keys) when it wipes its own copies', () => {
    // Buffer#slice is a view, not a copy: a regression here wiped the caller's psk after the handshake.
    const psk = Buffer.from(crypto.randomBytes(32));
    const pskCopy = Buffer.from(psk);
    const kp = { publicKey: Buffer.from(si.publicKey), privateKey: Buffer.from(si.privateKey) };
    const privCopy = Buffer.from(kp.privateKey);
    const [a, b] = pair('Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s', { i: { staticKeyPair: kp, psks: [psk] }, r: { staticKeyPair: sr, psks: [psk] } });
    complete(a, b);
    a.split().destroy();
    a.destroy();
    expect(psk.equals(pskCopy)).to.equal(true);
    expect(kp.privateKey.equals(privCopy)).to.equal(true);
  });

  it('refuses to start without the keys the pattern needs, with ERR_NOISE_MISSING_KEY', () => {
    expect(() => new HandshakeState({ protocol: 'Noise_XX_25519_ChaChaPoly_BLAKE2s', initiator: true })).to.throw(NoiseError).with.property('code', 'ERR_NOISE_MISSING_KEY');
    expect(() => new HandshakeState({ protocol: 'Noise_IK_25519_ChaChaPoly_BLAKE2s', initiator: true, staticKeyPair: si })).to.throw(NoiseError).with.property('code', 'ERR_NOISE_MISSING_KEY');
    expect(() => new HandshakeState({ protocol: 'Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s', initiator: true, staticKeyPair: si })).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_PSK');
    expect(() => new HandshakeState({ protocol: 'Noise_NNpsk0_25519_ChaChaPoly_BLAKE2s', initiator: true, psks: [new Uint8Array(31)] })).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_PSK');
    expect(() => new HandshakeState({ protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s', initiator: true, remoteStaticKey: sr.publicKey })).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_KEY');
    expect(() => new HandshakeState({ protocol: 'Noise_NK_25519_ChaChaPoly_BLAKE2s', initiator: true, remoteStaticKey: new Uint8Array(31) })).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_KEY');
    expect(() => new HandshakeState({ protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s', initiator: true, ephemeralKeyPair: generateKeyPair() })).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_KEY');
  });

  it('resolves a named backend\'s suite once (frozen, shared); a backend list each time; unknown names stay errors', () => {
    const names = { dh: '25519', cipher: 'ChaChaPoly', hash: 'BLAKE2s' };
    const a = resolveSuite(names, 'stablelib');
    expect(resolveSuite({ ...names }, 'stablelib')).to.equal(a);
    expect(Object.isFrozen(a)).to.equal(true);
    expect(resolveSuite(names, 'node')).to.not.equal(a);
    expect(resolveSuite(names, 'node').dh).to.equal(nodeBackend.dh('25519'));
    expect(resolveSuite({ ...names, hash: 'SHA256' }, 'stablelib').hash).to.equal(stablelibBackend.hash('SHA256'));
    const list = [stablelibBackend];
    expect(resolveSuite(names, list)).to.not.equal(resolveSuite(names, list));
    expect(resolveSuite(names, list)).to.deep.equal(a);
    for (let i = 0; i < 2; i++) {
      expect(() => resolveSuite({ ...names, cipher: 'Foo' }, 'stablelib'))
        .to.throw(NoiseError, 'cipher "Foo" is not supported by backend stablelib')
        .with.property('code', 'ERR_NOISE_UNSUPPORTED_ALGORITHM');
    }
  });

  it('names unknown algorithms and patterns with typed errors', () => {
    expect(() => new HandshakeState({ protocol: 'Noise_XX_25519_Foo_BLAKE2s', initiator: true })).to.throw(NoiseError).with.property('code', 'ERR_NOISE_UNSUPPORTED_ALGORITHM');
    expect(() => new HandshakeState({ protocol: 'Noise_QQ_25519_ChaChaPoly_BLAKE2s', initiator: true })).to.throw(NoiseError).with.property('code', 'ERR_NOISE_UNKNOWN_PATTERN');
    expect(() => new HandshakeState({ protocol: 'Noise_XX', initiator: true })).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_PROTOCOL_NAME');
  });

  it('enforces turn order and the 65535-byte message limit (3), leaving the state usable', () => {
    const [a, b] = pair('Noise_NN_25519_ChaChaPoly_SHA256');
    expect(() => b.writeMessage()).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_STATE');
    expect(() => a.readMessage(new Uint8Array(48))).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_STATE');
    // Message 1 of NN is e (32) + cleartext payload: at most 65535 - 32 bytes of payload.
    expect(() => a.writeMessage(new Uint8Array(65535 - 32 + 1))).to.throw(NoiseError).with.property('code', 'ERR_NOISE_MESSAGE_TOO_LONG');
    const m1 = a.writeMessage(new Uint8Array(65535 - 32));
    expect(m1.length).to.equal(65535);
    b.readMessage(m1);
    expect(() => a.readMessage(new Uint8Array(65536))).to.throw(NoiseError).with.property('code', 'ERR_NOISE_MESSAGE_TOO_LONG');
    a.readMessage(b.writeMessage());
    expect(a.action).to.equal('split');
    const t = a.split();
    expect(a.action).to.equal('done');
    expect(() => a.split()).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_STATE');
    expect(() => t.encrypt(new Uint8Array(65520))).to.throw(NoiseError).with.property('code', 'ERR_NOISE_MESSAGE_TOO_LONG');
    expect(t.encrypt(new Uint8Array(65519)).length).to.equal(65535);
  });

  it('one-way patterns: only the sender may encrypt transport messages (7.4)', () => {
    const [a, b] = pair('Noise_N_25519_ChaChaPoly_SHA256', { i: { remoteStaticKey: sr.publicKey }, r: { staticKeyPair: sr } });
    b.readMessage(a.writeMessage(enc('one-way')));
    const ta = a.split();
    const tb = b.split();
    expect(new TextDecoder().decode(tb.decrypt(ta.encrypt(enc('data'))))).to.equal('data');
    expect(() => tb.encrypt(enc('reply'))).to.throw(NoiseError).with.property('code', 'ERR_NOISE_ONE_WAY');
    // The second CipherState is discarded (7.4): nothing can be sent with it, not even directly.
    expect(errorCode(() => tb.send.encryptWithAd(new Uint8Array(0), enc('reply')))).to.equal('ERR_NOISE_INVALID_STATE');
    expect(errorCode(() => ta.receive.decryptWithAd(new Uint8Array(0), new Uint8Array(16)))).to.equal('ERR_NOISE_INVALID_STATE');
    expect(errorCode(() => tb.rekeySend())).to.equal('ERR_NOISE_ONE_WAY');
    expect(errorCode(() => ta.rekeyRecv())).to.equal('ERR_NOISE_ONE_WAY');
    ta.rekeySend();
    tb.rekeyRecv();
    expect(new TextDecoder().decode(tb.decrypt(ta.encrypt(enc('after rekey'))))).to.equal('after rekey');
  });

  it('transport rekey on both sides keeps the channel working; one-sided rekey breaks it (11.3)', () => {
    const [a, b] = pair('Noise_NN_25519_AESGCM_SHA512');
    complete(a, b);
    const ta = a.split();
    const tb = b.split();
    ta.rekeySend();
    const ct = ta.encrypt(enc('after rekey'));
    expect(() => tb.decrypt(ct)).to.throw(NoiseError).with.property('code', 'ERR_NOISE_DECRYPT');
    tb.rekeyRecv();
    expect(new TextDecoder().decode(tb.decrypt(ct))).to.equal('after rekey');
  });

  it('runs every interactive base pattern, and its psk2 variant, generically (keys chosen by the 7.5 naming rules)', () => {
    let ran = 0;
    for (const name of ['NN', 'NK', 'NX', 'XN', 'XK', 'XX', 'KN', 'KK', 'KX', 'IN', 'IK', 'IX', 'NK1', 'NX1', 'X1N', 'X1K', 'XK1', 'X1K1',
      'X1X', 'XX1', 'X1X1', 'K1N', 'K1K', 'KK1', 'K1K1', 'K1X', 'KX1', 'K1X1', 'I1N', 'I1K', 'IK1', 'I1K1', 'I1X', 'IX1', 'I1X1']) {
      // First letter: the initiator's static is N(one), K(nown), X(mitted) or I(mmediate); second: the responder's.
      const [, ini, res] = /^([NKXI])1?([NKX])1?$/.exec(name)!;
      for (const modifier of ['', 'psk2']) {
        const psk = crypto.randomBytes(32);
        const psks = modifier ? [psk] : [];
        const [a, b] = pair(`Noise_${name}${modifier}_25519_ChaChaPoly_BLAKE2s`, {
          i: { staticKeyPair: ini === 'N' ? undefined : si, remoteStaticKey: res === 'K' ? sr.publicKey : undefined, psks },
          r: { staticKeyPair: res === 'N' ? undefined : sr, remoteStaticKey: ini === 'K' ? si.publicKey : undefined, psks },
        });
        complete(a, b);
        expect(Buffer.from(a.handshakeHash).equals(Buffer.from(b.handshakeHash)), name + modifier).to.equal(true);
        if (ini !== 'N') expect(Buffer.from(b.remoteStaticKey!).equals(Buffer.from(si.publicKey)), name).to.equal(true);
        if (res !== 'N') expect(Buffer.from(a.remoteStaticKey!).equals(Buffer.from(sr.publicKey)), name).to.equal(true);
        ran++;
      }
    }
    expect(ran).to.equal(70);
  });
});
