/**
 * Backend choice and fallback (in the manner of snow's chained resolvers): a protocol's three
 * algorithms are looked up in an ordered list of backends, first match wins.
 */
import type { CryptoBackend, Suite } from './types.js';
import { NoiseError } from '../errors.js';
import { stablelibBackend } from './stablelib.js';
import { nodeBackend } from './node.js';
import { loadSodiumBackend } from './sodium.js';
import { autoChain } from './auto.js';

/**
 * A backend by name, a backend object, or a preference list. `auto` = fastest available first:
 * `sodium` (when the optional sodium-native addon loads; its large ChaChaPoly messages may go to
 * node:crypto, see crypto/auto.ts), then `node`, then `stablelib` (measured by `npm run bench`,
 * see docs/bench.md).
 */
export type BackendChoice = 'auto' | 'stablelib' | 'node' | 'sodium' | CryptoBackend | readonly CryptoBackend[];

/** The built-in backends by name. */
export const BACKENDS: Readonly<Record<'stablelib' | 'node', CryptoBackend>> = {
  stablelib: stablelibBackend,
  node: nodeBackend,
};

/** The ordered list of backends a choice stands for. */
export function backendChain(choice: BackendChoice = 'auto'): readonly CryptoBackend[] {
  if (choice === 'auto') return autoChain();
  if (choice === 'sodium') {
    const sodium = loadSodiumBackend();
    if (!sodium) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'backend "sodium" needs the optional package sodium-native, which is not installed or did not load');
    return [sodium];
  }
  if (typeof choice === 'string') {
    if (!Object.hasOwn(BACKENDS, choice)) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `unknown backend "${choice}" (known: auto, sodium, ${Object.keys(BACKENDS).join(', ')})`);
    return [BACKENDS[choice as keyof typeof BACKENDS]];
  }
  const chain = (Array.isArray(choice) ? choice : [choice]) as readonly unknown[];
  if (chain.length === 0 || !chain.every(isBackend)) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'backend must be "auto", "sodium", "node", "stablelib", a backend object ({ name, dh(), cipher(), hash() }) or a non-empty array of them');
  }
  return chain as readonly CryptoBackend[];
}

/** Whether `b` has the shape of a CryptoBackend (its lookups are called, so they must be functions). */
function isBackend(b: unknown): b is CryptoBackend {
  if (typeof b !== 'object' || b === null) return false;
  const o = b as Record<string, unknown>;
  return typeof o.dh === 'function' && typeof o.cipher === 'function' && typeof o.hash === 'function';
}

/** Suites resolved for a backend chosen by name (those chains never change once built). */
const suitesByName = new Map<string, Suite>();

/** Resolves DH, cipher and hash names to implementations, or throws ERR_NOISE_UNSUPPORTED_ALGORITHM. */
export function resolveSuite(names: { dh: string; cipher: string; hash: string }, choice: BackendChoice = 'auto'): Suite {
  if (typeof names !== 'object' || names === null || ![names.dh, names.cipher, names.hash].every((n) => typeof n === 'string')) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'resolveSuite needs { dh, cipher, hash } names (strings)');
  }
  // Every HandshakeState resolves its suite: for a named backend, once per process is enough.
  const key = typeof choice === 'string' ? `${choice} ${names.dh} ${names.cipher} ${names.hash}` : undefined;
  const cached = key === undefined ? undefined : suitesByName.get(key);
  if (cached) return cached;
  const chain = backendChain(choice);
  const suite: Suite = Object.freeze({
    dh: find(chain, 'dh', names.dh),
    cipher: find(chain, 'cipher', names.cipher),
    hash: find(chain, 'hash', names.hash),
  });
  if (key !== undefined) suitesByName.set(key, suite);
  return suite;
}

const KIND_NAMES = { dh: 'DH', cipher: 'cipher', hash: 'hash' } as const;

/** The first backend of `chain` that has algorithm `name` of this kind. */
function find<K extends keyof Suite>(chain: readonly CryptoBackend[], kind: K, name: string): Suite[K] {
  for (const b of chain) {
    const found = b[kind](name) as Suite[K] | undefined;
    if (found) return found;
  }
  throw new NoiseError('ERR_NOISE_UNSUPPORTED_ALGORITHM', `${KIND_NAMES[kind]} "${name}" is not supported by backend ${chain.map((b) => b.name).join(' or ')}`);
}
