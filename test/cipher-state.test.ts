/**
 * CipherState (spec 5.1, 11.3, 12.3, 12.4): nonce encodings, the reserved nonce, failed decrypts,
 * and REKEY. Expected values come from node:crypto driven directly with nonces built from the
 * spec's text, not from noisekit.
 */
import { expect } from 'chai';
import * as crypto from 'node:crypto';
import { CipherState, MAX_NONCE, NoiseError, BACKENDS } from '../src/index.js';

const key = crypto.randomBytes(32);
const ad = crypto.randomBytes(7);
const pt = crypto.randomBytes(50);

/** AEAD seal with node:crypto and an explicit 12-byte nonce. */
function seal(alg: 'chacha20-poly1305' | 'aes-256-gcm', k: Uint8Array, nonce: Uint8Array, aad: Uint8Array, data: Uint8Array): Buffer {
  const c = crypto.createCipheriv(alg as 'chacha20-poly1305', k, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: data.length });
  return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
}

/** Section 12.3: 32 zero bits then little-endian n; 12.4: 32 zero bits then big-endian n. */
function specNonce(n: bigint, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(12);
  for (let i = 0; i < 8; i++) {
    const byte = Number((n >> BigInt(8 * i)) & 0xffn);
    out[littleEndian ? 4 + i : 11 - i] = byte;
  }
  return out;
}

for (const backend of ['node', 'stablelib'] as const) {
  describe(`CipherState (${backend} backend)`, () => {
    const chacha = BACKENDS[backend].cipher('ChaChaPoly')!;
    const aesgcm = BACKENDS[backend].cipher('AESGCM')!;

    it('ChaChaPoly puts n little-endian after 4 zero bytes (12.3)', () => {
      const cs = new CipherState(chacha, key);
      const n = 0x0102030405n;
      cs.setNonce(n);
      const ct = cs.encryptWithAd(ad, pt);
      expect(Buffer.from(ct).equals(seal('chacha20-poly1305', key, specNonce(n, true), ad, pt))).to.equal(true);
      expect(Buffer.from(ct).equals(seal('chacha20-poly1305', key, specNonce(n, false), ad, pt))).to.equal(false);
    });

    it('AESGCM puts n big-endian after 4 zero bytes (12.4)', () => {
      const cs = new CipherState(aesgcm, key);
      const n = 0x0102030405n;
      cs.setNonce(n);
      const ct = cs.encryptWithAd(ad, pt);
      expect(Buffer.from(ct).equals(seal('aes-256-gcm', key, specNonce(n, false), ad, pt))).to.equal(true);
      expect(Buffer.from(ct).equals(seal('aes-256-gcm', key, specNonce(n, true), ad, pt))).to.equal(false);
    });

    it('increments n after each encrypt and decrypt', () => {
      const a = new CipherState(chacha, key);
      const b = new CipherState(chacha, key);
      for (let i = 0; i < 3; i++) expect(Buffer.from(b.decryptWithAd(ad, a.encryptWithAd(ad, pt))).equals(pt)).to.equal(true);
      expect(a.nonce).to.equal(3n);
      expect(b.nonce).to.equal(3n);
    });

    it('a failed decrypt signals ERR_NOISE_DECRYPT and does not advance n (5.1)', () => {
      const a = new CipherState(chacha, key);
      const b = new CipherState(chacha, key);
      const ct = a.encryptWithAd(ad, pt);
      const bad = ct.slice();
      bad[3]! ^= 1;
      expect(() => b.decryptWithAd(ad, bad)).to.throw(NoiseError).with.property('code', 'ERR_NOISE_DECRYPT');
      expect(() => b.decryptWithAd(crypto.randomBytes(7), ct)).to.throw(NoiseError).with.property('code', 'ERR_NOISE_DECRYPT');
      expect(b.nonce).to.equal(0n);
      expect(Buffer.from(b.decryptWithAd(ad, ct)).equals(pt)).to.equal(true);
    });

    it('nonce 2^64-1 is reserved: the last usable nonce is 2^64-2, then ERR_NOISE_NONCE_EXHAUSTED (5.1)', () => {
      const cs = new CipherState(chacha, key);
      cs.setNonce(MAX_NONCE - 1n);
      const ct = cs.encryptWithAd(ad, pt);
      expect(Buffer.from(ct).equals(seal('chacha20-poly1305', key, specNonce(MAX_NONCE - 1n, true), ad, pt))).to.equal(true);
      expect(cs.nonce).to.equal(MAX_NONCE);
      expect(() => cs.encryptWithAd(ad, pt)).to.throw(NoiseError).with.property('code', 'ERR_NOISE_NONCE_EXHAUSTED');
      const rx = new CipherState(chacha, key);
      rx.setNonce(MAX_NONCE);
      expect(() => rx.decryptWithAd(ad, ct)).to.throw(NoiseError).with.property('code', 'ERR_NOISE_NONCE_EXHAUSTED');
    });

    it('without a key, encrypt and decrypt pass data through (5.1)', () => {
      const cs = new CipherState(chacha);
      expect(cs.hasKey()).to.equal(false);
      expect(cs.encryptWithAd(ad, pt)).to.equal(pt);
      expect(cs.decryptWithAd(ad, pt)).to.equal(pt);
    });

    for (const [name, alg, le] of [['ChaChaPoly', 'chacha20-poly1305', true], ['AESGCM', 'aes-256-gcm', false]] as const) {
      it(`${name} rekey: k = ENCRYPT(k, 2^64-1, empty, 32 zeros)[0..32], n unchanged (4.2, 11.3)`, () => {
        const cs = new CipherState(BACKENDS[backend].cipher(name)!, key);
        cs.setNonce(5n);
        cs.rekey();
        expect(cs.nonce).to.equal(5n);
        const newKey = seal(alg, key, specNonce(MAX_NONCE, le), new Uint8Array(0), new Uint8Array(32)).subarray(0, 32);
        const ct = cs.encryptWithAd(ad, pt);
        expect(Buffer.from(ct).equals(seal(alg, newKey, specNonce(5n, le), ad, pt))).to.equal(true);
      });
    }
  });
}
