/**
 * In-process interop with the reference C implementation (noise-c compiled to wasm), issue #2.
 *
 * For every combination, noisekit and noise-c each generate their own keys (noise-c's static
 * keys come from noise-c's CreateKeyPair, ours from generateKeyPair), use a random prologue and
 * random payloads, run the handshake message by message, and then check:
 * - every payload arrives unchanged on the other side;
 * - both sides want to split after the same message, and the handshake hashes are equal;
 * - each side learned the other's real static public key (when the pattern gives it one);
 * - transport messages (random sizes, including an empty one) decrypt both ways (one-way
 *   patterns: initiator to responder only), several in a row so the nonces advance together.
 *
 * Nothing here compares against outputs produced by noisekit alone. Negative controls prove the
 * harness detects disagreement: a different prologue, a wrong pre-message static key, a wrong
 * psk, a flipped bit in a handshake or transport message must all fail with an authentication
 * error on one side (never complete with a shared key).
 *
 * Matrix (see docs/interop.md): 15 patterns × 16 suites × 2 roles on the `node` backend; the same
 * 240 pattern × suite pairs on `stablelib` with the role alternating by suite; the psk patterns
 * (rev-34 names, single and double psk modifiers) on the psk build in both roles.
 */
import { expect } from 'chai';
import { webcrypto } from 'node:crypto';
import { HandshakeState, NoiseError, generateKeyPair } from '../src/index.js';
import type { KeyPair } from '../src/index.js';
import {
  loadNoiseC, NoiseC, NoiseCError, NOISE_C_PSK_SUITE, NOISE_C_SUITES,
  type NoiseCHandshake, type NoiseCTransport,
} from './support/noise-c.js';

type Backend = 'node' | 'stablelib';

const ONE_WAY = ['N', 'K', 'X'];
const FUNDAMENTAL = ['NN', 'NK', 'NX', 'XN', 'XK', 'XX', 'KN', 'KK', 'KX', 'IN', 'IK', 'IX'];
const PATTERNS = [...ONE_WAY, ...FUNDAMENTAL];

/** Counts of what ran, printed after the run (and copied into docs/interop.md). */
const counts = new Map<string, number>();
function count(key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function rand(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) webcrypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

function randInt(max: number): number {
  return webcrypto.getRandomValues(new Uint32Array(1))[0]! % (max + 1);
}

/** Who holds which static key, from the pattern's name (spec 7.4 and 7.5 naming). */
interface Statics {
  oneWay: boolean;
  initiatorStatic: boolean;
  responderStatic: boolean;
  /** Initiator's static key is in a pre-message (the responder knows it in advance). */
  responderKnowsInitiator: boolean;
  /** Responder's static key is in a pre-message (the initiator knows it in advance). */
  initiatorKnowsResponder: boolean;
}

function statics(protocol: string): Statics {
  const base = /^Noise_([NKXI]{1,2})(?:psk|_)/.exec(protocol)?.[1];
  if (!base) throw new Error(`cannot read the base pattern of ${protocol}`);
  if (base.length === 1) {
    return { oneWay: true, initiatorStatic: base !== 'N', responderStatic: true, responderKnowsInitiator: base === 'K', initiatorKnowsResponder: true };
  }
  const [a, b] = [base[0]!, base[1]!];
  return { oneWay: false, initiatorStatic: a !== 'N', responderStatic: b !== 'N', responderKnowsInitiator: a === 'K', initiatorKnowsResponder: b === 'K' };
}

function pskTokens(protocol: string): number {
  return (protocol.match(/psk\d/g) ?? []).length;
}

/** Inputs to one interop run; the "wrong*" fields are for the negative controls. */
interface Scenario {
  protocol: string;
  /** True: noisekit is the initiator, noise-c the responder; false: the reverse. */
  oursInitiator: boolean;
  backend: Backend;
  lib: NoiseC;
  /** Give noise-c a different prologue than noisekit. */
  wrongPrologue?: boolean;
  /** Give this side a wrong pre-message static key of its peer. */
  wrongRemoteStaticFor?: 'ours' | 'theirs';
  /** Give noise-c a different psk than noisekit. */
  wrongPsk?: boolean;
  /** Flip one bit of the last handshake message in transit. */
  tamperLastHandshakeMessage?: boolean;
  /** Largest random handshake payload and transport message. */
  maxPayload?: number;
}

/** What happened in a run (a thrown error means the harness itself broke). */
interface Outcome {
  /** The first read that failed: which side, and the error. */
  failure?: { side: 'ours' | 'theirs'; error: unknown };
  messages: number;
  hashOurs?: Uint8Array;
  hashTheirs?: Uint8Array;
}

/** Runs one handshake (and transport, when it succeeds) between noisekit and noise-c. */
function run(sc: Scenario): Outcome {
  const { protocol, oursInitiator, backend, lib } = sc;
  const dh = protocol.split('_')[2] as '25519' | '448';
  const st = statics(protocol);
  const maxPayload = sc.maxPayload ?? 300;

  const ourStatic: KeyPair = generateKeyPair(dh, backend);
  const theirStatic = lib.generateKeyPair(dh);
  const oursHasStatic = oursInitiator ? st.initiatorStatic : st.responderStatic;
  const theirsHasStatic = oursInitiator ? st.responderStatic : st.initiatorStatic;
  const oursKnowsTheirs = oursInitiator ? st.initiatorKnowsResponder : st.responderKnowsInitiator;
  const theirsKnowsOurs = oursInitiator ? st.responderKnowsInitiator : st.initiatorKnowsResponder;

  const prologue = rand(randInt(64));
  const theirPrologue = sc.wrongPrologue ? rand(prologue.length + 1) : prologue;
  const psk = rand(32);
  const theirPsk = sc.wrongPsk ? rand(32) : psk;
  const nPsk = pskTokens(protocol);
  const wrongKey = (): Uint8Array => lib.generateKeyPair(dh).publicKey;

  const ours = new HandshakeState({
    protocol,
    initiator: oursInitiator,
    backend,
    prologue,
    staticKeyPair: oursHasStatic ? ourStatic : undefined,
    remoteStaticKey: oursKnowsTheirs ? (sc.wrongRemoteStaticFor === 'ours' ? wrongKey() : theirStatic.publicKey) : undefined,
    psks: nPsk > 0 ? Array.from({ length: nPsk }, () => psk) : undefined,
  });
  const theirs: NoiseCHandshake = lib.handshake({
    protocol,
    initiator: !oursInitiator,
    prologue: theirPrologue,
    staticPrivateKey: theirsHasStatic ? theirStatic.privateKey : undefined,
    remoteStaticKey: theirsKnowsOurs ? (sc.wrongRemoteStaticFor === 'theirs' ? wrongKey() : ourStatic.publicKey) : undefined,
    psk: nPsk > 0 ? theirPsk : undefined,
  });

  const outcome: Outcome = { messages: 0 };
  try {
    // ---- handshake, message by message ----
    for (let guard = 0; ours.action === 'write' || ours.action === 'read'; guard++) {
      if (guard > 8) throw new Error('handshake did not end');
      const payload = rand(randInt(maxPayload));
      if (ours.action === 'write') {
        expect(theirs.action, `noise-c action before message ${outcome.messages + 1}`).to.equal('read');
        let msg = ours.writeMessage(payload);
        const last = ours.action !== 'write' && ours.action !== 'read';
        if (sc.tamperLastHandshakeMessage && last) msg = flipBit(msg);
        let got: Uint8Array;
        try {
          got = theirs.readMessage(msg);
        } catch (error) {
          outcome.failure = { side: 'theirs', error };
          return outcome;
        }
        expect(Buffer.from(got).equals(payload), `payload of message ${outcome.messages + 1} (noisekit -> noise-c)`).to.equal(true);
      } else {
        expect(theirs.action, `noise-c action before message ${outcome.messages + 1}`).to.equal('write');
        let msg = theirs.writeMessage(payload);
        if (sc.tamperLastHandshakeMessage && theirs.action === 'split') msg = flipBit(msg);
        let got: Uint8Array;
        try {
          got = ours.readMessage(msg);
        } catch (error) {
          outcome.failure = { side: 'ours', error };
          return outcome;
        }
        expect(Buffer.from(got).equals(payload), `payload of message ${outcome.messages + 1} (noise-c -> noisekit)`).to.equal(true);
      }
      outcome.messages++;
    }
    expect(ours.action).to.equal('split');
    expect(theirs.action, 'noise-c must finish after the same message').to.equal('split');

    // ---- static keys each side learned ----
    if (theirsHasStatic) expect(ours.remoteStaticKey && Buffer.from(ours.remoteStaticKey).toString('hex'), 'noisekit learned noise-c static').to.equal(Buffer.from(theirStatic.publicKey).toString('hex'));
    if (oursHasStatic) expect(theirs.remoteStaticKey && Buffer.from(theirs.remoteStaticKey).toString('hex'), 'noise-c learned noisekit static').to.equal(Buffer.from(ourStatic.publicKey).toString('hex'));

    // ---- handshake hash ----
    const tOurs = ours.split();
    const tTheirs: NoiseCTransport = theirs.split();
    try {
      outcome.hashOurs = tOurs.handshakeHash;
      outcome.hashTheirs = tTheirs.handshakeHash;
      const hashLen = /SHA512|BLAKE2b/.test(protocol) ? 64 : 32;
      expect(outcome.hashTheirs.length).to.equal(hashLen);
      expect(Buffer.from(outcome.hashOurs).toString('hex'), 'handshake hash').to.equal(Buffer.from(outcome.hashTheirs).toString('hex'));

      // ---- transport: several messages each way, one of them empty ----
      const initiatorSends = (pt: Uint8Array): Uint8Array =>
        oursInitiator ? tTheirs.decrypt(tOurs.encrypt(pt)) : tOurs.decrypt(tTheirs.encrypt(pt));
      const responderSends = (pt: Uint8Array): Uint8Array =>
        oursInitiator ? tOurs.decrypt(tTheirs.encrypt(pt)) : tTheirs.decrypt(tOurs.encrypt(pt));
      const sizes = [randInt(maxPayload * 4), 0, randInt(maxPayload * 4)];
      for (const [i, size] of sizes.entries()) {
        const a = rand(size);
        expect(Buffer.from(initiatorSends(a)).equals(a), `transport ${i} initiator -> responder`).to.equal(true);
        if (!st.oneWay) {
          const b = rand(sizes[sizes.length - 1 - i]!);
          expect(Buffer.from(responderSends(b)).equals(b), `transport ${i} responder -> initiator`).to.equal(true);
        }
      }
      if (st.oneWay && !oursInitiator) {
        // spec 7.4: the responder of a one-way pattern must not send
        expect(() => tOurs.encrypt(rand(1))).to.throw(NoiseError);
      }
    } finally {
      tTheirs.free();
    }
    return outcome;
  } finally {
    theirs.free();
  }
}

function flipBit(msg: Uint8Array): Uint8Array {
  const out = Uint8Array.from(msg);
  out[out.length - 1]! ^= 0x01;
  return out;
}

/** The failure a negative control must produce: an authentication error on the reading side. */
function expectAuthFailure(o: Outcome, what: string): void {
  expect(o.failure, `${what}: the handshake must fail, but completed after ${o.messages} messages`).to.not.equal(undefined);
  const e = o.failure!.error;
  if (o.failure!.side === 'ours') {
    expect(e, `${what}: noisekit error`).to.be.instanceOf(NoiseError);
    expect((e as NoiseError).code).to.equal('ERR_NOISE_DECRYPT');
  } else {
    expect(e, `${what}: noise-c error`).to.be.instanceOf(NoiseCError);
    expect((e as NoiseCError).code).to.equal('NOISE_ERROR_MAC_FAILURE');
  }
}

const roleName = (oursInitiator: boolean): string => (oursInitiator ? 'noisekit initiator -> noise-c responder' : 'noise-c initiator -> noisekit responder');

describe('interop with noise-c (wasm), in process', function () {
  let classic: NoiseC;
  let pskLib: NoiseC;

  before(async function () {
    [classic, pskLib] = await Promise.all([loadNoiseC('classic'), loadNoiseC('psk')]);
  });

  after(function () {
    const lines = [...counts.entries()].map(([k, v]) => `      ${k}: ${v}`);
    if (lines.length) process.stdout.write(`    interop counts (passed handshakes):\n${lines.join('\n')}\n`);
  });

  describe('noise-c.wasm@0.4.0: 15 patterns × 16 suites × 2 roles, node backend', function () {
    for (const pattern of PATTERNS) {
      describe(pattern, function () {
        for (const suite of NOISE_C_SUITES) {
          for (const oursInitiator of [true, false]) {
            it(`${suite}: ${roleName(oursInitiator)}`, function () {
              const o = run({ protocol: `Noise_${pattern}_${suite}`, oursInitiator, backend: 'node', lib: classic });
              expect(o.failure, String(o.failure?.error)).to.equal(undefined);
              count('classic node');
            });
          }
        }
      });
    }
  });

  describe('noise-c.wasm@0.4.0: 15 patterns × 16 suites, stablelib backend (role alternates by suite)', function () {
    for (const pattern of PATTERNS) {
      it(`${pattern}: all 16 suites`, function () {
        NOISE_C_SUITES.forEach((suite, i) => {
          const oursInitiator = (i + PATTERNS.indexOf(pattern)) % 2 === 0;
          const o = run({ protocol: `Noise_${pattern}_${suite}`, oursInitiator, backend: 'stablelib', lib: classic });
          expect(o.failure, `${suite} ${roleName(oursInitiator)}: ${String(o.failure?.error)}`).to.equal(undefined);
          count('classic stablelib');
        });
      });
    }
  });

  describe('largest messages (65535 bytes) in every suite', function () {
    for (const suite of NOISE_C_SUITES) {
      it(`XX ${suite}: 65535-byte transport messages both ways`, function () {
        const protocol = `Noise_XX_${suite}`;
        const dh = suite.split('_')[0] as '25519' | '448';
        const ours = new HandshakeState({ protocol, initiator: true, backend: 'node', staticKeyPair: generateKeyPair(dh) });
        const theirs = classic.handshake({ protocol, initiator: false, staticPrivateKey: classic.generateKeyPair(dh).privateKey });
        try {
          theirs.readMessage(ours.writeMessage());
          ours.readMessage(theirs.writeMessage());
          // largest handshake payload: 65535 - (DHLEN + 16 + 16) in message 3 (s + payload)
          const big = rand(65535 - (dh === '448' ? 56 : 32) - 32);
          expect(Buffer.from(theirs.readMessage(ours.writeMessage(big))).equals(big)).to.equal(true);
        } catch (e) {
          theirs.free();
          throw e;
        }
        const a = ours.split();
        const b = theirs.split();
        try {
          for (let i = 0; i < 2; i++) {
            const pt = rand(65535 - 16);
            const ct = a.encrypt(pt);
            expect(ct.length).to.equal(65535);
            expect(Buffer.from(b.decrypt(ct)).equals(pt)).to.equal(true);
            expect(Buffer.from(a.decrypt(b.encrypt(pt))).equals(pt)).to.equal(true);
          }
        } finally {
          b.free();
        }
      });
    }
  });

  describe('@richardhopton/noise-c.wasm@0.5.0: psk patterns (rev 34 names), 25519_ChaChaPoly_SHA256', function () {
    const pskModifiers = (pattern: string): string[] => {
      const messages = ONE_WAY.includes(pattern) ? 1 : ['XN', 'XK', 'XX'].includes(pattern) ? 3 : 2;
      const single = Array.from({ length: messages + 1 }, (_, i) => `psk${i}`);
      const double: string[] = [];
      for (let i = 0; i <= messages; i++) for (let j = i + 1; j <= messages; j++) if (i === 0 || j - i === 1) double.push(`psk${i}+psk${j}`);
      return [...single, ...double];
    };
    for (const pattern of PATTERNS) {
      for (const mod of ['', ...pskModifiers(pattern)]) {
        const protocol = `Noise_${pattern}${mod}_${NOISE_C_PSK_SUITE}`;
        for (const oursInitiator of [true, false]) {
          it(`${pattern}${mod}: ${roleName(oursInitiator)}`, function () {
            if (!pskLib.supports(protocol)) this.skip();
            const o = run({ protocol, oursInitiator, backend: 'node', lib: pskLib });
            expect(o.failure, String(o.failure?.error)).to.equal(undefined);
            count(mod ? 'psk build, psk patterns, node' : 'psk build, plain patterns, node');
          });
        }
      }
    }
    it('the spec-named psk patterns on the stablelib backend, both roles', function () {
      const names = ['Npsk0', 'Kpsk0', 'Xpsk1', 'NNpsk0', 'NNpsk2', 'NKpsk0', 'NKpsk2', 'NXpsk2', 'XNpsk3', 'XKpsk3', 'XXpsk3',
        'KNpsk0', 'KNpsk2', 'KKpsk0', 'KKpsk2', 'KXpsk2', 'INpsk1', 'INpsk2', 'IKpsk1', 'IKpsk2', 'IXpsk2'];
      for (const name of names) {
        for (const oursInitiator of [true, false]) {
          const o = run({ protocol: `Noise_${name}_${NOISE_C_PSK_SUITE}`, oursInitiator, backend: 'stablelib', lib: pskLib });
          expect(o.failure, `${name} ${roleName(oursInitiator)}: ${String(o.failure?.error)}`).to.equal(undefined);
          count('psk build, psk patterns, stablelib');
        }
      }
    });
  });

  describe('negative controls: disagreement must be detected', function () {
    const suites = NOISE_C_SUITES;
    for (const [i, pattern] of PATTERNS.entries()) {
      const suite = suites[i % suites.length]!;
      const protocol = `Noise_${pattern}_${suite}`;
      it(`${protocol}: a different prologue fails (both roles)`, function () {
        for (const oursInitiator of [true, false]) {
          expectAuthFailure(run({ protocol, oursInitiator, backend: 'node', lib: classic, wrongPrologue: true }), `${roleName(oursInitiator)}`);
          count('negative: prologue');
        }
      });
      it(`${protocol}: a flipped bit in the last handshake message fails (both roles)`, function () {
        for (const oursInitiator of [true, false]) {
          expectAuthFailure(run({ protocol, oursInitiator, backend: 'node', lib: classic, tamperLastHandshakeMessage: true }), `${roleName(oursInitiator)}`);
          count('negative: tampered message');
        }
      });
      const st = statics(protocol);
      if (st.initiatorKnowsResponder || st.responderKnowsInitiator) {
        it(`${protocol}: a wrong pre-message static key fails (each side, both roles)`, function () {
          for (const oursInitiator of [true, false]) {
            const oursKnows = oursInitiator ? st.initiatorKnowsResponder : st.responderKnowsInitiator;
            const theirsKnows = oursInitiator ? st.responderKnowsInitiator : st.initiatorKnowsResponder;
            for (const side of ['ours', 'theirs'] as const) {
              if (side === 'ours' ? !oursKnows : !theirsKnows) continue;
              expectAuthFailure(run({ protocol, oursInitiator, backend: 'node', lib: classic, wrongRemoteStaticFor: side }), `${roleName(oursInitiator)}, wrong key given to ${side === 'ours' ? 'noisekit' : 'noise-c'}`);
              count('negative: wrong static key');
            }
          }
        });
      }
    }
    for (const name of ['NNpsk0', 'NNpsk2', 'XXpsk3', 'IKpsk2', 'KKpsk0+psk2']) {
      it(`Noise_${name}: a different psk fails (both roles)`, function () {
        for (const oursInitiator of [true, false]) {
          expectAuthFailure(run({ protocol: `Noise_${name}_${NOISE_C_PSK_SUITE}`, oursInitiator, backend: 'node', lib: pskLib, wrongPsk: true }), roleName(oursInitiator));
          count('negative: psk');
        }
      });
    }
    it('a flipped bit in a transport message fails in both directions', function () {
      const protocol = 'Noise_NN_25519_ChaChaPoly_BLAKE2s';
      const ours = new HandshakeState({ protocol, initiator: true, backend: 'node' });
      const theirs = classic.handshake({ protocol, initiator: false });
      theirs.readMessage(ours.writeMessage());
      ours.readMessage(theirs.writeMessage());
      const a = ours.split();
      const b = theirs.split();
      try {
        expect(() => b.decrypt(flipBit(a.encrypt(rand(10))))).to.throw(NoiseCError, 'NOISE_ERROR_MAC_FAILURE');
        expect(() => a.decrypt(flipBit(b.encrypt(rand(10))))).to.throw(NoiseError).with.property('code', 'ERR_NOISE_DECRYPT');
      } finally {
        b.free();
      }
    });
  });
});
