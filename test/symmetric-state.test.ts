/**
 * SymmetricState (spec 5.2): protocol-name padding vs hashing, MixKey resetting n, HASHLEN-64 key
 * truncation and Split. Expected values are computed with node:crypto straight from the spec's
 * formulas (HKDF of section 4.3 = RFC 5869 with salt ck and empty info).
 */
import { expect } from 'chai';
import * as crypto from 'node:crypto';
import { SymmetricState, resolveSuite, CipherState } from '../src/index.js';

function suite(hash: string, backend: 'node' | 'stablelib') {
  return resolveSuite({ dh: '25519', cipher: 'ChaChaPoly', hash }, backend);
}
const nodeHash: Record<string, string> = { SHA256: 'sha256', SHA512: 'sha512', BLAKE2s: 'blake2s256', BLAKE2b: 'blake2b512' };
const hkdf = (hash: string, ck: Uint8Array, ikm: Uint8Array, len: number) =>
  Buffer.from(crypto.hkdfSync(nodeHash[hash]!, ikm, ck, new Uint8Array(0), len));

function chachaSeal(k: Uint8Array, n: number, ad: Uint8Array, pt: Uint8Array): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32LE(n, 4);
  const c = crypto.createCipheriv('chacha20-poly1305', k, nonce, { authTagLength: 16 });
  c.setAAD(ad, { plaintextLength: pt.length });
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

for (const backend of ['node', 'stablelib'] as const) {
  describe(`SymmetricState (${backend} backend)`, () => {
    it('pads a protocol name of at most HASHLEN bytes with zeros (5.2)', () => {
      const name = 'Noise_NN_25519_AESGCM_SHA256'; // 28 bytes <= 32
      const ss = new SymmetricState(suite('SHA256', backend), name);
      const expected = Buffer.alloc(32);
      expected.write(name);
      expect(Buffer.from(ss.h).equals(expected)).to.equal(true);
      expect(Buffer.from(ss.ck).equals(expected)).to.equal(true);
      const exact = 'Noise_XX_25519_AESGCM_SHA256abcd'; // exactly 32 bytes: padded (no hashing)
      expect(Buffer.from(new SymmetricState(suite('SHA256', backend), exact).h).toString()).to.equal(exact);
    });

    it('hashes a protocol name longer than HASHLEN (5.2)', () => {
      const name = 'Noise_XXfallback+psk0_25519_ChaChaPoly_BLAKE2s'; // 46 bytes > 32
      const ss = new SymmetricState(suite('BLAKE2s', backend), name);
      expect(Buffer.from(ss.h).equals(crypto.createHash('blake2s256').update(name).digest())).to.equal(true);
      const name64 = 'Noise_XXfallback+psk0_25519_ChaChaPoly_BLAKE2b'; // 46 <= 64: padded for a 64-byte hash
      const h64 = new SymmetricState(suite('BLAKE2b', backend), name64).h;
      expect(h64.length).to.equal(64);
      expect(Buffer.from(h64.subarray(0, name64.length)).toString()).to.equal(name64);
      expect(h64.subarray(name64.length).every((b) => b === 0)).to.equal(true);
    });

    it('MixHash: h = HASH(h || data)', () => {
      const ss = new SymmetricState(suite('SHA256', backend), 'Noise_NN_25519_ChaChaPoly_SHA256');
      const h0 = ss.h;
      ss.mixHash(Buffer.from('prologue'));
      expect(Buffer.from(ss.h).equals(crypto.createHash('sha256').update(h0).update('prologue').digest())).to.equal(true);
    });

    it('mixPrologue: MixHash(prologue) as the first MixHash, the empty one cached per name, every state its own copy', () => {
      const name = 'Noise_XX_25519_ChaChaPoly_SHA256';
      const expected = (prologue: Uint8Array) => {
        const h0 = new SymmetricState(suite('SHA256', backend), name).h;
        return crypto.createHash('sha256').update(h0).update(prologue).digest().toString('hex');
      };
      const [a, b] = [new SymmetricState(suite('SHA256', backend), name), new SymmetricState(suite('SHA256', backend), name)];
      a.mixPrologue(new Uint8Array(0));
      b.mixPrologue(new Uint8Array(0));
      expect(Buffer.from(a.h).toString('hex'), 'empty prologue').to.equal(expected(new Uint8Array(0)));
      expect(Buffer.from(b.h).toString('hex'), 'the cached value, again').to.equal(expected(new Uint8Array(0)));
      a.mixHash(Buffer.from('x'));
      expect(Buffer.from(b.h).toString('hex'), 'states do not share h').to.equal(expected(new Uint8Array(0)));
      const c = new SymmetricState(suite('SHA256', backend), name);
      c.mixPrologue(Buffer.from('John Galt'));
      expect(Buffer.from(c.h).toString('hex'), 'a prologue').to.equal(expected(Buffer.from('John Galt')));
      // After another MixHash it is a plain MixHash, never the cached value.
      const d = new SymmetricState(suite('SHA256', backend), name);
      d.mixHash(Buffer.from('y'));
      const hy = d.h;
      d.mixPrologue(new Uint8Array(0));
      expect(Buffer.from(d.h).equals(crypto.createHash('sha256').update(hy).digest())).to.equal(true);
    });

    for (const hash of ['SHA256', 'SHA512', 'BLAKE2s', 'BLAKE2b']) {
      it(`${hash}: MixKey sets ck and a key truncated to 32 bytes, and resets n to 0 (5.2)`, () => {
        const ss = new SymmetricState(suite(hash, backend), `Noise_NN_25519_ChaChaPoly_${hash}`);
        ss.mixKey(crypto.randomBytes(32));
        ss.encryptAndHash(new Uint8Array(3)); // n = 1 now
        ss.encryptAndHash(new Uint8Array(3)); // n = 2
        const ck = ss.ck;
        const ikm = crypto.randomBytes(32);
        const hashLen = ck.length;
        const okm = hkdf(hash, ck, ikm, 2 * hashLen);
        ss.mixKey(ikm);
        expect(Buffer.from(ss.ck).equals(okm.subarray(0, hashLen))).to.equal(true);
        const k = okm.subarray(hashLen, hashLen + 32); // truncated to 32 bytes when HASHLEN is 64
        const h = ss.h;
        const pt = crypto.randomBytes(20);
        const ct = ss.encryptAndHash(pt);
        expect(Buffer.from(ct).equals(chachaSeal(k, 0, h, pt)), 'encrypted with the new key at n = 0').to.equal(true);
      });

      it(`${hash}: MixKeyAndHash mixes temp_h into h and keys with temp_k (5.2, 9.1)`, () => {
        const ss = new SymmetricState(suite(hash, backend), `Noise_NNpsk0_25519_ChaChaPoly_${hash}`);
        const ck = ss.ck;
        const h0 = ss.h;
        const psk = crypto.randomBytes(32);
        const hashLen = ck.length;
        const okm = hkdf(hash, ck, psk, 3 * hashLen);
        ss.mixKeyAndHash(psk);
        expect(Buffer.from(ss.ck).equals(okm.subarray(0, hashLen))).to.equal(true);
        const expectedH = crypto.createHash(nodeHash[hash]!).update(h0).update(okm.subarray(hashLen, 2 * hashLen)).digest();
        expect(Buffer.from(ss.h).equals(expectedH)).to.equal(true);
        const pt = crypto.randomBytes(5);
        expect(Buffer.from(ss.encryptAndHash(pt)).equals(chachaSeal(okm.subarray(2 * hashLen, 2 * hashLen + 32), 0, expectedH, pt))).to.equal(true);
      });

      it(`${hash}: Split derives two 32-byte keys from HKDF(ck, empty) (5.2)`, () => {
        const ss = new SymmetricState(suite(hash, backend), `Noise_NN_25519_ChaChaPoly_${hash}`);
        ss.mixKey(crypto.randomBytes(32));
        const ck = ss.ck;
        const okm = hkdf(hash, ck, new Uint8Array(0), 2 * ck.length);
        const [c1, c2] = ss.split() as [CipherState, CipherState];
        const pt = crypto.randomBytes(9);
        expect(Buffer.from(c1.encryptWithAd(new Uint8Array(0), pt)).equals(chachaSeal(okm.subarray(0, 32), 0, new Uint8Array(0), pt))).to.equal(true);
        expect(Buffer.from(c2.encryptWithAd(new Uint8Array(0), pt)).equals(chachaSeal(okm.subarray(ck.length, ck.length + 32), 0, new Uint8Array(0), pt))).to.equal(true);
      });
    }

    it('without a key, EncryptAndHash returns the plaintext and hashes it', () => {
      const ss = new SymmetricState(suite('SHA256', backend), 'Noise_NN_25519_ChaChaPoly_SHA256');
      const h0 = ss.h;
      const pt = Buffer.from('clear');
      expect(Buffer.from(ss.encryptAndHash(pt)).equals(pt)).to.equal(true);
      expect(Buffer.from(ss.h).equals(crypto.createHash('sha256').update(h0).update(pt).digest())).to.equal(true);
    });
  });
}
