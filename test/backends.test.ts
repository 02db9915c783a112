/**
 * Equivalence and edge tests of the crypto backends (issue #3): known answers from RFC 7748,
 * the node, stablelib and (when installed) sodium backends agreeing byte for byte on random
 * inputs, and the size-switching cipher paths (node: pure JS up to NODE_SMALL_MESSAGE_MAX;
 * sodium: scratch up to 64 B, slab up to 4 KiB) correct at every switch boundary.
 * No timings here: speed is measured by `npm run bench`.
 */
import { expect } from 'chai';
import * as crypto from 'node:crypto';
import { nodeBackend, NODE_SMALL_MESSAGE_MAX, HASH_SCRATCH_MAX } from '../src/crypto/node.js';
import { stablelibBackend } from '../src/crypto/stablelib.js';
import { loadSodium, loadSodiumBackend, makeSodiumBackend } from '../src/crypto/sodium.js';
import { apiCalls, loadSodiumCalls, sameResults, type SodiumApi, type SodiumCalls } from '../src/crypto/sodium-calls.js';
import { createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { backendChain } from '../src/crypto/resolve.js';
import { SLAB_MESSAGE_MAX } from '../src/crypto/alloc.js';
import { hkdf } from '../src/crypto/hkdf.js';
import type { Cipher, CipherKey, CryptoBackend } from '../src/crypto/types.js';
import { Race } from '../src/crypto/race.js';
import { AUTO_LARGE_MIN, forcedLargeWinner } from '../src/crypto/auto.js';
import { fromHex, toHex } from '../src/bytes.js';
import { NoiseError } from '../src/errors.js';
import { runNode } from './support/run-node.js';
import * as sx25519 from '@stablelib/x25519';
import { x448 } from '@noble/curves/ed448.js';

const sodium = loadSodiumBackend();
const requireHere = createRequire(import.meta.url);
/** The sodium backend on sodium-native's documented API (the loaded one calls its binding, see crypto/sodium-calls.ts). */
const sodiumApi: CryptoBackend | undefined = sodium && { ...makeSodiumBackend(apiCalls(requireHere('sodium-native') as SodiumApi)), name: 'sodium (api layer)' };
/** auto's front backend with its large-message ChaChaPoly choice fixed (crypto/auto.ts times it once). */
const autoWith = (largeToNodeCrypto: boolean): CryptoBackend[] => {
  const lib = loadSodium();
  if (!lib) return [];
  const winner = largeToNodeCrypto ? 1 : 0;
  const b = makeSodiumBackend(lib, { cipher: nodeBackend.cipher('ChaChaPoly')!, min: AUTO_LARGE_MIN, encrypt: new Race({ winner }), decrypt: new Race({ winner }) });
  return [{ ...b, name: `auto (large ChaChaPoly to ${largeToNodeCrypto ? 'node' : 'sodium'})` }];
};
const ALL: CryptoBackend[] = [nodeBackend, stablelibBackend, ...(sodium ? [sodium] : []), ...(sodiumApi ? [sodiumApi] : []), ...autoWith(true), ...autoWith(false)];
const rand = (n: number) => new Uint8Array(crypto.randomBytes(n));
const EMPTY_AD = new Uint8Array(0);

describe('crypto backends', function () {
  this.timeout(60_000);

  describe('X25519 (RFC 7748)', function () {
    for (const b of ALL) {
      const dh = b.dh('25519')!;
      it(`${b.name}: section 5.2 test vector 1`, () => {
        const kp = dh.keyPairFromPrivate(fromHex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'));
        const out = dh.dh(kp, fromHex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'));
        expect(toHex(out)).to.equal('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
      });
      it(`${b.name}: section 6.1 key pairs and shared secret`, () => {
        const alice = dh.keyPairFromPrivate(fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
        const bob = dh.keyPairFromPrivate(fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
        expect(toHex(alice.publicKey)).to.equal('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
        expect(toHex(bob.publicKey)).to.equal('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
        const k = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
        expect(toHex(dh.dh(alice, bob.publicKey))).to.equal(k);
        expect(toHex(dh.dh(bob, alice.publicKey))).to.equal(k);
      });
      it(`${b.name}: a low-order public key gives 32 zero bytes (section 12.1)`, () => {
        const kp = dh.generateKeyPair();
        expect(toHex(dh.dh(kp, new Uint8Array(32)))).to.equal('00'.repeat(32));
      });
      it(`${b.name}: a private key of the wrong length is ERR_NOISE_INVALID_KEY, never an output (25519, 448, P256, secp256k1)`, () => {
        for (const name of ['25519', '448', 'P256', 'secp256k1']) {
          const d = b.dh(name);
          if (!d) continue;
          const peer = d.generateKeyPair().publicKey;
          const bad = { privateKey: new Uint8Array(d.privateKeyLength - 1).fill(9), publicKey: new Uint8Array(peer.length) };
          expect(() => d.dh(bad, peer), name).to.throw().that.satisfies((e: unknown) => e instanceof NoiseError && e.code === 'ERR_NOISE_INVALID_KEY');
        }
      });
    }
    it('generated key pairs are consistent: the public key is the base-point multiple of the private key', () => {
      // Independent implementations as the reference: @stablelib/x25519 and @noble/curves x448.
      for (const b of ALL) {
        for (let i = 0; i < 100; i++) {
          const kp = b.dh('25519')!.generateKeyPair();
          expect(kp.privateKey.length).to.equal(32);
          expect(toHex(kp.publicKey), `${b.name} 25519 key ${i}`).to.equal(toHex(sx25519.scalarMultBase(kp.privateKey)));
        }
        const dh448 = b.dh('448');
        for (let i = 0; dh448 && i < 20; i++) {
          const kp = dh448.generateKeyPair();
          expect(toHex(kp.publicKey), `${b.name} 448 key ${i}`).to.equal(toHex(x448.getPublicKey(kp.privateKey)));
        }
      }
    });
    it('all backends agree on random key pairs, and on a public key array that is mutated between uses', () => {
      for (let i = 0; i < 20; i++) {
        const a = rand(32);
        const peer = nodeBackend.dh('25519')!.generateKeyPair();
        const outs = ALL.map((b) => {
          const dh = b.dh('25519')!;
          const kp = dh.keyPairFromPrivate(a);
          expect(toHex(kp.publicKey)).to.equal(toHex(nodeBackend.dh('25519')!.keyPairFromPrivate(a).publicKey));
          return toHex(dh.dh(kp, peer.publicKey));
        });
        expect(new Set(outs).size).to.equal(1);
      }
      // The node backend caches KeyObjects per public-key array: a changed array must not reuse it.
      const dh = nodeBackend.dh('25519')!;
      const me = dh.generateKeyPair();
      const p1 = dh.generateKeyPair();
      const p2 = dh.generateKeyPair();
      const arr = new Uint8Array(p1.publicKey);
      const first = toHex(dh.dh(me, arr));
      arr.set(p2.publicKey);
      expect(toHex(dh.dh(me, arr))).to.equal(toHex(stablelibBackend.dh('25519')!.dh(me, p2.publicKey)));
      expect(first).to.equal(toHex(stablelibBackend.dh('25519')!.dh(me, p1.publicKey)));
    });
  });

  describe('ciphers: every backend gives identical ciphertexts, across every size switch', function () {
    const boundaries = [
      0, 1, 15, 16, 17, 63, 64, 65,
      NODE_SMALL_MESSAGE_MAX - 1, NODE_SMALL_MESSAGE_MAX, NODE_SMALL_MESSAGE_MAX + 1,
      1024, 4095, 4096, 4097,
      HASH_SCRATCH_MAX - 16, HASH_SCRATCH_MAX, HASH_SCRATCH_MAX + 1, HASH_SCRATCH_MAX + 16, HASH_SCRATCH_MAX + 17,
      8191, 8192, 8193, AUTO_LARGE_MIN - 1, AUTO_LARGE_MIN, AUTO_LARGE_MIN + 1, 65519,
    ];
    const nonces = [0n, 1n, 0xffffffffn, 1n << 32n, (1n << 64n) - 2n];
    for (const name of ['ChaChaPoly', 'AESGCM']) {
      it(`${name}: ${boundaries.length} sizes × ${nonces.length} nonces, cross-decryption and tampering`, () => {
        const key = rand(32);
        const impls = ALL.map((b) => b.cipher(name)).filter((c) => c !== undefined).map((c) => c!.init(key));
        expect(impls.length).to.be.at.least(2);
        for (const size of boundaries) {
          for (const n of nonces) {
            const pt = rand(size);
            const ad = rand([0, 32, 64, 65, 200][size % 5]!);
            const cts = impls.map((k) => toHex(k.encrypt(n, ad, pt)));
            expect(new Set(cts).size, `${name} ${size} B nonce ${n}`).to.equal(1);
            const ct = fromHex(cts[0]!);
            expect(ct.length).to.equal(size + 16);
            for (const k of impls) {
              expect(toHex(k.decrypt(n, ad, ct)!)).to.equal(toHex(pt));
              const bad = new Uint8Array(ct);
              bad[(size * 7) % bad.length]! ^= 1;
              expect(k.decrypt(n, ad, bad), `${name} tampered ${size} B`).to.equal(null);
              expect(k.decrypt(n + 1n, ad, ct), `${name} wrong nonce ${size} B`).to.equal(null);
            }
          }
        }
      });
    }
    it('outputs are never views of reused scratch memory (a later call leaves earlier results intact)', () => {
      for (const b of ALL) {
        const k = b.cipher('ChaChaPoly')!.init(rand(32));
        for (const size of [0, 32, 64, 1000, HASH_SCRATCH_MAX + 100]) {
          const pt1 = rand(size);
          const ct1 = k.encrypt(0n, rand(32), pt1);
          const ct1Hex = toHex(ct1);
          const ad = rand(64);
          const ct2 = k.encrypt(1n, ad, rand(size));
          expect(toHex(ct1), `${b.name} ciphertext ${size} B`).to.equal(ct1Hex);
          const pt2 = k.decrypt(1n, ad, ct2)!;
          const pt2Hex = toHex(pt2);
          k.encrypt(2n, ad, rand(size));
          expect(toHex(pt2), `${b.name} plaintext ${size} B`).to.equal(pt2Hex);
        }
        const h = b.hash('BLAKE2b') ?? b.hash('SHA256')!;
        const h1 = h.hash(rand(40));
        const h1Hex = toHex(h1);
        const m1 = h.hmac(rand(32), rand(40));
        const m1Hex = toHex(m1);
        h.hash(rand(40));
        h.hmac(rand(32), rand(40));
        expect([toHex(h1), toHex(m1)], `${b.name} hash/hmac`).to.deep.equal([h1Hex, m1Hex]);
        const dh = b.dh('25519')!;
        const [x, y, z] = [dh.generateKeyPair(), dh.generateKeyPair(), dh.generateKeyPair()];
        const xHex = toHex(x.privateKey) + toHex(x.publicKey);
        const d1 = dh.dh(x, y.publicKey);
        const d1Hex = toHex(d1);
        dh.dh(x, z.publicKey);
        expect(toHex(d1) + toHex(x.privateKey) + toHex(x.publicKey), `${b.name} DH`).to.equal(d1Hex + xHex);
      }
    });
    it('kept ciphertexts stay intact across slab rollovers; plaintexts own their whole ArrayBuffer', () => {
      // Ciphertexts up to SLAB_MESSAGE_MAX share 64 KiB slabs (crypto/alloc.ts): 300 messages of
      // up to 4 KiB fill several slabs; every one must still decrypt after all were made.
      // Plaintexts are secret and must never share memory with other data.
      for (const b of ALL) {
        for (const name of ['ChaChaPoly', 'AESGCM']) {
          const c = b.cipher(name);
          if (!c) continue;
          const k = c.init(rand(32));
          const sizes = Array.from({ length: 300 }, (_, i) => [0, 1, 48, 49, 64, 65, 1000, SLAB_MESSAGE_MAX - 16, SLAB_MESSAGE_MAX][i % 9]!);
          const pts = sizes.map(rand);
          const cts = pts.map((pt, i) => k.encrypt(BigInt(i), EMPTY_AD, pt));
          cts.forEach((ct, i) => {
            const pt = k.decrypt(BigInt(i), EMPTY_AD, ct);
            expect(pt && toHex(pt), `${b.name} ${name} message ${i} (${sizes[i]} B)`).to.equal(toHex(pts[i]!));
            expect([pt!.byteOffset, pt!.buffer.byteLength], `${b.name} ${name} plaintext ${sizes[i]} B owns its buffer`).to.deep.equal([0, pt!.length]);
          });
          for (const size of [8191, 8192, 20000, 65519]) {
            const pt = k.decrypt(7n, EMPTY_AD, k.encrypt(7n, EMPTY_AD, rand(size)))!;
            expect([pt.byteOffset, pt.buffer.byteLength], `${b.name} ${name} plaintext ${size} B owns its buffer`).to.deep.equal([0, size]);
          }
        }
      }
    });
    it("transferring one ciphertext's .buffer (postMessage, structuredClone) detaches nothing: other ciphertexts and later encryptions are untouched", () => {
      const { port1, port2 } = new MessageChannel();
      try {
        for (const b of ALL) {
          for (const name of ['ChaChaPoly', 'AESGCM']) {
            const c = b.cipher(name);
            if (!c) continue;
            const k = c.init(rand(32));
            const pts = [rand(200), rand(300)];
            const [other, mine] = pts.map((pt, i) => k.encrypt(BigInt(i), EMPTY_AD, pt)) as [Uint8Array, Uint8Array];
            port1.postMessage(mine, [mine.buffer as ArrayBuffer]);
            try {
              structuredClone(mine, { transfer: [mine.buffer as ArrayBuffer] }); // copies, as for Node's Buffer pool
            } catch {
              // or refuses ("Unable to deserialize cloned data" after a postMessage on Node 20): fine too
            }
            // (A ciphertext with an ArrayBuffer of its own, as stablelib's, is moved: that is the
            // application's own array.)
            expect(other.length, `${b.name} ${name}: the other ciphertext is not detached`).to.equal(216);
            expect(toHex(k.decrypt(0n, EMPTY_AD, other)!), `${b.name} ${name}`).to.equal(toHex(pts[0]!));
            const pt = rand(300);
            expect(toHex(k.decrypt(2n, EMPTY_AD, k.encrypt(2n, EMPTY_AD, pt))!), `${b.name} ${name}: later encryptions`).to.equal(toHex(pt));
          }
        }
      } finally {
        port1.close();
        port2.close();
      }
    });
    it('ChaChaPoly matches raw node:crypto (OpenSSL) with the Noise nonce layout (section 12.3)', () => {
      const key = rand(32);
      const pt = rand(100);
      const n = 0x0102030405060708n;
      const iv = Buffer.concat([Buffer.alloc(4), Buffer.from('0807060504030201', 'hex')]);
      const c = crypto.createCipheriv('chacha20-poly1305', key, iv, { authTagLength: 16 });
      const want = Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]).toString('hex');
      for (const b of ALL) expect(toHex(b.cipher('ChaChaPoly')!.init(key).encrypt(n, new Uint8Array(0), pt)), b.name).to.equal(want);
    });
    it('wipe() zeroes the key: later messages are sealed under the all-zero key', () => {
      for (const b of ALL) {
        for (const size of [10, 1000, 20000]) {
          const k = b.cipher('ChaChaPoly')!.init(rand(32));
          k.encrypt(0n, new Uint8Array(0), rand(size)); // create any lazy state first
          k.wipe();
          const zero = b.cipher('ChaChaPoly')!.init(new Uint8Array(32));
          const pt = rand(size);
          expect(toHex(k.encrypt(0n, new Uint8Array(0), pt)), `${b.name} ${size}`).to.equal(toHex(zero.encrypt(0n, new Uint8Array(0), pt)));
        }
      }
    });
  });

  describe('hashes: HASH, HMAC and HKDF agree across backends', function () {
    const OPENSSL_NAME: Record<string, string> = { SHA256: 'sha256', SHA512: 'sha512', BLAKE2s: 'blake2s256', BLAKE2b: 'blake2b512' };
    for (const name of ['SHA256', 'SHA512', 'BLAKE2s', 'BLAKE2b']) {
      it(name, () => {
        const hs = ALL.map((b) => b.hash(name)).filter((h) => h !== undefined).map((h) => h!);
        expect(hs.length).to.be.at.least(2);
        for (const keyLen of [0, 1, 32, 64, 127, 128, 129, 200]) {
          const key = rand(keyLen);
          const parts = [rand(keyLen % 50), rand(64), rand(1)];
          const r = hs.map((h) => [toHex(h.hash(...parts)), toHex(h.hmac(key, ...parts))].join());
          expect(new Set(r).size, `${name} key ${keyLen}`).to.equal(1);
          // Independent reference: OpenSSL's own HMAC (the backends build HMAC from hash calls).
          const ref = crypto.createHmac(OPENSSL_NAME[name]!, key);
          for (const p of parts) ref.update(p);
          expect(r[0]!.split(',')[1], `${name} HMAC vs createHmac, key ${keyLen}`).to.equal(ref.digest('hex'));
        }
        // HASH of joined parts on both sides of the scratch size (crypto/scratch.ts), one part
        // and several, against OpenSSL's createHash.
        for (const total of [0, 1, HASH_SCRATCH_MAX - 1, HASH_SCRATCH_MAX, HASH_SCRATCH_MAX + 1, 3 * HASH_SCRATCH_MAX]) {
          const whole = rand(total);
          const split = [whole.slice(0, total >> 2), whole.slice(total >> 2, total >> 1), whole.slice(total >> 1)];
          const want = crypto.createHash(OPENSSL_NAME[name]!).update(whole).digest('hex');
          for (const h of hs) {
            expect(toHex(h.hash(whole)), `${name} ${total} B in one part`).to.equal(want);
            expect(toHex(h.hash(...split)), `${name} ${total} B in three parts`).to.equal(want);
          }
        }
        // HKDF (section 4.3) = RFC 5869 with salt ck and empty info: against OpenSSL's hkdfSync,
        // for Noise's own shapes (ck of HASHLEN; ikm empty, a DH output or a psk) and for keys and
        // inputs past the fused path's limits (crypto/hmac-fused.ts: BLOCKLEN keys, 2*HASHLEN data).
        const hashLen = hs[0]!.hashLen;
        for (const ckLen of [hashLen, 0, 127, 128, 129, 200]) {
          const ck = rand(ckLen);
          for (const ikmLen of [0, 32, 56, 2 * hashLen, 2 * hashLen + 1, 300]) {
            const ikm = rand(ikmLen);
            for (const n of [2, 3] as const) {
              const want = toHex(new Uint8Array(crypto.hkdfSync(OPENSSL_NAME[name]!, ikm, ck, new Uint8Array(0), n * hashLen)));
              for (const h of hs) expect(hkdf(h, ck, ikm, n).map(toHex).join(''), `${name} HKDF ck ${ckLen} ikm ${ikmLen} n ${n}`).to.equal(want);
            }
          }
        }
      });
    }
  });

  describe('node backend key generation under GC pressure', function () {
    it('does not deadlock (Node 20: exporting a KeyObject from generateKeyPairSync while GC finalizes the job)', async function () {
      this.timeout(60_000);
      // A hang blocks the child's main thread in native code, so it is run as a child and killed.
      const r = await runNode(['--max-semi-space-size=1', 'test/fixtures/node-keygen-gc.ts', '4000'], { timeoutMs: 40_000 });
      expect(r.status, `child killed or failed (deadlock?): ${r.stderr}`).to.equal(0);
      expect(Number(r.stdout)).to.be.greaterThan(100);
    });
  });

  describe('sodium-native layers (crypto/sodium-calls.ts)', function () {
    before(function () {
      if (!sodium) this.skip();
    });
    it('the binding layer is the one loaded for sodium-native 5, and it agrees with the API', () => {
      const { version } = requireHere('sodium-native/package.json') as { version: string };
      const calls = loadSodiumCalls(requireHere);
      expect(calls.layer).to.equal(version.startsWith('5.') ? 'binding' : 'api');
      expect(sameResults(calls, apiCalls(requireHere('sodium-native') as SodiumApi))).to.equal(true);
    });
    it('a binding that differs from the API in any call is rejected by the self-check', () => {
      const api = apiCalls(requireHere('sodium-native') as SodiumApi);
      const broken: Array<[string, Partial<SodiumCalls>]> = [
        ['hash', { generichash: (out, input) => { api.generichash(out, input); out[63] = out[63]! ^ 1; } }],
        ['seal', { seal: (c, m, ad, npub, k) => { api.seal(c, m, ad, npub, k); c[0] = c[0]! ^ 1; } }],
        ['open accepts forgeries', { open: (m, c, ad, npub, k) => { api.open(m, c, ad, npub, k); return true; } }],
        ['scalarmult', { scalarmult: (q, n, p) => { const ok = api.scalarmult(q, n, p); q[0] = q[0]! ^ 1; return ok; } }],
        ['accepts a low-order point', { scalarmult: (q, n, p) => { api.scalarmult(q, n, p); return true; } }],
        ['base', { scalarmultBase: (q, n) => { api.scalarmultBase(q, n); q[31] = q[31]! ^ 1; } }],
        ['no randomness', { randomFill: (buf) => buf.fill(0) }],
      ];
      for (const [what, change] of broken) expect(sameResults({ ...api, ...change, layer: 'binding' }, api), what).to.equal(false);
    });
    it('NOISEKIT_SODIUM_LAYER=api selects the documented API', () => {
      process.env.NOISEKIT_SODIUM_LAYER = 'api';
      try {
        expect(loadSodiumCalls(requireHere).layer).to.equal('api');
      } finally {
        delete process.env.NOISEKIT_SODIUM_LAYER;
      }
    });
  });

  describe('auto: large ChaChaPoly messages to node:crypto when faster (crypto/auto.ts, race.ts)', function () {
    /** A cipher that counts what its keys do. */
    const counted = (inner: Cipher) => {
      const calls = { encrypt: 0, decrypt: 0, init: 0, wipe: 0 };
      const cipher: Cipher = {
        name: inner.name,
        init(key) {
          calls.init++;
          const k = inner.init(key);
          const wrapped: CipherKey = {
            encrypt: (n, ad, pt) => (calls.encrypt++, k.encrypt(n, ad, pt)),
            decrypt: (n, ad, ct) => (calls.decrypt++, k.decrypt(n, ad, ct)),
            wipe: () => (calls.wipe++, k.wipe()),
          };
          return wrapped;
        },
      };
      return { cipher, calls };
    };
    const busy = (ms: number) => {
      const t = performance.now();
      while (performance.now() - t < ms);
    };
    const stablelibChaCha = stablelibBackend.cipher('ChaChaPoly')!;
    const nodeChaCha = nodeBackend.cipher('ChaChaPoly')!;

    describe('Race', function () {
      it('alternates in runs until each has its samples, then picks the faster, whichever of the two it is', () => {
        for (const slow of [0, 1] as const) {
          const race = new Race({ samples: 3, burst: 4, probeEvery: 16 });
          const used: number[] = [];
          for (let k = 0; k < 8; k++) race.run(1000, (i) => (used.push(i), busy(i === slow ? 0.3 : 0)));
          expect(used).to.deep.equal([0, 0, 0, 0, 1, 1, 1, 1]);
          expect(race.winner, `implementation ${slow} is the slow one`).to.equal(slow === 0 ? 1 : 0);
        }
      });
      it('does not time the first call of a run (a warm-up penalty does not decide)', () => {
        // Implementation 1 is slow only on the first call after the other one ran.
        const race = new Race({ samples: 3, burst: 4, probeEvery: 16 });
        let last = -1;
        for (let k = 0; k < 8; k++) race.run(1000, (i) => (busy(i === 1 ? (last !== 1 ? 2 : 0) : 0.2), (last = i)));
        expect(race.winner).to.equal(1);
      });
      it('once decided, a run of burst calls in every probeEvery tries the other one, which takes over when faster', () => {
        const race = new Race({ samples: 3, burst: 4, probeEvery: 16 });
        let delays = [0.3, 0];
        const used: number[] = [];
        const go = (n: number) => {
          for (let k = 0; k < n; k++) race.run(1000, (i) => (used.push(i), busy(delays[i]!)));
        };
        go(8);
        expect(race.winner).to.equal(1);
        used.length = 0;
        go(64);
        expect(used.filter((i) => i === 0), 'probes of the other one').to.have.length(16);
        expect(race.winner, 'still the faster').to.equal(1);
        delays = [0, 0.3]; // the machine changes
        go(64);
        expect(race.winner, 'the other one took over').to.equal(0);
      });
      it('calls that do not count (failed decryptions) never steer it; a fixed winner is all that runs', () => {
        const race = new Race({ samples: 2, burst: 2, probeEvery: 4 });
        for (let k = 0; k < 20; k++) race.run(1000, (i) => (busy(i === 0 ? 0.2 : 0), i === 0), (ok) => ok);
        expect(race.winner, 'only implementation 0 counted').to.equal(undefined);
        const fixed = new Race({ winner: 1, samples: 2, probeEvery: 2 });
        const used = new Set<number>();
        for (let k = 0; k < 20; k++) fixed.run(1000, (i) => (used.add(i), busy(i === 1 ? 0.2 : 0)));
        expect([...used]).to.deep.equal([1]);
      });
    });

    describe('the sodium backend with a cipher for large messages', function () {
      before(function () {
        if (!loadSodium()) this.skip();
      });
      const withLarge = (large: Cipher, min: number, race: () => Race) =>
        makeSodiumBackend(loadSodium()!, { cipher: large, min, encrypt: race(), decrypt: race() }).cipher('ChaChaPoly')!;
      it('below min libsodium; from min on the large cipher when it won, keyed once, wiped with the key', () => {
        const large = counted(nodeChaCha);
        const c = withLarge(large.cipher, 1000, () => new Race({ winner: 1 }));
        const key = rand(32);
        const ref = stablelibChaCha.init(key);
        const k = c.init(key);
        for (const [size, toLarge] of [[999, 0], [1000, 2], [0, 0], [5000, 2], [65519, 2]] as const) {
          const before = large.calls.encrypt + large.calls.decrypt;
          const pt = rand(size);
          const ct = k.encrypt(7n, EMPTY_AD, pt);
          expect(toHex(ct), `${size} B`).to.equal(toHex(ref.encrypt(7n, EMPTY_AD, pt)));
          expect(toHex(k.decrypt(7n, EMPTY_AD, ct)!)).to.equal(toHex(pt));
          expect(large.calls.encrypt + large.calls.decrypt - before, `${size} B to the large cipher`).to.equal(toLarge);
        }
        expect(large.calls.init, 'keyed once').to.equal(1);
        k.wipe();
        expect(large.calls.wipe, 'wipe() reaches the large key').to.equal(1);
      });
      it('when libsodium won, the large cipher is never keyed', () => {
        const large = counted(nodeChaCha);
        const k = withLarge(large.cipher, 100, () => new Race({ winner: 0 })).init(rand(32));
        for (const size of [0, 99, 100, 65519]) expect(k.decrypt(0n, EMPTY_AD, k.encrypt(0n, EMPTY_AD, rand(size)))).to.not.equal(null);
        expect(large.calls.init).to.equal(0);
      });
      it('while racing, messages go to both and every result is the same as one cipher alone', () => {
        const large = counted(nodeChaCha);
        const k = withLarge(large.cipher, 100, () => new Race({ samples: 4, burst: 2, probeEvery: 4 })).init(rand(32));
        const key2 = rand(32);
        const k2 = withLarge(large.cipher, 100, () => new Race({ samples: 4, burst: 2, probeEvery: 4 })).init(key2);
        const ref = stablelibChaCha.init(key2);
        for (let n = 0n; n < 40n; n++) {
          const pt = rand(100 + Number(n) * 50);
          expect(toHex(k.decrypt(n, EMPTY_AD, k.encrypt(n, EMPTY_AD, pt))!)).to.equal(toHex(pt));
          const ct = k2.encrypt(n, EMPTY_AD, pt);
          expect(toHex(ct)).to.equal(toHex(ref.encrypt(n, EMPTY_AD, pt)));
          const bad = new Uint8Array(ct);
          bad[3]! ^= 1;
          expect(k2.decrypt(n, EMPTY_AD, bad), 'a forgery fails on either').to.equal(null);
        }
        expect(large.calls.encrypt, 'node:crypto had its share').to.be.greaterThan(4);
      });
    });

    it('autoLargeChoice() reports nothing before auto is built, then undecided until the race has its samples, then the choice', async function () {
      if (!sodium) this.skip();
      const r = await runNode(['test/fixtures/auto-large-choice.ts', '200'], { timeoutMs: 40_000 });
      expect(r.status, r.stderr).to.equal(0);
      const { before, built, after } = JSON.parse(r.stdout) as Record<string, { encrypt: string; decrypt: string } | null>;
      expect(before).to.equal(null);
      expect(built).to.deep.equal({ encrypt: 'undecided', decrypt: 'undecided' });
      // 16 timed samples of each per direction, 3 of every run of 4 calls: decided within ~48 calls.
      expect(after!.encrypt).to.be.oneOf(['libsodium', 'node:crypto']);
      expect(after!.decrypt).to.be.oneOf(['libsodium', 'node:crypto']);
    });

    it('NOISEKIT_AUTO_LARGE_CIPHER=node or =sodium fixes the winner', () => {
      try {
        process.env.NOISEKIT_AUTO_LARGE_CIPHER = 'node';
        expect(forcedLargeWinner()).to.equal(1);
        process.env.NOISEKIT_AUTO_LARGE_CIPHER = 'sodium';
        expect(forcedLargeWinner()).to.equal(0);
        process.env.NOISEKIT_AUTO_LARGE_CIPHER = 'fastest';
        expect(forcedLargeWinner()).to.equal(undefined);
      } finally {
        delete process.env.NOISEKIT_AUTO_LARGE_CIPHER;
      }
    });
  });

  describe('backend choice', function () {
    it('auto puts sodium first when sodium-native loads, then node, then stablelib', () => {
      const names = backendChain('auto').map((b) => b.name);
      expect(names).to.deep.equal(sodium ? ['sodium', 'node', 'stablelib'] : ['node', 'stablelib']);
    });
    it('"sodium" resolves to the sodium backend, or fails with ERR_NOISE_INVALID_ARGUMENT without it', () => {
      if (sodium) expect(backendChain('sodium')[0]!.name).to.equal('sodium');
      else expect(() => backendChain('sodium')).to.throw().with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
    });
  });
});
