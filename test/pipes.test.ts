/**
 * Noise Pipes (spec 10.2-10.4) at the engine level, through the public API: the 32 noise-c
 * fallback vectors (an independent source) driven through PipesInitiator/PipesResponder and
 * HandshakeState.fallback(); IK success, IK failure then XXfallback, stale-cache recovery, and
 * the failure paths (negotiation bytes, forged replies, cleartext payloads).
 */
import { expect } from 'chai';
import { errorCode } from './support/errors.js';
import {
  HandshakeState, NoiseError, generateKeyPair, keyPairFromPrivate, parseProtocolName,
  PipesInitiator, PipesResponder, MemoryKeyCache, PIPES_TYPE, type KeyPair, type TransportState,
} from '../src/index.js';
import { kFixedEphemeral } from '../src/engine/internal.js';
import { loadVectorFile, type NoiseVector } from '../src/vectors/format.js';
import { vectorFile, VECTORS_DIR } from './support/vectors-dir.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function roundTrip(a: TransportState, b: TransportState): void {
  expect(dec(b.decrypt(a.encrypt(enc('a->b'))))).to.equal('a->b');
  expect(dec(a.decrypt(b.encrypt(enc('b->a'))))).to.equal('b->a');
}

/** Runs a pipe in memory; returns both ends finished, with what the server received as data. */
function runPipe(alice: PipesInitiator, bob: PipesResponder, early = enc('0-RTT hello')) {
  const m1 = alice.writeMessage(alice.attempted === 'IK' ? early : undefined);
  const bobGot = bob.readMessage(m1);
  const m2 = bob.writeMessage(enc('server says hi'));
  expect(dec(alice.readMessage(m2))).to.equal('server says hi');
  if (!alice.isFinished) {
    bob.readMessage(alice.writeMessage(enc('third')));
  }
  expect(alice.isFinished && bob.isFinished).to.equal(true);
  expect(hex(alice.handshakeHash)).to.equal(hex(bob.handshakeHash));
  return { m1, m2, bobGot };
}

describe('pipes: noise-c fallback vectors through PipesInitiator/PipesResponder', function () {
  const path = vectorFile('noise-c-fallback.txt');
  if (!path) {
    it(`noise-c-fallback.txt (not found in ${VECTORS_DIR})`, function () {
      this.skip();
    });
    return;
  }
  const vectors = loadVectorFile(path);
  it('has 32 vectors', () => expect(vectors).to.have.length(32));

  function runThroughPipes(v: NoiseVector, backend: 'node' | 'stablelib'): void {
    const name = parseProtocolName(v.protocolName);
    const suite = `${name.dh}_${name.cipher}_${name.hash}`;
    const kp = (priv: Uint8Array | undefined) => keyPairFromPrivate(priv!, name.dh, backend);
    const alice = new PipesInitiator({
      suite, prefix: name.prefix, backend, prologue: v.init.prologue, psks: v.init.psks,
      staticKeyPair: kp(v.init.staticKey), remoteStaticKey: v.init.remoteStaticKey,
      [kFixedEphemeral]: kp(v.init.ephemeralKey),
    });
    const bob = new PipesResponder({
      suite, prefix: name.prefix, backend, prologue: v.resp.prologue, psks: v.resp.psks,
      staticKeyPair: kp(v.resp.staticKey), [kFixedEphemeral]: kp(v.resp.ephemeralKey),
    });
    const [m0, m1, m2] = v.messages as [NoiseVector['messages'][0], NoiseVector['messages'][0], NoiseVector['messages'][0]];
    const w0 = alice.writeMessage(m0.payload);
    expect(w0[0], 'IK negotiation byte').to.equal(PIPES_TYPE.IK);
    expect(hex(w0.subarray(1)), 'IK message').to.equal(hex(m0.ciphertext));
    expect(bob.readMessage(w0), 'nothing of an undecryptable IK message is released').to.have.length(0);
    expect(bob.fellBack).to.equal(true);
    const w1 = bob.writeMessage(m1.payload);
    expect(w1[0], 'XXfallback negotiation byte').to.equal(PIPES_TYPE.XXfallback);
    expect(hex(w1.subarray(1)), 'XXfallback message 1').to.equal(hex(m1.ciphertext));
    expect(hex(alice.readMessage(w1))).to.equal(hex(m1.payload));
    expect(alice.fellBack && alice.protocol === v.protocolName).to.equal(true);
    const w2 = alice.writeMessage(m2.payload);
    expect(hex(w2), 'XXfallback message 2').to.equal(hex(m2.ciphertext));
    expect(hex(bob.readMessage(w2))).to.equal(hex(m2.payload));
    expect(hex(alice.handshakeHash)).to.equal(hex(v.handshakeHash!));
    expect(hex(bob.handshakeHash)).to.equal(hex(v.handshakeHash!));
    expect(hex(alice.remoteStaticKey!)).to.equal(hex(kp(v.resp.staticKey).publicKey));
    const [ta, tb] = [alice.split(), bob.split()];
    for (let i = 3; i < v.messages.length; i++) {
      const m = v.messages[i]!;
      const [tx, rx] = i % 2 === 0 ? [ta, tb] : [tb, ta];
      expect(hex(tx.encrypt(m.payload)), `transport ${i}`).to.equal(hex(m.ciphertext));
      expect(hex(rx.decrypt(m.ciphertext))).to.equal(hex(m.payload));
    }
  }

  for (const backend of ['node', 'stablelib'] as const) {
    it(`${backend}: all 32 vectors, byte for byte (negotiation byte + vector message)`, () => {
      const failures: string[] = [];
      for (const v of vectors) {
        try {
          runThroughPipes(v, backend);
        } catch (err) {
          failures.push(`#${v.index} ${v.protocolName}: ${(err as Error).message}`);
        }
      }
      expect(failures, failures.slice(0, 3).join('\n')).to.deep.equal([]);
    });
  }

  it('control: a vector with one flipped ciphertext bit fails (the comparison can fail)', () => {
    const v = vectors[0]!;
    const bad = { ...v, messages: v.messages.map((m, i) => (i === 1 ? { ...m, ciphertext: Uint8Array.from(m.ciphertext, (b, j) => (j === 40 ? b ^ 1 : b)) } : m)) };
    expect(() => runThroughPipes(bad, 'node')).to.throw();
  });

  it('HandshakeState.fallback() alone reproduces vector 0 (the engine API the pipes build on)', () => {
    const v = vectors[0]!;
    const name = parseProtocolName(v.protocolName);
    const kp = (priv: Uint8Array | undefined) => keyPairFromPrivate(priv!, name.dh);
    const ikName = `${name.prefix}_IK_${name.dh}_${name.cipher}_${name.hash}`;
    const alice = new HandshakeState({ protocol: ikName, initiator: true, prologue: v.init.prologue, psks: v.init.psks, staticKeyPair: kp(v.init.staticKey), remoteStaticKey: v.init.remoteStaticKey, [kFixedEphemeral]: kp(v.init.ephemeralKey) });
    const bob = new HandshakeState({ protocol: ikName, initiator: false, prologue: v.resp.prologue, psks: v.resp.psks, staticKeyPair: kp(v.resp.staticKey), [kFixedEphemeral]: kp(v.resp.ephemeralKey) });
    const m0 = alice.writeMessage(v.messages[0]!.payload);
    expect(() => bob.readMessage(m0)).to.throw(NoiseError).with.property('code', 'ERR_NOISE_DECRYPT');
    const bobFb = bob.fallback({ failedMessage: m0 });
    const aliceFb = alice.fallback();
    // The old states are independent of the new ones: wiping them must not break the fallback.
    alice.destroy();
    bob.destroy();
    expect(bobFb.initiator).to.equal(true);
    expect(aliceFb.protocol.name).to.equal(v.protocolName);
    expect(hex(bobFb.writeMessage(v.messages[1]!.payload))).to.equal(hex(v.messages[1]!.ciphertext));
    aliceFb.readMessage(v.messages[1]!.ciphertext);
    expect(hex(aliceFb.writeMessage(v.messages[2]!.payload))).to.equal(hex(v.messages[2]!.ciphertext));
    bobFb.readMessage(v.messages[2]!.ciphertext);
    expect(hex(aliceFb.handshakeHash)).to.equal(hex(v.handshakeHash!));
  });
});

describe('pipes: IK, XX and XXfallback between PipesInitiator and PipesResponder', () => {
  let server: KeyPair;
  let client: KeyPair;
  before(() => {
    server = generateKeyPair();
    client = generateKeyPair();
  });

  it('no cached key: XX (negotiation byte 0x00 both ways), the server key is learned', () => {
    const alice = new PipesInitiator({ staticKeyPair: client });
    const bob = new PipesResponder({ staticKeyPair: server });
    const { m1, m2 } = runPipe(alice, bob);
    expect([m1[0], m2[0]]).to.deep.equal([0x00, 0x00]);
    expect(m1).to.have.length(1 + 32);
    expect(alice.mode).to.equal('XX');
    expect(hex(alice.remoteStaticKey!)).to.equal(hex(server.publicKey));
    expect(hex(bob.remoteStaticKey!)).to.equal(hex(client.publicKey));
    roundTrip(alice.split(), bob.split());
  });

  it('IK success: the 0-RTT payload is decrypted by the server, two messages, both ends agree', () => {
    const alice = new PipesInitiator({ staticKeyPair: client, remoteStaticKey: server.publicKey });
    const bob = new PipesResponder({ staticKeyPair: server });
    const { m1, m2, bobGot } = runPipe(alice, bob, enc('early data'));
    expect([m1[0], m2[0]]).to.deep.equal([0x01, 0x01]);
    expect(dec(bobGot)).to.equal('early data');
    expect(alice.earlyDataAccepted && bob.earlyDataAccepted).to.equal(true);
    expect(alice.mode === 'IK' && bob.mode === 'IK' && !alice.fellBack).to.equal(true);
    expect(hex(bob.remoteStaticKey!)).to.equal(hex(client.publicKey));
    roundTrip(alice.split(), bob.split());
  });

  it('IK failure (server key changed): XXfallback completes, 0-RTT data is not released, the new key is learned', () => {
    const rotated = generateKeyPair();
    const alice = new PipesInitiator({ staticKeyPair: client, remoteStaticKey: server.publicKey });
    const bob = new PipesResponder({ staticKeyPair: rotated });
    const { m1, m2, bobGot } = runPipe(alice, bob, enc('secret early data'));
    expect([m1[0], m2[0]]).to.deep.equal([0x01, 0x02]);
    expect(bobGot).to.have.length(0);
    expect(alice.fellBack && bob.fellBack).to.equal(true);
    expect(alice.earlyDataAccepted || bob.earlyDataAccepted).to.equal(false);
    expect(alice.protocol).to.equal('Noise_XXfallback_25519_ChaChaPoly_BLAKE2s');
    expect(hex(alice.remoteStaticKey!)).to.equal(hex(rotated.publicKey));
    expect(hex(bob.remoteStaticKey!)).to.equal(hex(client.publicKey));
    roundTrip(alice.split(), bob.split());
  });

  it('stale-cache recovery with a key cache: XX, then IK, key rotation -> XXfallback, then IK again', () => {
    const cache = new MemoryKeyCache();
    let serverKey = server;
    const modes: string[] = [];
    const session = () => {
      const alice = new PipesInitiator({ staticKeyPair: client, remoteStaticKey: cache.get('srv') });
      const bob = new PipesResponder({ staticKeyPair: serverKey });
      runPipe(alice, bob);
      modes.push(alice.mode);
      cache.set('srv', alice.remoteStaticKey!);
      roundTrip(alice.split(), bob.split());
    };
    session();
    session();
    serverKey = generateKeyPair();
    session();
    session();
    expect(modes).to.deep.equal(['XX', 'IK', 'XXfallback', 'IK']);
    expect(hex(cache.get('srv')!)).to.equal(hex(serverKey.publicKey));
  });

  it('NoisePSK prefix: the psk is carried into the fallback; a wrong psk fails the handshake', () => {
    const psk = new Uint8Array(32).fill(7);
    const alice = new PipesInitiator({ prefix: 'NoisePSK', psks: [psk], staticKeyPair: client, remoteStaticKey: generateKeyPair().publicKey });
    const bob = new PipesResponder({ prefix: 'NoisePSK', psks: [psk], staticKeyPair: server });
    runPipe(alice, bob);
    expect(alice.protocol).to.equal('NoisePSK_XXfallback_25519_ChaChaPoly_BLAKE2s');
    const alice2 = new PipesInitiator({ prefix: 'NoisePSK', psks: [new Uint8Array(32)], staticKeyPair: client });
    const bob2 = new PipesResponder({ prefix: 'NoisePSK', psks: [psk], staticKeyPair: server });
    // With NoisePSK even XX message 1 is encrypted under the psk, so the server notices at once.
    expect(() => bob2.readMessage(alice2.writeMessage())).to.throw(NoiseError).with.property('code', 'ERR_NOISE_DECRYPT');
  });
});

describe('pipes: failure paths', () => {
  let server: KeyPair;
  let client: KeyPair;
  before(() => {
    server = generateKeyPair();
    client = generateKeyPair();
  });
  const code = errorCode;

  it('message 1: unknown or reserved negotiation bytes and empty messages are refused', () => {
    const m1 = new PipesInitiator({ staticKeyPair: client, remoteStaticKey: server.publicKey }).writeMessage();
    for (const b of [0x02, 0x03, 0xff]) {
      const bad = m1.slice();
      bad[0] = b;
      expect(code(() => new PipesResponder({ staticKeyPair: server }).readMessage(bad)), `byte ${b}`).to.equal('ERR_NOISE_NEGOTIATION');
    }
    expect(code(() => new PipesResponder({ staticKeyPair: server }).readMessage(new Uint8Array(0)))).to.equal('ERR_NOISE_MALFORMED_MESSAGE');
  });

  it('message 2: an answer that does not fit the question is refused and ends the handshake (section 5.3)', () => {
    for (const b of [0x01, 0x02, 0x09]) {
      const alice = new PipesInitiator({ staticKeyPair: client });
      const bob = new PipesResponder({ staticKeyPair: server });
      bob.readMessage(alice.writeMessage());
      const m2 = bob.writeMessage();
      const bad = m2.slice();
      bad[0] = b;
      expect(code(() => alice.readMessage(bad))).to.equal('ERR_NOISE_NEGOTIATION');
      expect(alice.action).to.equal('done');
      expect(alice.readsRemain).to.equal(false);
      expect(code(() => alice.readMessage(m2)), 'the genuine reply after the failed one').to.equal('ERR_NOISE_INVALID_STATE');
      expect(code(() => alice.writeMessage())).to.equal('ERR_NOISE_INVALID_STATE');
      expect(code(() => alice.split())).to.equal('ERR_NOISE_INVALID_STATE');
    }
  });

  it('message 2 longer than any Noise message is refused like a wrong argument, as by HandshakeState: the handshake goes on', () => {
    const alice = new PipesInitiator({ staticKeyPair: client });
    const bob = new PipesResponder({ staticKeyPair: server });
    bob.readMessage(alice.writeMessage());
    const m2 = bob.writeMessage();
    expect(code(() => alice.readMessage(new Uint8Array(65537)))).to.equal('ERR_NOISE_MESSAGE_TOO_LONG');
    expect(alice.action).to.equal('read');
    alice.readMessage(m2);
    bob.readMessage(alice.writeMessage());
    roundTrip(alice.split(), bob.split());
  });

  it('message 2 with retryAfterFailedRead (datagrams): a misfit answer leaves the state unchanged', () => {
    const alice = new PipesInitiator({ staticKeyPair: client, retryAfterFailedRead: true });
    const bob = new PipesResponder({ staticKeyPair: server, retryAfterFailedRead: true });
    bob.readMessage(alice.writeMessage());
    const m2 = bob.writeMessage();
    for (const b of [0x01, 0x02, 0x09]) {
      const bad = m2.slice();
      bad[0] = b;
      expect(code(() => alice.readMessage(bad))).to.equal('ERR_NOISE_NEGOTIATION');
      expect(alice.action).to.equal('read');
    }
    alice.readMessage(m2);
    bob.readMessage(alice.writeMessage());
    roundTrip(alice.split(), bob.split());
  });

  it('an attacker switching IK to XX or XXfallback gets a failed handshake, not a downgrade', () => {
    // Alice's IK message relabelled as XX: Bob refuses it (its "payload" is not empty).
    const alice = new PipesInitiator({ staticKeyPair: client, remoteStaticKey: server.publicKey });
    const m1 = alice.writeMessage(enc('0-RTT'));
    const relabelled = m1.slice();
    relabelled[0] = PIPES_TYPE.XX;
    expect(code(() => new PipesResponder({ staticKeyPair: server }).readMessage(relabelled))).to.equal('ERR_NOISE_MALFORMED_MESSAGE');
    // Bob's IK answer relabelled as XXfallback: Alice cannot read it as XXfallback.
    const bob = new PipesResponder({ staticKeyPair: server });
    bob.readMessage(m1);
    const m2 = bob.writeMessage(enc('a reply long enough to hold a static key and tag'));
    const bad = m2.slice();
    bad[0] = PIPES_TYPE.XXfallback;
    expect(code(() => alice.readMessage(bad))).to.equal('ERR_NOISE_DECRYPT');
    expect(alice.mode).to.equal('IK');
    expect(alice.action).to.equal('done');
    expect(code(() => alice.readMessage(m2))).to.equal('ERR_NOISE_INVALID_STATE');
  });

  for (const retryAfterFailedRead of [false, true]) {
    it(`a forged XXfallback reply ${retryAfterFailedRead ? 'with retryAfterFailedRead does not spoil the client: the genuine reply still completes' : 'ends the handshake (section 5.3): the genuine reply is refused after it'}`, () => {
      const rotated = generateKeyPair();
      const alice = new PipesInitiator({ staticKeyPair: client, remoteStaticKey: server.publicKey, retryAfterFailedRead });
      const bob = new PipesResponder({ staticKeyPair: rotated, retryAfterFailedRead });
      bob.readMessage(alice.writeMessage(enc('x')));
      const m2 = bob.writeMessage();
      const forged = new Uint8Array(m2.length);
      forged[0] = PIPES_TYPE.XXfallback;
      forged.set(generateKeyPair().publicKey, 1);
      expect(code(() => alice.readMessage(forged))).to.equal('ERR_NOISE_DECRYPT');
      expect(alice.mode).to.equal('IK');
      if (!retryAfterFailedRead) {
        expect(alice.action).to.equal('done');
        expect(code(() => alice.readMessage(m2))).to.equal('ERR_NOISE_INVALID_STATE');
        return;
      }
      alice.readMessage(m2);
      bob.readMessage(alice.writeMessage());
      roundTrip(alice.split(), bob.split());
    });
  }

  it('XX message 1 is cleartext: a payload is refused on the client', () => {
    expect(code(() => new PipesInitiator({ staticKeyPair: client }).writeMessage(enc('oops')))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
  });

  it('an IK message that fails for another reason than decryption (too short) is an error, not a fallback', () => {
    const m1 = new PipesInitiator({ staticKeyPair: client, remoteStaticKey: server.publicKey }).writeMessage();
    const bob = new PipesResponder({ staticKeyPair: server });
    expect(code(() => bob.readMessage(m1.subarray(0, 40)))).to.equal('ERR_NOISE_MALFORMED_MESSAGE');
    expect(bob.mode).to.equal(undefined);
    bob.readMessage(m1);
    expect(bob.mode).to.equal('IK');
  });

  it('bad options are typed errors at construction', () => {
    expect(code(() => new PipesInitiator({ staticKeyPair: client, suite: '25519_ChaChaPoly' }))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    expect(code(() => new PipesInitiator({ staticKeyPair: client, suite: 42 as never }))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    expect(code(() => new PipesResponder({ staticKeyPair: undefined as never }))).to.equal('ERR_NOISE_MISSING_KEY');
    expect(code(() => new PipesResponder({ staticKeyPair: server, psks: [new Uint8Array(32)] }))).to.equal('ERR_NOISE_INVALID_PSK');
    expect(code(() => new PipesInitiator({ staticKeyPair: client, remoteStaticKey: new Uint8Array(31) }))).to.equal('ERR_NOISE_INVALID_KEY');
  });

  it('HandshakeState.fallback() refuses the wrong moments and inputs', () => {
    const ik = 'Noise_IK_25519_ChaChaPoly_BLAKE2s';
    const a = new HandshakeState({ protocol: ik, initiator: true, staticKeyPair: client, remoteStaticKey: server.publicKey });
    expect(code(() => a.fallback()), 'before writing message 1').to.equal('ERR_NOISE_INVALID_STATE');
    const m1 = a.writeMessage();
    expect(code(() => a.fallback({ protocol: 'Noise_XXfallback_448_ChaChaPoly_BLAKE2s' })), 'other DH').to.equal('ERR_NOISE_INVALID_ARGUMENT');
    expect(code(() => a.fallback({ protocol: 'Noise_XX_25519_ChaChaPoly_BLAKE2s' })), 'not a fallback').to.equal('ERR_NOISE_INVALID_ARGUMENT');
    const b = new HandshakeState({ protocol: ik, initiator: false, staticKeyPair: server });
    expect(code(() => b.fallback()), 'Bob without the failed message').to.equal('ERR_NOISE_INVALID_ARGUMENT');
    expect(code(() => b.fallback({ failedMessage: m1.subarray(0, 31) }))).to.equal('ERR_NOISE_MALFORMED_MESSAGE');
    const n = new HandshakeState({ protocol: 'Noise_NK_25519_ChaChaPoly_BLAKE2s', initiator: true, remoteStaticKey: server.publicKey });
    n.writeMessage();
    expect(code(() => n.fallback()), 'the fallback needs a static key NK has not got').to.equal('ERR_NOISE_MISSING_KEY');
    b.readMessage(m1);
    b.writeMessage();
    expect(code(() => b.fallback({ failedMessage: m1 })), 'after message 1 was read').to.equal('ERR_NOISE_INVALID_STATE');
  });
});
