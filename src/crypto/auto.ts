/**
 * The `auto` backend chain: every algorithm from the fastest backend that has it, as measured
 * by `npm run bench` (docs/bench.md). With the optional sodium-native addon: libsodium for
 * X25519, BLAKE2b and ChaChaPoly, then node:crypto, then stablelib; without it, node:crypto then
 * stablelib.
 *
 * ChaChaPoly messages of AUTO_LARGE_MIN bytes and more go to whichever of libsodium and
 * node:crypto handles them faster on this CPU and in this process's state, found by racing the
 * two on the process's own large messages and re-checked by a probe of 4 messages every 256
 * (crypto/race.ts; encryption and decryption are raced separately). The answer
 * differs between machines of the same kind: on an AMD EPYC with AVX-512 (OpenSSL has AVX-512
 * code for ChaCha20 and Poly1305, libsodium has none), node:crypto measured 949 against 602 MB/s
 * at 32 KiB and 1,029 against 634 at 65,519 B, while earlier measurements on this project's
 * machines had libsodium ahead at 16 KiB (377-490 against 279-306 MB/s). Below 16 KiB libsodium
 * won everywhere measured (e.g. 445 against 366 MB/s at 8 KiB, with AVX-512): node:crypto sets
 * up a cipher object for every call, several microseconds each.
 * `NOISEKIT_AUTO_LARGE_CIPHER=node` or `=sodium` fixes the choice (nothing is timed).
 */
import type { CryptoBackend } from './types.js';
import { nodeBackend } from './node.js';
import { stablelibBackend } from './stablelib.js';
import { loadSodium, makeSodiumBackend } from './sodium.js';
import { Race } from './race.js';

/** Plaintext bytes from which auto's ChaChaPoly may use node:crypto instead of libsodium. */
export const AUTO_LARGE_MIN = 16384;
/** Timings kept per implementation and direction (crypto/race.ts). */
const AUTO_LARGE_SAMPLES = 16;
/** Once chosen, every this many large messages per direction, a run of 4 probes the other implementation. */
const AUTO_LARGE_PROBE_EVERY = 256;

/** The race winner fixed by NOISEKIT_AUTO_LARGE_CIPHER: 0 libsodium, 1 node:crypto, else none. */
export function forcedLargeWinner(): 0 | 1 | undefined {
  const forced = process.env.NOISEKIT_AUTO_LARGE_CIPHER;
  return forced === 'node' ? 1 : forced === 'sodium' ? 0 : undefined;
}

let chain: readonly CryptoBackend[] | undefined;
let races: { encrypt: Race; decrypt: Race } | undefined;

const NAMES = ['libsodium', 'node:crypto'] as const;
/** Who handles one direction of auto's large ChaChaPoly messages now; `undecided` while both are still being timed. */
export type LargeCipherChoice = (typeof NAMES)[number] | 'undecided';
/**
 * Where this process's `auto` ChaChaPoly sends encryptions and decryptions of AUTO_LARGE_MIN
 * bytes and more now, for reports such as the bench's; `undefined` when this process's `auto`
 * has no race (not built yet, or no sodium-native: node:crypto then does every size above 128
 * bytes anyway).
 */
export function autoLargeChoice(): { encrypt: LargeCipherChoice; decrypt: LargeCipherChoice } | undefined {
  if (!races) return undefined;
  const name = (r: Race): LargeCipherChoice => (r.winner === undefined ? 'undecided' : NAMES[r.winner]);
  return { encrypt: name(races.encrypt), decrypt: name(races.decrypt) };
}

/** The backends `auto` stands for, in order (built once). */
export function autoChain(): readonly CryptoBackend[] {
  if (chain) return chain;
  const lib = loadSodium();
  if (!lib) return (chain = [nodeBackend, stablelibBackend]);
  const forced = forcedLargeWinner();
  const opts = { samples: AUTO_LARGE_SAMPLES, probeEvery: AUTO_LARGE_PROBE_EVERY, winner: forced };
  races = { encrypt: new Race(opts), decrypt: new Race(opts) };
  const sodium = makeSodiumBackend(lib, { cipher: nodeBackend.cipher('ChaChaPoly')!, min: AUTO_LARGE_MIN, ...races });
  return (chain = [sodium, nodeBackend, stablelibBackend]);
}
