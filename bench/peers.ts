/**
 * The peer libraries, driven in-process on the same work as noisekit: handshakes of one pattern
 * (both sides in this process, static keys reused, results checked) and transport
 * encrypt+decrypt. All peers run Noise_*_25519_ChaChaPoly_BLAKE2b (the only suite the sodium
 * peers speak); noise-c.wasm runs the same name.
 */
import { createRequire } from 'node:module';
import { check, sameBytes } from '../src/bench/measure.js';
import { loadNoiseC, type NoiseC } from '../test/support/noise-c.js';

const require = createRequire(import.meta.url);

export interface Peer {
  readonly name: string;
  /** A function doing one full handshake pair, or a reason it cannot. */
  handshake(pattern: string): (() => void) | string;
  /** A function doing one encrypt+decrypt of `size` bytes, or a reason it cannot. */
  transport(size: number): (() => void) | string;
}

const PROLOGUE = new Uint8Array(0);

function noiseHandshakePeer(): Peer {
  const Noise = require('noise-handshake');
  const Cipher = require('noise-handshake/cipher');
  const supported = ['NN', 'XX', 'IK', 'XK'];
  const si = new Noise('XX', true).s;
  const sr = new Noise('XX', false).s;
  const pre: Record<string, { i: boolean; r: boolean }> = { IK: { i: true, r: false }, XK: { i: true, r: false } };
  const run = (pattern: string) => {
    const i = new Noise(pattern, true, si);
    const r = new Noise(pattern, false, sr);
    i.initialise(PROLOGUE, pre[pattern]?.i ? sr.publicKey : undefined);
    r.initialise(PROLOGUE);
    let a = i;
    let b = r;
    for (let n = 0; n < 8 && !(i.complete && r.complete); n++) {
      b.recv(a.send());
      [a, b] = [b, a];
    }
    check(i.complete && r.complete, `noise-handshake ${pattern}: the handshake did not finish`);
    return [i, r];
  };
  return {
    name: 'noise-handshake',
    handshake(pattern) {
      if (!supported.includes(pattern)) return `pattern ${pattern} not supported`;
      return () => {
        const [i, r] = run(pattern);
        check(i.complete && r.complete && sameBytes(i.tx, r.rx) && sameBytes(i.rx, r.tx) && sameBytes(i.hash, r.hash), 'noise-handshake handshake');
      };
    },
    transport(size) {
      const [i, r] = run('NN');
      const send = new Cipher(i.tx);
      const recv = new Cipher(r.rx);
      const msg = new Uint8Array(size).fill(7);
      const m = Buffer.from(msg);
      return () => {
        const ct = send.encrypt(m);
        check(ct.length === size + 16 && sameBytes(recv.decrypt(ct), msg), 'noise-handshake transport');
      };
    },
  };
}

function noiseProtocolPeer(): Peer {
  const noise = require('noise-protocol');
  // The split cipher states are sodium_malloc'ed (locked memory) and noise.destroy() does not
  // free them; without sodium_free the locked-memory limit is hit (ENOMEM) after some thousands.
  const { sodium_free } = createRequire(require.resolve('noise-protocol'))('sodium-universal/memory');
  const si = noise.keygen();
  const sr = noise.keygen();
  const pre: Record<string, { i: boolean; r: boolean }> = {
    IK: { i: true, r: false }, KK: { i: true, r: true }, NK: { i: true, r: false }, XK: { i: true, r: false }, KN: { i: false, r: true }, KX: { i: false, r: true },
  };
  const prologue = Buffer.alloc(0);
  const out = Buffer.alloc(65535);
  const payload = Buffer.alloc(65535);
  return {
    name: 'noise-protocol',
    handshake(pattern) {
      const p = pre[pattern] ?? { i: false, r: false };
      try {
        noise.destroy(noise.initialize(pattern, true, prologue, si, null, p.i ? sr.publicKey : null));
      } catch (e) {
        return `pattern ${pattern}: ${(e as Error).message}`;
      }
      return () => {
        const i = noise.initialize(pattern, true, prologue, si, null, p.i ? sr.publicKey : null);
        const r = noise.initialize(pattern, false, prologue, sr, null, p.r ? si.publicKey : null);
        let a = i;
        let b = r;
        let ka: { tx: Uint8Array; rx: Uint8Array } | undefined;
        let kb: { tx: Uint8Array; rx: Uint8Array } | undefined;
        for (let n = 0; n < 4 && !(ka && kb); n++) {
          const sa = noise.writeMessage(a, PROLOGUE, out);
          const sb = noise.readMessage(b, out.subarray(0, noise.writeMessage.bytes), payload);
          if (sa) (a === i ? (ka = sa) : (kb = sa));
          if (sb) (b === i ? (ka = sb) : (kb = sb));
          [a, b] = [b, a];
        }
        check(!!ka && !!kb && sameBytes(ka.tx.subarray(0, 32), kb.rx.subarray(0, 32)) && sameBytes(ka.rx.subarray(0, 32), kb.tx.subarray(0, 32)), 'noise-protocol handshake');
        noise.destroy(i);
        noise.destroy(r);
        for (const k of [ka!.tx, ka!.rx, kb!.tx, kb!.rx]) sodium_free(k);
      };
    },
    transport() {
      return 'no transport API over the split keys (buffer-out cipher-state only)';
    },
  };
}

function noiseCPeer(lib: NoiseC): Peer {
  const si = lib.generateKeyPair('25519');
  const sr = lib.generateKeyPair('25519');
  const pre: Record<string, { i: boolean; r: boolean }> = {
    IK: { i: true, r: false }, KK: { i: true, r: true }, NK: { i: true, r: false }, XK: { i: true, r: false }, KN: { i: false, r: true }, KX: { i: false, r: true },
  };
  const usesStatic = (pattern: string, initiator: boolean) => {
    const c = initiator ? pattern[0] : pattern[1];
    return c === 'K' || c === 'X' || c === 'I';
  };
  const run = (pattern: string) => {
    const protocol = `Noise_${pattern}_25519_ChaChaPoly_BLAKE2b`;
    const p = pre[pattern] ?? { i: false, r: false };
    const i = lib.handshake({ protocol, initiator: true, staticPrivateKey: usesStatic(pattern, true) ? si.privateKey : undefined, remoteStaticKey: p.i ? sr.publicKey : undefined });
    const r = lib.handshake({ protocol, initiator: false, staticPrivateKey: usesStatic(pattern, false) ? sr.privateKey : undefined, remoteStaticKey: p.r ? si.publicKey : undefined });
    let a = i;
    let b = r;
    while (a.action === 'write') {
      b.readMessage(a.writeMessage(PROLOGUE));
      [a, b] = [b, a];
    }
    check(i.action === 'split' && r.action === 'split' && sameBytes(i.handshakeHash, r.handshakeHash), 'noise-c handshake');
    return [i.split(), r.split()] as const;
  };
  return {
    name: 'noise-c.wasm',
    handshake(pattern) {
      try {
        const [a, b] = run(pattern);
        a.free();
        b.free();
      } catch (e) {
        return `pattern ${pattern}: ${(e as Error).message}`;
      }
      return () => {
        const [a, b] = run(pattern);
        a.free();
        b.free();
      };
    },
    transport(size) {
      // The package's own EncryptWithAd/DecryptWithAd (plain Uint8Arrays in, fresh ones out), not
      // the test wrapper's encrypt/decrypt, whose defensive copies cost it up to 1.6x at 64 B.
      const [a, b] = run('NN');
      const send = a.rawCiphers.send!;
      const receive = b.rawCiphers.receive!;
      const ad = new Uint8Array(0);
      const msg = new Uint8Array(size).fill(7);
      return () => {
        const ct = send.EncryptWithAd(ad, msg);
        check(ct.length === size + 16 && sameBytes(receive.DecryptWithAd(ad, ct), msg), 'noise-c transport');
      };
    },
  };
}

/** Why @chainsafe/libp2p-noise is not driven (reported in the output). */
export const LIBP2P_NOISE_NOTE =
  '@chainsafe/libp2p-noise: not driven — it only runs XX inside libp2p connection-encrypter streams (async, multiaddr/peer-id/stream muxing set-up), so it cannot do the same in-process work without measuring libp2p rather than Noise; not installed.';

export async function loadPeers(): Promise<Peer[]> {
  const peers: Peer[] = [noiseHandshakePeer(), noiseProtocolPeer()];
  try {
    peers.push(noiseCPeer(await loadNoiseC('classic')));
  } catch (e) {
    console.error(`noise-c.wasm not loaded: ${(e as Error).message}`);
  }
  return peers;
}
