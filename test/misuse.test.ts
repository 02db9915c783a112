/**
 * API misuse: a destroyed state never passes data through, and bad arguments give a typed
 * NoiseError with its code, never a TypeError from deep inside or a silently unauthenticated
 * message. Expected outcomes are the documented error codes (src/errors.ts), and for the X448
 * low-order points the all-zero output of section 12.2 (what OpenSSL's refusal maps to).
 */
import { expect } from 'chai';
import {
  applyModifiers, BACKENDS, CipherState, generateKeyPair, HalfDuplexTransport, HandshakeState, hkdf, NoiseError,
  parsePattern, resolveSuite, validatePattern, type BackendChoice, type TransportState, builtinPatterns, PatternRegistry,
} from '../src/index.js';
import { loadSodiumBackend } from '../src/crypto/sodium.js';

/** Runs `f` and returns the NoiseError code it throws (fails the test on anything else). */
function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(NoiseError);
    return (err as NoiseError).code;
  }
  expect.fail('expected a NoiseError, nothing was thrown');
}

const backends: BackendChoice[] = ['stablelib', 'node', 'auto', ...(loadSodiumBackend() ? (['sodium'] as const) : [])];

function pair(protocol: string, backend: BackendChoice = 'auto', opts: { i?: object; r?: object } = {}): [HandshakeState, HandshakeState] {
  return [new HandshakeState({ protocol, initiator: true, backend, ...opts.i }), new HandshakeState({ protocol, initiator: false, backend, ...opts.r })];
}

function finishedPair(protocol = 'Noise_NN_25519_ChaChaPoly_BLAKE2s', backend: BackendChoice = 'auto'): [TransportState, TransportState] {
  const [i, r] = pair(protocol, backend);
  r.readMessage(i.writeMessage());
  i.readMessage(r.writeMessage());
  return [i.split(), r.split()];
}

describe('API misuse', () => {
  describe('destroy() ends a state for good', () => {
    it('HandshakeState: write, read, split and fallback throw ERR_NOISE_INVALID_STATE; action is done', () => {
      const [i, r] = pair('Noise_NN_25519_ChaChaPoly_BLAKE2s');
      const m1 = i.writeMessage();
      r.readMessage(m1);
      r.destroy();
      expect(r.action).to.equal('done');
      expect(codeOf(() => r.writeMessage(new TextEncoder().encode('secret')))).to.equal('ERR_NOISE_INVALID_STATE');
      i.destroy();
      expect(codeOf(() => i.readMessage(new Uint8Array(48)))).to.equal('ERR_NOISE_INVALID_STATE');
      expect(codeOf(() => i.split())).to.equal('ERR_NOISE_INVALID_STATE');
      expect(codeOf(() => i.fallback())).to.equal('ERR_NOISE_INVALID_STATE');
    });

    it('HandshakeState finished but not split: destroy() leaves action done and split refused', () => {
      const [i, r] = pair('Noise_NN_25519_ChaChaPoly_BLAKE2s');
      r.readMessage(i.writeMessage());
      i.readMessage(r.writeMessage());
      i.destroy();
      expect(i.action).to.equal('done');
      expect(codeOf(() => i.split())).to.equal('ERR_NOISE_INVALID_STATE');
      expect(codeOf(() => i.writeMessage())).to.equal('ERR_NOISE_INVALID_STATE');
    });

    it('X1X message 3 (`-> s` only) after destroy(): nothing is written, no key or payload in the clear', () => {
      const protocol = 'Noise_X1X_25519_ChaChaPoly_BLAKE2s';
      const [i, r] = pair(protocol, 'auto', { i: { staticKeyPair: generateKeyPair() }, r: { staticKeyPair: generateKeyPair() } });
      r.readMessage(i.writeMessage());
      i.readMessage(r.writeMessage());
      expect(i.action).to.equal('write');
      i.destroy();
      expect(codeOf(() => i.writeMessage(new TextEncoder().encode('payload')))).to.equal('ERR_NOISE_INVALID_STATE');
    });

    for (const backend of backends) {
      it(`TransportState (${String(backend)}): encrypt and decrypt after destroy() throw ERR_NOISE_INVALID_STATE`, () => {
        const [a, b] = finishedPair('Noise_NN_25519_ChaChaPoly_BLAKE2b', backend);
        const ct = a.encrypt(new TextEncoder().encode('before'));
        a.destroy();
        b.destroy();
        expect(codeOf(() => a.encrypt(new TextEncoder().encode('attack at dawn')))).to.equal('ERR_NOISE_INVALID_STATE');
        expect(codeOf(() => b.decrypt(ct))).to.equal('ERR_NOISE_INVALID_STATE');
        expect(codeOf(() => b.decrypt(new TextEncoder().encode('forged forged forged')))).to.equal('ERR_NOISE_INVALID_STATE');
      });
    }

    it('HalfDuplexTransport: after destroy() it refuses; the TransportState it took over refuses the wiped direction', () => {
      const [a, b] = finishedPair();
      const ha = new HalfDuplexTransport(a, { acknowledgeStrictAlternation: true, initiator: true });
      const hb = new HalfDuplexTransport(b, { acknowledgeStrictAlternation: true, initiator: false });
      // The initiator's receive CipherState was wiped by the wrapper: it must not pass data through.
      expect(codeOf(() => a.decrypt(new Uint8Array(20)))).to.equal('ERR_NOISE_INVALID_STATE');
      hb.decrypt(ha.encrypt(new TextEncoder().encode('one')));
      hb.destroy();
      expect(codeOf(() => hb.encrypt(new TextEncoder().encode('two')))).to.equal('ERR_NOISE_INVALID_STATE');
      ha.destroy();
      expect(codeOf(() => ha.decrypt(new Uint8Array(20)))).to.equal('ERR_NOISE_INVALID_STATE');
    });

    it('HalfDuplexTransport refuses the transport of a one-way pattern (ERR_NOISE_ONE_WAY) and non-transports', () => {
      const s = generateKeyPair();
      const i = new HandshakeState({ protocol: 'Noise_N_25519_ChaChaPoly_BLAKE2s', initiator: true, remoteStaticKey: s.publicKey });
      const r = new HandshakeState({ protocol: 'Noise_N_25519_ChaChaPoly_BLAKE2s', initiator: false, staticKeyPair: s });
      r.readMessage(i.writeMessage());
      const recipient = r.split();
      expect(recipient.canSend).to.equal(false);
      expect(codeOf(() => new HalfDuplexTransport(recipient, { acknowledgeStrictAlternation: true, initiator: false }))).to.equal('ERR_NOISE_ONE_WAY');
      expect(codeOf(() => new HalfDuplexTransport(i.split(), { acknowledgeStrictAlternation: true, initiator: true }))).to.equal('ERR_NOISE_ONE_WAY');
      expect(codeOf(() => new HalfDuplexTransport({} as TransportState, { acknowledgeStrictAlternation: true, initiator: true }))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    });

    it('CipherState: wipe() stops the key-less pass-through; a new key brings it back', () => {
      const cs = new CipherState(BACKENDS.stablelib.cipher('ChaChaPoly')!);
      const data = new Uint8Array([1, 2, 3]);
      expect(cs.encryptWithAd(new Uint8Array(0), data)).to.equal(data); // section 5.1: no key, no encryption
      cs.wipe();
      expect(codeOf(() => cs.encryptWithAd(new Uint8Array(0), data))).to.equal('ERR_NOISE_INVALID_STATE');
      expect(codeOf(() => cs.decryptWithAd(new Uint8Array(0), data))).to.equal('ERR_NOISE_INVALID_STATE');
      cs.initializeKey(new Uint8Array(32).fill(9));
      const peer = new CipherState(BACKENDS.stablelib.cipher('ChaChaPoly')!, new Uint8Array(32).fill(9));
      expect(peer.decryptWithAd(new Uint8Array(0), cs.encryptWithAd(new Uint8Array(0), data))).to.deep.equal(data);
    });
  });

  describe('associated data must be bytes', () => {
    for (const backend of backends) {
      it(`${String(backend)}: a string, number, array or null ad is ERR_NOISE_INVALID_ARGUMENT, never authenticated by length only`, () => {
        const [a, b] = finishedPair('Noise_NN_25519_ChaChaPoly_BLAKE2b', backend);
        const pt = new TextEncoder().encode('user=alice');
        const good = a.encrypt(pt, new TextEncoder().encode('ctx'));
        for (const ad of ['user=alice;role=user', 12345, [1, 2, 3], null]) {
          expect(codeOf(() => a.encrypt(pt, ad as unknown as Uint8Array)), String(ad)).to.equal('ERR_NOISE_INVALID_ARGUMENT');
          expect(codeOf(() => b.decrypt(good, ad as unknown as Uint8Array)), String(ad)).to.equal('ERR_NOISE_INVALID_ARGUMENT');
        }
        expect(b.decrypt(good, new TextEncoder().encode('ctx'))).to.deep.equal(pt); // the refusals changed nothing
      });
    }

    it('CipherState and HalfDuplexTransport check ad and data too, with and without a key', () => {
      const cs = new CipherState(BACKENDS.node.cipher('ChaChaPoly')!);
      expect(codeOf(() => cs.encryptWithAd('x' as unknown as Uint8Array, new Uint8Array(1)))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      expect(codeOf(() => cs.encryptWithAd(new Uint8Array(0), null as unknown as Uint8Array))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      cs.initializeKey(new Uint8Array(32));
      expect(codeOf(() => cs.encryptWithAd(7 as unknown as Uint8Array, new Uint8Array(1)))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      expect(codeOf(() => cs.decryptWithAd(new Uint8Array(0), 'x'.repeat(20) as unknown as Uint8Array))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      expect(cs.nonce).to.equal(0n);
      const [a] = finishedPair();
      const h = new HalfDuplexTransport(a, { acknowledgeStrictAlternation: true, initiator: true });
      expect(codeOf(() => h.encrypt(new Uint8Array(1), 'ad' as unknown as Uint8Array))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      expect(h.myTurn).to.equal(true);
    });
  });

  describe('X448 low-order public keys', () => {
    // p = 2^448 - 2^224 - 1. u = 0, 1, p-1 and the non-canonical p, p+1 are the low-order points
    // (RFC 7748 section 5 reduces u mod p for X448): DH output all zeros (section 12.2).
    const p = (1n << 448n) - (1n << 224n) - 1n;
    const le = (x: bigint): Uint8Array => Uint8Array.from({ length: 56 }, (_, i) => Number((x >> BigInt(8 * i)) & 0xffn));
    const points = { '0': 0n, '1': 1n, 'p-1': p - 1n, p, 'p+1': p + 1n };
    for (const backend of ['stablelib', 'node', 'auto'] as const) {
      it(`${backend}: DH with u = 0, 1, p-1, p, p+1 gives 56 zero bytes, not an exception`, () => {
        const dh = resolveSuite({ dh: '448', cipher: 'ChaChaPoly', hash: 'SHA512' }, backend).dh;
        const kp = dh.generateKeyPair();
        for (const [name, u] of Object.entries(points)) expect(dh.dh(kp, le(u)), name).to.deep.equal(new Uint8Array(56));
        // A valid point still gives a non-zero secret (and the same on both sides).
        const other = dh.generateKeyPair();
        const s = dh.dh(kp, other.publicKey);
        expect(s.some((x) => x !== 0)).to.equal(true);
        expect(dh.dh(other, kp.publicKey)).to.deep.equal(s);
      });
    }

    it('a peer sending an all-zero e in Noise_NN_448: every backend fails with ERR_NOISE_DECRYPT, which ends the handshake (5.3)', () => {
      for (const backend of ['stablelib', 'node', 'auto'] as const) {
        const [i, r] = pair('Noise_NN_448_ChaChaPoly_SHA512', backend);
        r.readMessage(i.writeMessage());
        const m2 = r.writeMessage();
        m2.fill(0, 0, 56); // the responder's e replaced by u = 0
        expect(codeOf(() => i.readMessage(m2)), backend).to.equal('ERR_NOISE_DECRYPT');
        expect(i.action).to.equal('done');
      }
    });
  });

  describe('names and objects that are not algorithms, backends or patterns', () => {
    it("Object.prototype's names are no algorithms: ERR_NOISE_UNSUPPORTED_ALGORITHM on every backend", () => {
      for (const backend of backends) {
        for (const protocol of ['Noise_NN_constructor_ChaChaPoly_BLAKE2s', 'Noise_NN_25519_valueOf_BLAKE2s', 'Noise_NN_25519_ChaChaPoly_toString', 'Noise_NN_isPrototypeOf_ChaChaPoly_SHA256']) {
          expect(codeOf(() => new HandshakeState({ protocol, initiator: true, backend })), `${protocol} ${String(backend)}`).to.equal('ERR_NOISE_UNSUPPORTED_ALGORITHM');
        }
        expect(codeOf(() => generateKeyPair('constructor', backend))).to.equal('ERR_NOISE_UNSUPPORTED_ALGORITHM');
      }
    });

    it('unknown backend names and objects that are not backends: ERR_NOISE_INVALID_ARGUMENT', () => {
      const protocol = 'Noise_NN_25519_ChaChaPoly_BLAKE2s';
      for (const backend of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'bogus', 42, {}, null, [], [{}], { dh: 1, cipher: 2, hash: 3 }]) {
        expect(codeOf(() => new HandshakeState({ protocol, initiator: true, backend: backend as BackendChoice })), JSON.stringify(backend)).to.equal('ERR_NOISE_INVALID_ARGUMENT');
        expect(codeOf(() => generateKeyPair('25519', backend as BackendChoice)), JSON.stringify(backend)).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      }
      // A backend object of the right shape still works, alone or in a list.
      expect(new HandshakeState({ protocol, initiator: true, backend: [BACKENDS.stablelib] }).writeMessage()).to.have.length(32);
    });

    it('pattern objects of the wrong shape: ERR_NOISE_PATTERN_INVALID; pattern text that is not a string: ERR_NOISE_INVALID_ARGUMENT', () => {
      const protocol = 'Noise_NN_25519_ChaChaPoly_BLAKE2s';
      const bad: unknown[] = [
        null, {}, { name: 'NN' }, { name: 'NN', preMessages: [], messages: null },
        { name: 'NN', preMessages: [], messages: [{}] },
        { name: 'NN', preMessages: [], messages: [{ direction: '=>', tokens: ['e'] }] },
        { name: 'NN', preMessages: [], messages: [{ direction: '->', tokens: ['bogus'] }] },
        { name: 'NN', preMessages: [null], messages: [{ direction: '->', tokens: ['e'] }] },
      ];
      for (const pattern of bad) {
        const what = JSON.stringify(pattern);
        expect(codeOf(() => validatePattern(pattern as never)), what).to.equal('ERR_NOISE_PATTERN_INVALID');
        expect(codeOf(() => applyModifiers(pattern as never, ['psk0'])), what).to.equal('ERR_NOISE_PATTERN_INVALID');
        if (pattern !== null) expect(codeOf(() => new HandshakeState({ protocol, initiator: true, pattern: pattern as never })), what).to.equal('ERR_NOISE_PATTERN_INVALID');
      }
      const nn = parsePattern('NN:\n  -> e\n  <- e, ee\n');
      expect(codeOf(() => applyModifiers(nn, 'psk0' as never))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      expect(codeOf(() => parsePattern(5 as never))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      expect(new HandshakeState({ protocol, initiator: true, pattern: nn }).writeMessage()).to.have.length(32);
    });

    it('the registry hands out frozen patterns, so no caller can change XX for the others; bad get() arguments are typed', () => {
      const xx = builtinPatterns().get('XX');
      expect(Object.isFrozen(xx) && Object.isFrozen(xx.messages) && Object.isFrozen(xx.messages[0]!.tokens)).to.equal(true);
      expect(() => (xx.messages as unknown as unknown[]).push({ direction: '->', tokens: ['e'] })).to.throw(TypeError);
      expect(Object.isFrozen(builtinPatterns().get('XX', ['psk3']).messages[2]!.tokens)).to.equal(true);
      const i = new HandshakeState({ protocol: 'Noise_XX_25519_ChaChaPoly_BLAKE2s', initiator: true, staticKeyPair: generateKeyPair() });
      expect(i.writeMessage()).to.have.length(32);
      expect(codeOf(() => builtinPatterns().get('XX', 'psk3' as never))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      expect(codeOf(() => new PatternRegistry().add(null as never))).to.equal('ERR_NOISE_PATTERN_INVALID');
      // A registered pattern is a copy: changing the caller's object afterwards changes nothing.
      const mine = parsePattern('ZZ:\n  -> e\n  <- e, ee\n');
      const reg = new PatternRegistry().add(mine);
      (mine.messages[0]!.tokens as unknown as string[]).push('s');
      expect(reg.get('ZZ').messages[0]!.tokens).to.deep.equal(['e']);
    });

    it('resolveSuite and hkdf with missing arguments: ERR_NOISE_INVALID_ARGUMENT', () => {
      expect(codeOf(() => resolveSuite(null as never))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      expect(codeOf(() => resolveSuite({ dh: '25519' } as never))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      const hash = resolveSuite({ dh: '25519', cipher: 'ChaChaPoly', hash: 'SHA256' }).hash;
      expect(codeOf(() => hkdf(null as never, new Uint8Array(32), new Uint8Array(0), 2))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      expect(codeOf(() => hkdf(hash, null as never, new Uint8Array(0), 2))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      expect(codeOf(() => hkdf(hash, new Uint8Array(32), 'ikm' as never, 2))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      expect(codeOf(() => hkdf(hash, new Uint8Array(32), new Uint8Array(0), 4 as never))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      expect(hkdf(hash, new Uint8Array(32), new Uint8Array(0), 3)).to.have.length(3);
    });
  });
});
