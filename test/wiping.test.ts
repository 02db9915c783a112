/**
 * Secrets wiped where the platform allows: no copy of a key, DH output or HKDF temporary is left
 * behind in an array that the library made and dropped. Arrays made by JavaScript are found by
 * replacing the global Uint8Array for the duration of one synchronous call; Buffers returned by
 * node:crypto by wrapping the node:crypto functions the node backend calls.
 */
import { expect } from 'chai';
import * as crypto from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { nodeBackend } from '../src/crypto/node.js';
import { stablelibBackend } from '../src/crypto/stablelib.js';
import { backendChain } from '../src/crypto/resolve.js';
import { hkdf } from '../src/crypto/hkdf.js';
import { p256Noble } from '../src/crypto/p256.js';
import { weierstrassGenerate, type NobleEcdh } from '../src/crypto/weierstrass-dh.js';
import { keyPairFromGenerated } from '../src/crypto/secrets.js';
import { decodeText, fromHex, toHex } from '../src/bytes.js';
import type { CryptoBackend, KeyPair } from '../src/crypto/types.js';
import { HandshakeState } from '../src/engine/handshake-state.js';
import { generateKeyPair, keyPairFromPrivate } from '../src/crypto/keys.js';
import { parsePrivateKeyFile } from '../src/keyfile.js';
import { format, inspect } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDeployment } from '../src/config.js';
import { trackArrays } from './support/count-arrays.js';

const nodeCrypto = createRequire(import.meta.url)('node:crypto') as typeof crypto;

/**
 * A random X25519 private key that clamping changes (its low three bits set). @stablelib/x25519
 * clamps the key into an array of its own on every call and drops it unwiped, out of our reach
 * (README, "Behaviour a security library owes you"); for a key clamping leaves as it is (1 in 32),
 * that array would hold the key itself. With this key, the copies found are our code's.
 */
function unclampedKey(): Buffer {
  const key = crypto.randomBytes(32);
  key[0]! |= 7;
  return key;
}

/** Whether `hay` holds the bytes of `needle` anywhere. */
const holds = (hay: Uint8Array, needle: Uint8Array): boolean => Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(needle) >= 0;

/** Every Uint8Array of 16 bytes or more that JavaScript code made during `run()`. */
function arraysMadeBy(run: () => void): Uint8Array[] {
  const made: Uint8Array[] = [];
  trackArrays(run, (a) => {
    if (a.length >= 16) made.push(a);
  });
  return made;
}

/**
 * Wraps node:crypto's `name` so that each Buffer it (or, with `method`, each of its results'
 * `method`) returns is recorded; runs `run` and puts the original back.
 */
function buffersFrom(name: 'diffieHellman' | 'createCipheriv' | 'createDecipheriv' | 'createECDH', method: string | undefined, run: () => void): Buffer[] {
  const seen: Buffer[] = [];
  const original = nodeCrypto[name] as (...args: unknown[]) => unknown;
  (nodeCrypto as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
    const result = original.apply(nodeCrypto, args);
    if (!method) {
      seen.push(result as Buffer);
      return result;
    }
    const obj = result as Record<string, (...a: unknown[]) => unknown>;
    const m = obj[method]!.bind(obj);
    obj[method] = (...a: unknown[]) => {
      const out = m(...a) as Buffer;
      seen.push(out);
      return out;
    };
    return obj;
  };
  syncBuiltinESMExports();
  try {
    run();
  } finally {
    (nodeCrypto as unknown as Record<string, unknown>)[name] = original;
    syncBuiltinESMExports();
  }
  return seen;
}

/** The rest of Node's current shared Buffer pool, where small Buffer.from() results go. */
const bufferPool = (): Uint8Array => new Uint8Array(Buffer.allocUnsafe(1).buffer);

describe('wiping: no dropped copies of secrets', function () {
  describe("node:crypto's own copies", function () {
    for (const name of ['25519', '448']) {
      const dh = nodeBackend.dh(name)!;
      it(`${name}: no private key left in Node's Buffer pool by the JWK import (generate, from private, plain pair)`, () => {
        for (let i = 0; i < 20; i++) {
          const generated = dh.generateKeyPair();
          expect(holds(bufferPool(), generated.privateKey), 'generateKeyPair').to.equal(false);
          const derived = dh.keyPairFromPrivate(crypto.randomBytes(dh.privateKeyLength));
          expect(holds(bufferPool(), derived.privateKey), 'keyPairFromPrivate').to.equal(false);
          // A pair the library did not make is imported on its first DH.
          const plain: KeyPair = { publicKey: new Uint8Array(derived.publicKey), privateKey: new Uint8Array(derived.privateKey) };
          dh.dh(plain, generated.publicKey);
          expect(holds(bufferPool(), plain.privateKey), 'dh with a plain pair').to.equal(false);
        }
      });

      it(`${name}: the DH output Buffer from node:crypto is zeroed`, () => {
        const a = dh.generateKeyPair();
        const b = dh.generateKeyPair();
        let shared: Uint8Array | undefined;
        const outs = buffersFrom('diffieHellman', undefined, () => (shared = dh.dh(a, b.publicKey)));
        expect(outs).to.have.length(1);
        expect(shared!.some((x) => x !== 0)).to.equal(true);
        expect([...outs[0]!].every((x) => x === 0)).to.equal(true);
      });
    }

    it('P256: the ECDH output Buffer from node:crypto is zeroed', () => {
      const dh = nodeBackend.dh('P256')!;
      const a = dh.generateKeyPair();
      const b = dh.generateKeyPair();
      const outs = buffersFrom('createECDH', 'computeSecret', () => dh.dh(a, b.publicKey));
      expect(outs).to.have.length(1);
      expect([...outs[0]!].every((x) => x === 0)).to.equal(true);
    });

    for (const cipherName of ['ChaChaPoly', 'AESGCM']) {
      it(`${cipherName}: a forged message's decrypted bytes (the keystream of its nonce) are zeroed`, () => {
        const key = nodeBackend.cipher(cipherName)!.init(crypto.randomBytes(32));
        const forged = new Uint8Array(1000 + 16); // above the size the JS cipher takes
        let result: Uint8Array | null = new Uint8Array(0);
        const bodies = buffersFrom('createDecipheriv', 'update', () => (result = key.decrypt(7n, new Uint8Array(0), forged)));
        expect(result).to.equal(null);
        expect(bodies).to.have.length(1);
        expect(bodies[0]!.length).to.equal(1000);
        expect([...bodies[0]!].every((x) => x === 0)).to.equal(true);
      });
    }

    it("AESGCM: REKEY leaves no copy of the new key in node:crypto's output", () => {
      const key = nodeBackend.cipher('AESGCM')!.init(crypto.randomBytes(32));
      const bodies = buffersFrom('createCipheriv', 'update', () => {
        const next = nodeBackend.cipher('AESGCM')!.rekey?.(key) ?? key.encrypt((1n << 64n) - 1n, new Uint8Array(0), new Uint8Array(32)).subarray(0, 32);
        expect(next.some((x) => x !== 0)).to.equal(true);
      });
      expect(bodies).to.have.length(1);
      expect([...bodies[0]!].every((x) => x === 0)).to.equal(true);
    });
  });

  describe('key text', function () {
    it("decodeText and fromHex leave no copy in Node's Buffer pool", () => {
      for (let i = 0; i < 20; i++) {
        const key = crypto.randomBytes(32);
        const viaHex = fromHex(key.toString('hex'));
        expect(toHex(viaHex)).to.equal(key.toString('hex'));
        expect(holds(bufferPool(), key)).to.equal(false);
        for (const enc of ['base64', 'base64url'] as const) {
          const decoded = decodeText(key.toString(enc), enc);
          expect(toHex(decoded)).to.equal(key.toString('hex'));
          expect(holds(bufferPool(), key)).to.equal(false);
        }
      }
    });
  });

  it('key pairs the library hands out print without their private key (inspect, console.log, JSON)', () => {
    const hidden = [
      generateKeyPair('25519'),
      generateKeyPair('448', 'stablelib'),
      keyPairFromPrivate(crypto.randomBytes(32)),
      parsePrivateKeyFile(crypto.randomBytes(32).toString('hex')).keyPair,
    ];
    for (const kp of hidden) {
      const secretHex = toHex(kp.privateKey);
      const secretDigits = [...kp.privateKey].join(','); // how Uint8Arrays print by default
      for (const text of [inspect(kp), inspect({ nested: { kp } }, { depth: 9 }), format('%o %O %j', kp, kp, kp), JSON.stringify({ kp })]) {
        expect(text).to.not.contain(secretHex);
        expect(text.replace(/\s/g, '')).to.not.contain(secretDigits);
        expect(text).to.contain(toHex(kp.publicKey));
      }
      // the pair itself is unchanged: a plain { publicKey, privateKey } to spread and compare
      expect(kp).to.deep.equal({ publicKey: kp.publicKey, privateKey: kp.privateKey });
      expect(Object.keys(kp)).to.deep.equal(['publicKey', 'privateKey']);
    }
  });

  it('a HandshakeState constructor that throws leaves no copy of the psks', () => {
    const psk = crypto.randomBytes(32);
    const staticKeyPair = generateKeyPair('25519', 'stablelib');
    let code: unknown;
    const made = arraysMadeBy(() => {
      try {
        // NN uses no static key: ERR_NOISE_INVALID_KEY, after the psks were checked
        new HandshakeState({ protocol: 'Noise_NNpsk0_25519_ChaChaPoly_BLAKE2s', initiator: true, psks: [new Uint8Array(psk)], staticKeyPair, backend: 'stablelib' });
      } catch (err) {
        code = (err as { code?: unknown }).code;
      }
    });
    expect(code).to.equal('ERR_NOISE_INVALID_KEY');
    expect(made.filter((a) => holds(a, psk))).to.have.length(1); // the test's own copy
  });

  describe('a failed readMessage (section 5.3)', function () {
    const protocol = 'Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s';
    /** Runs `run` recording every ephemeral key pair the stablelib backend generates. */
    function ephemeralsOf(run: () => void): KeyPair[] {
      const dh = stablelibBackend.dh('25519')!;
      const generate = dh.generateKeyPair;
      const made: KeyPair[] = [];
      (dh as { generateKeyPair: () => KeyPair }).generateKeyPair = () => {
        const kp = generate.call(dh);
        made.push(kp);
        return kp;
      };
      try {
        run();
      } finally {
        (dh as { generateKeyPair: () => KeyPair }).generateKeyPair = generate;
      }
      return made;
    }
    const zero = (a: Uint8Array): boolean => a.every((x) => x === 0);

    it('wipes the ephemeral private key and the psks when no fallback() can follow', () => {
      const psk = crypto.randomBytes(32);
      const statics = [generateKeyPair('25519', 'stablelib'), generateKeyPair('25519', 'stablelib')];
      let bob: HandshakeState | undefined;
      let code: unknown;
      let made: Uint8Array[] = [];
      const ephemerals = ephemeralsOf(() => {
        made = arraysMadeBy(() => {
          const alice = new HandshakeState({ protocol, initiator: true, backend: 'stablelib', staticKeyPair: statics[0]!, psks: [psk] });
          bob = new HandshakeState({ protocol, initiator: false, backend: 'stablelib', staticKeyPair: statics[1]!, psks: [psk] });
          bob.readMessage(alice.writeMessage());
          alice.readMessage(bob.writeMessage());
          const m3 = alice.writeMessage();
          alice.destroy();
          m3[m3.length - 1]! ^= 1;
          try {
            bob.readMessage(m3);
          } catch (err) {
            code = (err as { code?: unknown }).code;
          }
        });
      });
      expect(code).to.equal('ERR_NOISE_DECRYPT');
      expect(bob!.action).to.equal('done');
      expect(ephemerals).to.have.length(2);
      expect(zero(ephemerals[1]!.privateKey), "Bob's ephemeral, before destroy()").to.equal(true);
      expect(made.filter((a) => holds(a, psk)), 'copies of the psk, before destroy()').to.have.length(0);
    });

    it('keeps them while fallback() can still follow (the reply to message 1), until destroy()', () => {
      const server = generateKeyPair('25519', 'stablelib');
      const client = generateKeyPair('25519', 'stablelib');
      let alice: HandshakeState | undefined;
      const ephemerals = ephemeralsOf(() => {
        alice = new HandshakeState({ protocol: 'Noise_IK_25519_ChaChaPoly_BLAKE2s', initiator: true, backend: 'stablelib', staticKeyPair: client, remoteStaticKey: server.publicKey });
        alice.writeMessage();
      });
      expect(ephemerals).to.have.length(1);
      expect(() => alice!.readMessage(new Uint8Array(48))).to.throw().with.property('code', 'ERR_NOISE_DECRYPT');
      expect(zero(ephemerals[0]!.privateKey)).to.equal(false);
      const fb = alice!.fallback();
      expect(fb.action).to.equal('read');
      alice!.destroy();
      fb.destroy();
      expect(zero(ephemerals[0]!.privateKey)).to.equal(true);
    });

    it("a fallback state keeps nothing after a failed read: its copy of Alice's ephemeral (pre-message e) and its psks are wiped", () => {
      const psk = crypto.randomBytes(32);
      const statics = [generateKeyPair('25519', 'stablelib'), generateKeyPair('25519', 'stablelib')];
      let alice: HandshakeState | undefined;
      const ephemerals = ephemeralsOf(() => {
        alice = new HandshakeState({ protocol: 'Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s', initiator: true, backend: 'stablelib', staticKeyPair: statics[0]!, remoteStaticKey: statics[1]!.publicKey, psks: [psk] });
        alice.writeMessage();
      });
      expect(ephemerals).to.have.length(1);
      const e = Buffer.from(ephemerals[0]!.privateKey);
      let fb: HandshakeState | undefined;
      let code: unknown;
      // Alice falls back (XXfallback+psk2 carries the psk), then a forged XXfallback message 1 fails to read.
      const made = arraysMadeBy(() => {
        fb = alice!.fallback({ protocol: 'Noise_XXfallback+psk2_25519_ChaChaPoly_BLAKE2s' });
        try {
          fb.readMessage(new Uint8Array(200));
        } catch (err) {
          code = (err as { code?: unknown }).code;
        }
      });
      expect(code).to.equal('ERR_NOISE_DECRYPT');
      expect(fb!.action).to.equal('done');
      expect(() => fb!.fallback(), 'no fallback of a fallback').to.throw().with.property('code', 'ERR_NOISE_INVALID_STATE');
      expect(made.filter((a) => holds(a, e)), "the fallback state's copy of Alice's ephemeral").to.have.length(0);
      expect(made.filter((a) => holds(a, psk)), "the fallback state's psk copy").to.have.length(0);
      expect(zero(ephemerals[0]!.privateKey), "Alice's own state is not affected").to.equal(false);
      alice!.destroy();
    });
  });

  describe('keys read from files', function () {
    it('parsePrivateKeyFile leaves no copy of the key but the key pair', () => {
      for (const backend of ['stablelib', 'node', 'auto'] as const) {
        const key = unclampedKey();
        let kp: KeyPair | undefined;
        const made = arraysMadeBy(() => (kp = parsePrivateKeyFile(`# a key\n${key.toString('hex')}\n`, backend).keyPair));
        expect(toHex(kp!.privateKey)).to.equal(key.toString('hex'));
        expect(made.filter((a) => a !== kp!.privateKey && holds(a, key)), backend).to.have.length(0);
      }
    });

    it('parsePrivateKeyFile does not wipe a key a custom backend keeps as its own (the array or a view of it)', () => {
      for (const keep of [(k: Uint8Array) => k, (k: Uint8Array) => k.subarray(0)]) {
        const key = unclampedKey();
        const dh = stablelibBackend.dh('25519')!;
        const custom: CryptoBackend = { ...stablelibBackend, name: 'keeps', dh: (n) => (n === '25519' ? { ...dh, keyPairFromPrivate: (k: Uint8Array) => ({ publicKey: dh.keyPairFromPrivate(k).publicKey, privateKey: keep(k) }) } : undefined) };
        const kp = parsePrivateKeyFile(key.toString('hex'), custom).keyPair;
        expect(toHex(kp.privateKey)).to.equal(key.toString('hex'));
      }
    });

    it('resolveDeployment wipes the key and psks it read when a later setting is refused', () => {
      const dir = mkdtempSync(join(tmpdir(), 'noisekit-wipe-'));
      try {
        const key = unclampedKey();
        const psks = [crypto.randomBytes(32), crypto.randomBytes(32)];
        writeFileSync(join(dir, 'key'), `${key.toString('hex')}\n`, { mode: 0o600 });
        writeFileSync(join(dir, 'psk'), psks.map((p) => `${p.toString('hex')}\n`).join(''), { mode: 0o600 });
        let code: unknown;
        const made = arraysMadeBy(() => {
          try {
            // XXpsk3 needs one psk; the file has two: refused after both files were read
            resolveDeployment({ protocol: 'Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s', key: join(dir, 'key'), psk: join(dir, 'psk'), backend: 'stablelib' }, 'initiator');
          } catch (err) {
            code = (err as { code?: unknown }).code;
          }
        });
        expect(code).to.equal('ERR_NOISE_CONFIG');
        for (const secret of [key, ...psks]) expect(made.filter((a) => holds(a, secret))).to.have.length(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it("node backend: a key pair's cached private KeyObject does not outlive a zero-filled privateKey", () => {
    const peer = generateKeyPair('25519', 'stablelib').publicKey;
    const kp = nodeBackend.dh('25519')!.generateKeyPair();
    const before = toHex(nodeBackend.dh('25519')!.dh(kp, peer));
    expect(before).to.equal(toHex(stablelibBackend.dh('25519')!.dh(kp, peer)));
    kp.privateKey.fill(0);
    // the wiped key is what is used now, on every backend alike
    const after = toHex(nodeBackend.dh('25519')!.dh(kp, peer));
    expect(after).to.not.equal(before);
    expect(after).to.equal(toHex(stablelibBackend.dh('25519')!.dh(kp, peer)));
  });

  describe('HKDF (section 4.3): temp_key does not outlive the call', function () {
    const backends: CryptoBackend[] = [...backendChain('auto'), stablelibBackend, nodeBackend];
    for (const backend of new Set(backends)) {
      for (const [name, alg] of [['SHA256', 'sha256'], ['SHA512', 'sha512'], ['BLAKE2s', 'blake2s256'], ['BLAKE2b', 'blake2b512']] as const) {
        const hash = backend.hash(name);
        if (!hash) continue;
        it(`${backend.name} ${name}`, () => {
          const ck = crypto.randomBytes(hash.hashLen);
          const ikm = crypto.randomBytes(32);
          const tempKey = crypto.createHmac(alg, ck).update(ikm).digest();
          let outs: Uint8Array[] = [];
          const made = arraysMadeBy(() => (outs = hkdf(hash, new Uint8Array(ck), new Uint8Array(ikm), 3)));
          // the outputs are right (checked against node:crypto's HMAC) ...
          const out1 = crypto.createHmac(alg, tempKey).update(Uint8Array.of(1)).digest();
          expect(toHex(outs[0]!)).to.equal(out1.toString('hex'));
          // ... and no array made on the way still holds temp_key
          expect(made.filter((a) => holds(a, tempKey))).to.have.length(0);
        });
      }
    }
  });

  describe('@noble/curves key generation and DH', function () {
    it("weierstrassGenerate (P256 on noble, secp256k1): the generator's own array is zeroed", () => {
      for (const [curve, name, compressed] of [[p256, 'P-256', false], [secp256k1, 'secp256k1', true]] as const) {
        const given: Uint8Array[] = [];
        // The curve objects of @noble/curves are frozen: a copy with a recording generator.
        const recording: NobleEcdh = {
          getPublicKey: (k, c) => curve.getPublicKey(k, c),
          getSharedSecret: (k, p, c) => curve.getSharedSecret(k, p, c),
          utils: {
            isValidSecretKey: (k) => curve.utils.isValidSecretKey(k),
            randomSecretKey: () => {
              const k = curve.utils.randomSecretKey();
              given.push(k);
              return k;
            },
          },
        };
        const kp = weierstrassGenerate(recording, name, compressed);
        expect(given).to.have.length(1);
        expect([...given[0]!].every((x) => x === 0), name).to.equal(true);
        expect(toHex(curve.getPublicKey(kp.privateKey, compressed))).to.equal(toHex(kp.publicKey));
      }
    });

    it("keyPairFromGenerated (448 on the stablelib backend): zeroes the generator's array, also when deriving throws", () => {
      const k = crypto.randomBytes(56);
      const kp = keyPairFromGenerated(new Uint8Array(k), (sk) => stablelibBackend.dh('448')!.keyPairFromPrivate(sk));
      expect(toHex(kp.privateKey)).to.equal(k.toString('hex'));
      const given = new Uint8Array(k);
      expect(() => keyPairFromGenerated(given, () => {
        throw new Error('derive failed');
      })).to.throw('derive failed');
      expect(given.every((x) => x === 0)).to.equal(true);
    });

    it('P256 (noble): no array holds the shared point after dh(), only its x-coordinate is returned', () => {
      const a = p256Noble.generateKeyPair();
      const b = p256Noble.generateKeyPair();
      const point = p256.getSharedSecret(a.privateKey, b.publicKey, true);
      let x: Uint8Array | undefined;
      const made = arraysMadeBy(() => (x = p256Noble.dh(a, b.publicKey)));
      expect(toHex(x!)).to.equal(toHex(point.subarray(1)));
      expect(made.filter((m) => holds(m, point))).to.have.length(0);
    });
  });
});
