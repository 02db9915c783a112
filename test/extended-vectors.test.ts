/**
 * snow's extended vectors (mcginty/snow tests/vectors/snow-extended.txt): 204 vectors with DH
 * `P256` and cipher `XChaChaPoly`, on both backends (stablelib: P-256 from @noble/curves; node:
 * P-256 from node:crypto; XChaChaPoly from @noble/ciphers on both). Negative controls show the
 * check can fail: the other plausible XChaCha nonce layouts and a P-256 DH that returns the wrong
 * bytes do not reproduce the vectors. Plus typed errors for bad P-256 keys.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { runVector } from '../src/vectors/run.js';
import { stablelibBackend } from '../src/crypto/stablelib.js';
import { p256Noble, p256Node } from '../src/crypto/p256.js';
import { xchachaPoly, xchachaNonce } from '../src/crypto/xchacha.js';
import type { Cipher, CryptoBackend, Dh } from '../src/crypto/types.js';
import { isNoiseError } from '../src/errors.js';
import { describeVectorFile } from './support/vector-suites.js';

const FILE = 'snow-extended.txt';
const EXPECTED = 204;

/** A backend identical to stablelib except for one replaced DH or cipher. */
function withReplacement(dh?: Dh, cipher?: Cipher): CryptoBackend {
  return {
    name: 'stablelib-modified',
    dh: (n) => (dh && n === dh.name ? dh : stablelibBackend.dh(n)),
    cipher: (n) => (cipher && n === cipher.name ? cipher : stablelibBackend.cipher(n)),
    hash: (n) => stablelibBackend.hash(n),
  };
}

/** XChaChaPoly with another nonce layout (negative control). */
function xchachaWithLayout(layout: (n: bigint) => Uint8Array): Cipher {
  return {
    name: 'XChaChaPoly',
    init(key) {
      const k = new Uint8Array(key);
      return {
        encrypt: (n, ad, pt) => xchacha20poly1305(k, layout(n), ad).encrypt(pt),
        decrypt(n, ad, ct) {
          try {
            return xchacha20poly1305(k, layout(n), ad).decrypt(ct);
          } catch {
            return null;
          }
        },
        wipe: () => k.fill(0),
      };
    },
  };
}

const layoutAt = (offset: number) => (n: bigint) => {
  const out = new Uint8Array(24);
  new DataView(out.buffer).setBigUint64(offset, n, true);
  return out;
};

describeVectorFile(FILE, EXPECTED, (vectors, path) => {
  for (const backend of ['stablelib', 'node'] as const) {
    it(`CLI: noisekit vectors ${FILE} --backend ${backend} prints 204 passed`, () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', resolve('src/cli/main.ts'), 'vectors', path, '--backend', backend], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^204 passed, 0 failed, 0 skipped$/m);
    });
  }

  // Layouts agree at n = 0, so the controls use vectors that reach n = 1 within one key: XX
  // (message 3 encrypts s at n = 0, then its payload at n = 1) and one-way N with 2+ transport messages.
  const sample = vectors.filter((v) => /^Noise_(XX|N)_/.test(v.protocolName) && v.messages.length >= 3);

  it('negative control: snow\'s layout (16 zero bytes, LE64 n) is what passes; other layouts fail', () => {
    expect(sample.length).to.be.greaterThan(0);
    expect(sample.every((v) => runVector(v, withReplacement(undefined, xchachaWithLayout(xchachaNonce))).status === 'passed')).to.equal(true);
    const chachaStyle = (n: bigint) => {
      const out = new Uint8Array(24);
      new DataView(out.buffer).setBigUint64(4, n, true); // 12-byte ChaChaPoly nonce, zero-padded
      return out;
    };
    const bigEndian16 = (n: bigint) => {
      const out = new Uint8Array(24);
      new DataView(out.buffer).setBigUint64(16, n, false);
      return out;
    };
    for (const [name, layout] of [['LE64 at 0', layoutAt(0)], ['LE64 at 8', layoutAt(8)], ['ChaChaPoly 12-byte layout', chachaStyle], ['BE64 at 16', bigEndian16]] as const) {
      const statuses = sample.map((v) => runVector(v, withReplacement(undefined, xchachaWithLayout(layout))).status);
      expect(statuses.includes('failed'), `${name} should not reproduce snow's vectors`).to.equal(true);
    }
  });

  it('negative control: a P256 DH output off by one bit fails every vector', () => {
    const wrong: Dh = { ...p256Noble, dh: (kp, pub) => {
      const x = p256Noble.dh(kp, pub);
      x[0] = x[0]! ^ 1;
      return x;
    } };
    const statuses = sample.map((v) => runVector(v, withReplacement(wrong)).status);
    expect(statuses.every((s) => s === 'failed')).to.equal(true);
  });
});

describe('P256 and XChaChaPoly: keys and errors', () => {
  for (const dh of [p256Noble, p256Node]) {
    const label = dh === p256Node ? 'node' : 'noble';
    it(`${label}: every generated private key is 32 bytes, also when it starts with zero bytes (1 in 256)`, () => {
      // 3,000 keys: the chance that none starts with a zero byte is (255/256)^3000 < 1e-5.
      let leadingZero = 0;
      for (let i = 0; i < 3000; i++) {
        const k = dh.generateKeyPair();
        expect(k.privateKey, `key ${i}`).to.have.length(32);
        if (k.privateKey[0] === 0) {
          leadingZero++;
          // The other implementation derives the same public key from the padded scalar.
          const other = dh === p256Node ? p256Noble : p256Node;
          expect(Buffer.from(other.keyPairFromPrivate(k.privateKey).publicKey).equals(Buffer.from(k.publicKey))).to.equal(true);
        }
      }
      expect(leadingZero).to.be.greaterThan(0);
    });
    it(`${label}: 65-byte uncompressed public keys, 32-byte shared secret, both sides agree`, () => {
      const a = dh.generateKeyPair();
      const b = dh.generateKeyPair();
      expect(a.publicKey).to.have.length(65);
      expect(a.publicKey[0]).to.equal(4);
      expect(a.privateKey).to.have.length(32);
      const ab = dh.dh(a, b.publicKey);
      expect(ab).to.have.length(32);
      expect(Buffer.from(ab).equals(Buffer.from(dh.dh(b, a.publicKey)))).to.equal(true);
      // The other implementation derives the same public key and secret.
      const other = dh === p256Node ? p256Noble : p256Node;
      expect(Buffer.from(other.keyPairFromPrivate(a.privateKey).publicKey).equals(Buffer.from(a.publicKey))).to.equal(true);
      expect(Buffer.from(other.dh(a, b.publicKey)).equals(Buffer.from(ab))).to.equal(true);
    });

    it(`${label}: a point off the curve is ERR_NOISE_DH, a wrong length ERR_NOISE_INVALID_KEY, a zero scalar ERR_NOISE_INVALID_KEY`, () => {
      const a = dh.generateKeyPair();
      const bad = new Uint8Array(a.publicKey);
      bad[64] = bad[64]! ^ 1;
      expect(() => dh.dh(a, bad)).to.throw().that.satisfies((e: unknown) => isNoiseError(e, 'ERR_NOISE_DH'));
      expect(() => dh.dh(a, a.publicKey.subarray(0, 33))).to.throw().that.satisfies((e: unknown) => isNoiseError(e, 'ERR_NOISE_INVALID_KEY'));
      expect(() => dh.keyPairFromPrivate(new Uint8Array(32))).to.throw().that.satisfies((e: unknown) => isNoiseError(e, 'ERR_NOISE_INVALID_KEY'));
    });

    it(`${label}: the same point in hybrid form (prefix 06/07) is ERR_NOISE_DH: keys are 04 || x || y only`, () => {
      const a = dh.generateKeyPair();
      const b = dh.generateKeyPair();
      const hybrid = new Uint8Array(b.publicKey);
      hybrid[0] = 6 + (b.publicKey[64]! & 1); // the prefix of the hybrid encoding of this very point
      expect(() => dh.dh(a, hybrid)).to.throw().that.satisfies((e: unknown) => isNoiseError(e, 'ERR_NOISE_DH'));
      hybrid[0] = 6 + 1 - (b.publicKey[64]! & 1);
      expect(() => dh.dh(a, hybrid)).to.throw().that.satisfies((e: unknown) => isNoiseError(e, 'ERR_NOISE_DH'));
    });
  }

  it('XChaChaPoly: a flipped bit or a wrong nonce is null (decryption failure), never plaintext', () => {
    const k = xchachaPoly.init(new Uint8Array(32).fill(7));
    const ad = Uint8Array.of(1, 2, 3);
    const ct = k.encrypt(5n, ad, new TextEncoder().encode('hello'));
    expect(new TextDecoder().decode(k.decrypt(5n, ad, ct)!)).to.equal('hello');
    expect(k.decrypt(6n, ad, ct)).to.equal(null);
    const flipped = new Uint8Array(ct);
    flipped[0] = flipped[0]! ^ 1;
    expect(k.decrypt(5n, ad, flipped)).to.equal(null);
    expect(k.decrypt(5n, ad, ct.subarray(0, 10))).to.equal(null);
  });
});
