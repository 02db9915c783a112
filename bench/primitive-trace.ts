/**
 * The primitive work of one handshake pair on libsodium, all of it: recorded from a real pair
 * of noisekit's sodium backend (every random fill, X25519, BLAKE2b and ChaCha20-Poly1305 call,
 * with its sizes) and replayed as the same bare sodium-native calls on preallocated off-heap
 * arrays, with nothing in between. That is the floor `floor:sodium-native+all`: what any Noise
 * implementation on libsodium must at least spend per pair, since the spec fixes the hash and
 * AEAD calls as well as the DHs (HKDF is two hash calls per HMAC, section 4.3). It bounds the
 * handshake targets more tightly than the key work alone (`+keys`).
 */
import { HandshakeState, type CryptoBackend, type KeyPair } from '../src/index.js';
import { loadSodium, makeSodiumBackend } from '../src/crypto/sodium.js';
import type { SodiumCalls } from '../src/crypto/sodium-calls.js';
import { check } from './measure.js';

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
 * The calls one pair of `protocol` makes in a steady state (both sides, static keys made
 * beforehand and not counted, as in the bench's own handshakes), or undefined without
 * sodium-native.
 */
export function tracePair(protocol: string, keys: { iStatic: boolean; rStatic: boolean; iKnowsR: boolean; rKnowsI: boolean }): PrimitiveCall[] | undefined {
  const lib = loadSodium();
  if (!lib) return undefined;
  const log: PrimitiveCall[] = [];
  const backend: CryptoBackend = makeSodiumBackend(recording(lib, log));
  const dh = backend.dh('25519')!;
  const si: KeyPair = dh.generateKeyPair();
  const sr: KeyPair = dh.generateKeyPair();
  const pair = () => {
    const i = new HandshakeState({ protocol, initiator: true, backend, staticKeyPair: keys.iStatic ? si : undefined, remoteStaticKey: keys.iKnowsR ? sr.publicKey : undefined });
    const r = new HandshakeState({ protocol, initiator: false, backend, staticKeyPair: keys.rStatic ? sr : undefined, remoteStaticKey: keys.rKnowsI ? si.publicKey : undefined });
    let [a, b] = [i, r];
    while (!(i.isFinished && r.isFinished)) {
      b.readMessage(a.writeMessage());
      [a, b] = [b, a];
    }
  };
  // The second pair is recorded: what is computed once per protocol name (the initial h and the
  // h after an empty prologue, engine/symmetric-state.ts) is not work per pair.
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
