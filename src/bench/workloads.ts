/**
 * The work a benchmark times, shared by `noisekit bench` (src/cli/bench.ts) and `npm run bench`
 * (bench/run.ts): one whole handshake pair of a pattern, one transport message encrypted and
 * decrypted, and the raw primitives under them (X25519 scalar multiplications, AEAD seal+open).
 * Every work function checks its result and throws on a mismatch ({@link check}): a handshake
 * that does not finish with the same handshake hash on both sides, or a message that does not
 * decrypt to itself, fails the benchmark.
 */
import * as crypto from 'node:crypto';
import { createRequire } from 'node:module';
import * as sx25519 from '@stablelib/x25519';
import { ChaCha20Poly1305 } from '@stablelib/chacha20poly1305';
import { HandshakeState, resolvePattern } from '../engine/handshake-state.js';
import type { TransportState } from '../engine/transport-state.js';
import { parseProtocolName } from '../protocol-name.js';
import { pskCount } from '../patterns/types.js';
import { NoiseError } from '../errors.js';
import { generateKeyPair } from '../crypto/keys.js';
import type { BackendChoice } from '../crypto/resolve.js';
import type { KeyPair } from '../crypto/types.js';
import { check, sameBytes } from './measure.js';

/** The suite the benchmarks compare by default (the one every peer library speaks). */
export const COMPARE_SUITE = '25519_ChaChaPoly_BLAKE2b';

type Side = '->' | '<-';

/** What one handshake pair of a pattern needs: static keys, pre-known keys and DH work. */
export interface KeyNeeds {
  readonly iStatic: boolean;
  readonly rStatic: boolean;
  readonly iKnowsR: boolean;
  readonly rKnowsI: boolean;
  /** DH operations per pair: one per DH token and side, plus one per `e` (its key generation). XX: 8. */
  readonly dhOps: number;
  /** Key generations per pair (one per `e`). */
  readonly keyGens: number;
  /** DHs per pair (two per DH token). */
  readonly dhs: number;
  /** Distinct remote keys the two sides import (node:crypto needs a KeyObject per key). */
  readonly imports: number;
}

/**
 * The key needs of a built-in pattern (with modifiers, e.g. `XXpsk3`) for one handshake pair.
 * Fallback patterns are refused: they only run after a failed first handshake (Noise Pipes).
 */
export function keyNeeds(pattern: string): KeyNeeds {
  const name = parseProtocolName(`Noise_${pattern}_${COMPARE_SUITE}`);
  const p = resolvePattern(name);
  if (name.modifiers.includes('fallback')) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `${pattern}: a fallback pattern runs only after a failed first handshake, not as a pair of its own`);
  const pre = (side: Side) => p.preMessages.some((m) => m.direction === side && m.tokens.includes('s'));
  const uses = (side: Side) =>
    pre(side) || p.messages.some((m) => (m.direction === side && m.tokens.includes('s')) || m.tokens.includes('ss') || m.tokens.includes(side === '->' ? 'se' : 'es'));
  const tokens = p.messages.flatMap((m) => m.tokens);
  const dhTokens = tokens.filter((t) => t.length === 2);
  const keyGens = tokens.filter((t) => t === 'e').length;
  // Token "xy" pairs Alice's key x with Bob's key y: each side imports the other's keys it uses.
  const imports = new Set(dhTokens.map((t) => t[1])).size + new Set(dhTokens.map((t) => t[0])).size;
  return { iStatic: uses('->'), rStatic: uses('<-'), iKnowsR: pre('<-'), rKnowsI: pre('->'), dhOps: dhTokens.length * 2 + keyGens, keyGens, dhs: dhTokens.length * 2, imports };
}

/** What each side of a benchmarked pair of `protocol` is given (HandshakeState and socket options alike). */
export interface SideOptions {
  readonly protocol: string;
  readonly backend: BackendChoice;
  readonly psks: readonly Uint8Array[];
  readonly staticKeyPair?: KeyPair;
  readonly remoteStaticKey?: Uint8Array;
}

/**
 * The options of both sides of `Noise_<pattern>_<suite>`: static keys made once (only where the
 * pattern uses them), each side knowing the other's key where the pattern pre-shares it, and a
 * fixed 32-byte PSK per `psk` modifier.
 */
export function pairOptions(pattern: string, suite: string, backend: BackendChoice): { initiator: SideOptions; responder: SideOptions } {
  const protocol = `Noise_${pattern}_${suite}`;
  const dh = suite.split('_')[0]!;
  const need = keyNeeds(pattern);
  const si: KeyPair = generateKeyPair(dh, backend);
  const sr: KeyPair = generateKeyPair(dh, backend);
  const psks = Array.from({ length: pskCount(resolvePattern(parseProtocolName(protocol))) }, (_, i) => new Uint8Array(32).fill(i + 1));
  return {
    initiator: { protocol, backend, psks, staticKeyPair: need.iStatic ? si : undefined, remoteStaticKey: need.iKnowsR ? sr.publicKey : undefined },
    responder: { protocol, backend, psks, staticKeyPair: need.rStatic ? sr : undefined, remoteStaticKey: need.rKnowsI ? si.publicKey : undefined },
  };
}

/**
 * A work function running one complete handshake pair of `Noise_<pattern>_<suite>` (initiator and
 * responder in this process, {@link pairOptions}) and returning both TransportStates.
 * `onMessage` sees every handshake message and who sent it.
 */
export function handshakePair(pattern: string, suite: string, backend: BackendChoice, onMessage?: (fromInitiator: boolean, message: Uint8Array) => void): () => TransportState[] {
  const o = pairOptions(pattern, suite, backend);
  return () => {
    const i = new HandshakeState({ ...o.initiator, initiator: true });
    const r = new HandshakeState({ ...o.responder, initiator: false });
    let a = i;
    let b = r;
    for (let n = 0; n < 8 && !(i.isFinished && r.isFinished); n++) {
      const m = a.writeMessage();
      onMessage?.(a === i, m);
      b.readMessage(m);
      [a, b] = [b, a];
    }
    check(i.isFinished && r.isFinished && sameBytes(i.handshakeHash, r.handshakeHash), `${o.initiator.protocol} handshake (${backendName(backend)})`);
    return [i.split(), r.split()];
  };
}

/** A backend's name for messages: its own, `custom` for an object without one, `a+b` for a list. */
function backendName(backend: BackendChoice): string {
  if (typeof backend === 'string') return backend;
  const list = Array.isArray(backend) ? backend : [backend];
  return list.map((b: { name?: unknown }) => (typeof b.name === 'string' ? b.name : 'custom')).join('+');
}

/**
 * A work function encrypting one `size`-byte transport message with one side of an NN session
 * of `suite` and decrypting it with the other, checking the ciphertext's length (plaintext and
 * tag) and the plaintext.
 */
export function transportRoundTrip(size: number, backend: BackendChoice, suite: string = COMPARE_SUITE): () => void {
  const [a, b] = handshakePair('NN', suite, backend)();
  const msg = crypto.randomBytes(size);
  const pt = new Uint8Array(msg.buffer, msg.byteOffset, size);
  const what = `transport ${size} B (${backendName(backend)})`;
  return () => {
    const ct = a!.encrypt(pt);
    check(ct.length === size + 16 && sameBytes(b!.decrypt(ct), pt), what);
  };
}

/** A raw primitive as a work function, named by the library that runs it. */
export interface Floor {
  readonly lib: string;
  readonly work: () => void;
}

/** A fresh key pair of `dh` (25519 or 448) as JWK, made by the node backend. */
function jwkPair(dh: string): { kty: 'OKP'; crv: string; d: string; x: string } {
  const k = generateKeyPair(dh, 'node');
  const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64url');
  return { kty: 'OKP', crv: dh === '448' ? 'X448' : 'X25519', d: b64(k.privateKey), x: b64(k.publicKey) };
}

/**
 * `ops` scalar multiplications per call (as many as one handshake pair makes: {@link KeyNeeds}
 * dhOps) with the keys ready: node:crypto with KeyObjects imported once, and for X25519
 * @stablelib/x25519 and sodium-native when installed. Each key generation is counted as a full
 * variable-base multiplication: a floor for node:crypto and stablelib, but not for sodium-native,
 * whose fixed-base multiplication (what the sodium backend uses for key generation) costs about
 * half; its tighter floor is `sodium-native+keys` / `sodium-native+all`.
 */
export function dhFloors(dh: string, ops: number): Floor[] {
  // KeyObjects imported from JWK, as the node backend does (keys straight out of
  // generateKeyPairSync can deadlock Node 20 under GC; see src/crypto/node.ts).
  const privateKey = crypto.createPrivateKey({ key: jwkPair(dh), format: 'jwk' });
  const { d: _d, ...pub } = jwkPair(dh);
  const publicKey = crypto.createPublicKey({ key: pub, format: 'jwk' });
  const size = dh === '448' ? 56 : 32;
  const out: Floor[] = [{ lib: 'node:crypto', work: () => { for (let i = 0; i < ops; i++) check(crypto.diffieHellman({ privateKey, publicKey }).length === size, 'dh'); } }];
  if (dh !== '25519') return out;
  const ska = new Uint8Array(32).fill(3);
  const pkb = sx25519.scalarMultBase(new Uint8Array(32).fill(5));
  out.push({ lib: '@stablelib/x25519', work: () => { for (let i = 0; i < ops; i++) check(sx25519.scalarMult(ska, pkb).length === 32, 'x25519'); } });
  const na = sodiumNative();
  if (na) {
    const q = new Uint8Array(new ArrayBuffer(32)); // off-heap, as the sodium backend stages its outputs
    out.push({ lib: 'sodium-native', work: () => { for (let i = 0; i < ops; i++) na.crypto_scalarmult(q, ska, pkb); } });
  }
  return out;
}

/**
 * Raw AEAD seal+open of `size` bytes per call, checked: ChaChaPoly by node:crypto,
 * @stablelib/chacha20poly1305 (the pure-JS cipher the node and stablelib backends use for small
 * messages) and sodium-native when installed; AESGCM by node:crypto.
 */
export function aeadFloors(size: number, cipher: string = 'ChaChaPoly'): Floor[] {
  const key = crypto.randomBytes(32);
  const ko = crypto.createSecretKey(key);
  const iv = Buffer.alloc(12);
  const m = crypto.randomBytes(size);
  // Typed as a GCM name: chacha20-poly1305 takes the same AEAD calls (authTagLength, getAuthTag, setAuthTag).
  const algorithm = (cipher === 'AESGCM' ? 'aes-256-gcm' : 'chacha20-poly1305') as crypto.CipherGCMTypes;
  const out: Floor[] = [
    {
      lib: 'node:crypto',
      work: () => {
        const c = crypto.createCipheriv(algorithm, ko, iv, { authTagLength: 16 });
        const ct = c.update(m);
        c.final();
        const d = crypto.createDecipheriv(algorithm, ko, iv, { authTagLength: 16 });
        d.setAuthTag(c.getAuthTag());
        const pt = d.update(ct);
        d.final();
        check(sameBytes(pt, m), 'node aead');
      },
    },
  ];
  if (cipher !== 'ChaChaPoly') return out;
  const js = new ChaCha20Poly1305(key);
  out.push({
    lib: '@stablelib/chacha20poly1305',
    work: () => {
      const pt = js.open(iv, js.seal(iv, m));
      check(pt !== null && sameBytes(pt, m), 'stablelib aead');
    },
  });
  const na = sodiumNative();
  if (na) {
    const ct = new Uint8Array(size + 16);
    const pt = new Uint8Array(size);
    out.push({
      lib: 'sodium-native',
      work: () => {
        na.crypto_aead_chacha20poly1305_ietf_encrypt(ct, m, null, null, iv, key);
        na.crypto_aead_chacha20poly1305_ietf_decrypt(pt, null, ct, null, iv, key);
        check(sameBytes(pt, m), 'sodium aead');
      },
    });
  }
  return out;
}

/** sodium-native's documented API, or undefined when it is not installed (it is optional). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function sodiumNative(): any {
  try {
    return createRequire(import.meta.url)('sodium-native');
  } catch {
    return undefined;
  }
}
