/**
 * The `auto` backend chain: every algorithm from the fastest backend that has it, as measured
 * by `npm run bench` (docs/bench.md). With the optional sodium-native addon: libsodium for
 * X25519, BLAKE2b and ChaChaPoly, then node:crypto, then stablelib; without it, node:crypto then
 * stablelib.
 *
 * ChaChaPoly messages of AUTO_LARGE_MIN bytes and more go to whichever of libsodium and
 * node:crypto seals and opens them faster on this CPU (crypto/faster-cipher.ts, timed once per
 * process on the first such message). The answer differs between machines of the same kind: on
 * an AMD EPYC with AVX-512, node:crypto measured 949 against 602 MB/s at 32 KiB and 1,029 against
 * 634 at 65,519 B, while earlier measurements on this project's machines had libsodium ahead
 * at 16 KiB (377-490 against 279-306 MB/s). Below 16 KiB libsodium won everywhere measured
 * (e.g. 445 against 366 MB/s at 8 KiB, with AVX-512): node:crypto sets up a cipher object for
 * every call, several microseconds each. `NOISEKIT_AUTO_LARGE_CIPHER=sodium` or `=node` skips the timing.
 */
import type { Cipher, CryptoBackend } from './types.js';
import { nodeBackend } from './node.js';
import { stablelibBackend } from './stablelib.js';
import { loadSodium, loadSodiumBackend, makeSodiumBackend } from './sodium.js';
import { fasterCipher } from './faster-cipher.js';

/** Plaintext bytes from which auto's ChaChaPoly may use node:crypto instead of libsodium. */
export const AUTO_LARGE_MIN = 16384;
/** The message size timed to make that choice (between AUTO_LARGE_MIN and the 65,519 B maximum). */
const TIMED_SIZE = 32768;

/** Whether auto's large ChaChaPoly messages go to node:crypto: the env setting, else timed. */
export function largeToNode(sodiumChaCha: Cipher, nodeChaCha: Cipher): boolean {
  const forced = process.env.NOISEKIT_AUTO_LARGE_CIPHER;
  if (forced === 'node') return true;
  if (forced === 'sodium') return false;
  return fasterCipher([sodiumChaCha, nodeChaCha], TIMED_SIZE) === 1;
}

let chain: readonly CryptoBackend[] | undefined;
/** The choice, once made (see autoLargeChoice). */
let largeChoice: boolean | undefined;

/**
 * Where this process's `auto` ChaChaPoly sends messages of AUTO_LARGE_MIN bytes and more:
 * `undefined` until the first such message (or without sodium-native, when node:crypto does
 * every size above 128 bytes anyway). For reports such as the bench's.
 */
export function autoLargeChoice(): 'node:crypto' | 'libsodium' | undefined {
  return largeChoice === undefined ? undefined : largeChoice ? 'node:crypto' : 'libsodium';
}

/** The backends `auto` stands for, in order (built once). */
export function autoChain(): readonly CryptoBackend[] {
  if (chain) return chain;
  const lib = loadSodium();
  if (!lib) return (chain = [nodeBackend, stablelibBackend]);
  const s = loadSodiumBackend()!.cipher('ChaChaPoly')!;
  const n = nodeBackend.cipher('ChaChaPoly')!;
  const sodium = makeSodiumBackend(lib, { cipher: n, min: AUTO_LARGE_MIN, use: () => (largeChoice ??= largeToNode(s, n)) });
  return (chain = [sodium, nodeBackend, stablelibBackend]);
}
