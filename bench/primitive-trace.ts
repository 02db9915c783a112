/**
 * The primitive work of one handshake pair, all of it: recorded from a real pair of noisekit's
 * sodium backend (every random fill, X25519, BLAKE2b and ChaCha20-Poly1305 call, with its sizes)
 * and replayed with nothing in between, as the same bare sodium-native calls on preallocated
 * off-heap arrays (`floor:sodium-native+all`, {@link replay}) or as the cheapest node:crypto
 * calls that do the same work (`floor:node:crypto+all`, {@link replayOnNode}). That is what any
 * Noise implementation on that library must at least spend per pair, since the spec fixes the
 * hash and AEAD calls as well as the DHs (HKDF is two hash calls per HMAC, section 4.3), so the
 * calls are the same whichever backend makes them. It bounds the handshake targets more tightly
 * than the key work alone (`+keys`).
 */
import { COMPARE_SUITE, handshakePair } from '../src/bench/workloads.js';
import { loadSodium, makeSodiumBackend } from '../src/crypto/sodium.js';
import type { SodiumCalls } from '../src/crypto/sodium-calls.js';
import * as crypto from 'node:crypto';
import { ChaCha20Poly1305 } from '@stablelib/chacha20poly1305';
import { NODE_SMALL_MESSAGE_MAX } from '../src/crypto/node.js';
import { RandomPool } from '../src/crypto/random-pool.js';
import { check } from '../src/bench/measure.js';

export type PrimitiveCall =
  | { op: 'randomFill'; n: number }
  | { op: 'scalarmult' }
  | { op: 'scalarmultBase' }
  | { op: 'generichash'; n: number }
  | { op: 'seal'; m: number; ad: number }
  | { op: 'open'; m: number; ad: number };

/** `lib` with every call appended to `log`. */
function recording(lib: SodiumCalls, log: PrimitiveCall[]): SodiumCalls {
  return {
    layer: lib.layer,
    randomFill: (b) => (log.push({ op: 'randomFill', n: b.length }), lib.randomFill(b)),
    scalarmult: (q, n, p) => (log.push({ op: 'scalarmult' }), lib.scalarmult(q, n, p)),
    scalarmultBase: (q, n) => (log.push({ op: 'scalarmultBase' }), lib.scalarmultBase(q, n)),
    generichash: (out, input) => (log.push({ op: 'generichash', n: input.length }), lib.generichash(out, input)),
    seal: (c, m, ad, npub, k) => (log.push({ op: 'seal', m: m.length, ad: ad.length }), lib.seal(c, m, ad, npub, k)),
    open: (m, c, ad, npub, k) => (log.push({ op: 'open', m: m.length, ad: ad.length }), lib.open(m, c, ad, npub, k)),
  };
}

/**
 * The calls one pair of `Noise_<pattern>_<suite>` makes in a steady state (both sides, static keys made
 * beforehand and not counted, as in the bench's own handshakes), or undefined without
 * sodium-native.
 */
export function tracePair(pattern: string, suite: string = COMPARE_SUITE): PrimitiveCall[] | undefined {
  const lib = loadSodium();
  if (!lib) return undefined;
  const log: PrimitiveCall[] = [];
  const pair = handshakePair(pattern, suite, makeSodiumBackend(recording(lib, log)));
  // The second pair is recorded: what is computed once per protocol name (the initial h and the
  // h after an empty prologue, engine/symmetric-state.ts) is not work per pair. Nor, mostly, is a
  // random fill: keys draw from a pool filled 1 KiB at a time (crypto/random-pool.ts), one fill
  // per 16 pairs of two keys (~0.4 µs a pair, left out of the floor).
  pair();
  log.length = 0;
  pair();
  return log;
}

/** A work function making exactly these calls, each on off-heap arrays of the recorded sizes. */
export function replay(calls: readonly PrimitiveCall[], lib: SodiumCalls): () => void {
  const buf = (n: number) => new Uint8Array(new ArrayBuffer(n));
  const key = buf(32);
  const npub = buf(12);
  lib.randomFill(key);
  const q = buf(32);
  const sk = buf(32);
  const pk = buf(32);
  lib.randomFill(sk);
  lib.scalarmultBase(pk, sk);
  const h = buf(64);
  const steps = calls.map((c): (() => boolean) => {
    switch (c.op) {
      case 'randomFill': {
        const x = buf(c.n);
        return () => (lib.randomFill(x), true);
      }
      case 'scalarmult':
        return () => lib.scalarmult(q, sk, pk);
      case 'scalarmultBase':
        return () => (lib.scalarmultBase(q, sk), true);
      case 'generichash': {
        const input = buf(c.n);
        return () => (lib.generichash(h, input), true);
      }
      case 'seal': {
        const [m, ad, ct] = [buf(c.m), buf(c.ad), buf(c.m + 16)];
        return () => (lib.seal(ct, m, ad, npub, key), true);
      }
      case 'open': {
        // A ciphertext that verifies: a failed open would skip the decryption.
        const [m, ad, ct] = [buf(c.m), buf(c.ad), buf(c.m + 16)];
        lib.seal(ct, m, ad, npub, key);
        return () => lib.open(m, ct, ad, npub, key);
      }
    }
  });
  return () => {
    for (const s of steps) check(s(), 'a replayed primitive call (DH or open) failed');
  };
}

/**
 * A work function doing the same calls through node:crypto the cheapest way the node backend
 * has (src/crypto/node.ts): `remoteImports` JWK imports of peers' public keys (one per distinct
 * remote key a side uses: the trace does not tell keys apart), then per call: for a fixed-base
 * multiplication, a key creation (random bytes from a pool, crypto/random-pool.ts; a JWK import
 * of them as `d`, which derives the public key; the export of `x`); a DH between ready
 * KeyObjects; the one-shot BLAKE2b-512 of `crypto.hash` (createHash where this Node lacks it);
 * and ChaCha20-Poly1305 by @stablelib up to NODE_SMALL_MESSAGE_MAX bytes (faster there than
 * node:crypto's per-call cipher set-up), by node:crypto above.
 */
export function replayOnNode(calls: readonly PrimitiveCall[], remoteImports: number): () => void {
  const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64url');
  const d = crypto.randomFillSync(new Uint8Array(32));
  const priv = crypto.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(d), x: '' }, format: 'jwk' });
  const { x } = crypto.createPublicKey(priv).export({ format: 'jwk' });
  const pubJwk = { kty: 'OKP', crv: 'X25519', x: x! };
  const pub = crypto.createPublicKey({ key: pubJwk, format: 'jwk' });
  const hashOnce = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash;
  const blake2b = (input: Uint8Array): number => (hashOnce ? hashOnce('blake2b512', input, 'buffer') : crypto.createHash('blake2b512').update(input).digest()).length;
  const key = crypto.randomBytes(32);
  const ko = crypto.createSecretKey(key);
  const js = new ChaCha20Poly1305(key);
  const nonce = new Uint8Array(12);
  const seal = (m: Uint8Array, ad: Uint8Array): Uint8Array => {
    if (m.length <= NODE_SMALL_MESSAGE_MAX) return js.seal(nonce, m, ad);
    const c = crypto.createCipheriv('chacha20-poly1305', ko, nonce, { authTagLength: 16 });
    if (ad.length) c.setAAD(ad, { plaintextLength: m.length });
    return Buffer.concat([c.update(m), c.final(), c.getAuthTag()]);
  };
  const open = (ct: Uint8Array, ad: Uint8Array): boolean => {
    const n = ct.length - 16;
    if (n <= NODE_SMALL_MESSAGE_MAX) return js.open(nonce, ct, ad) !== null;
    const dc = crypto.createDecipheriv('chacha20-poly1305', ko, nonce, { authTagLength: 16 });
    if (ad.length) dc.setAAD(ad, { plaintextLength: n });
    dc.setAuthTag(ct.subarray(n));
    dc.update(ct.subarray(0, n));
    try {
      dc.final();
      return true;
    } catch {
      return false;
    }
  };
  // Random bytes as the node backend draws them: from a pool refilled 1 KiB at a time.
  const random = new RandomPool();
  const steps = calls.map((c): (() => boolean) => {
    switch (c.op) {
      case 'randomFill':
        // A refill of the sodium backend's key pool; node draws from its own at each key.
        return () => true;
      case 'scalarmultBase':
        return () => {
          // The private key's JWK export carries x (0.95 µs against 2.4 µs for a public
          // KeyObject's), as in the backend (src/crypto/node.ts pairFromD).
          const k = crypto.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(random.take(32)), x: '' }, format: 'jwk' });
          return k.export({ format: 'jwk' }).x?.length === 43;
        };
      case 'scalarmult':
        return () => crypto.diffieHellman({ privateKey: priv, publicKey: pub }).length === 32;
      case 'generichash': {
        const input = new Uint8Array(c.n);
        return () => blake2b(input) === 64;
      }
      case 'seal': {
        const [m, ad] = [new Uint8Array(c.m), new Uint8Array(c.ad)];
        return () => seal(m, ad).length === c.m + 16;
      }
      case 'open': {
        // A ciphertext that verifies: a failed open would skip the decryption.
        const ad = new Uint8Array(c.ad);
        const ct = seal(new Uint8Array(c.m), ad);
        return () => open(ct, ad);
      }
    }
  });
  return () => {
    for (let i = 0; i < remoteImports; i++) crypto.createPublicKey({ key: pubJwk, format: 'jwk' });
    for (const s of steps) check(s(), 'a replayed primitive call (key, DH or open) failed');
  };
}
