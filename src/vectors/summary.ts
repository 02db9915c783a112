/**
 * Tallies vector results per group (suite or pattern family) for the CLI and the tests.
 */
import { parseProtocolName } from '../protocol-name.js';
import type { VectorResult } from './run.js';

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

/** The suite of a vector, e.g. `25519_ChaChaPoly_BLAKE2s`, or its raw name if unparsable. */
export function suiteOf(r: VectorResult): string {
  try {
    const p = parseProtocolName(r.vector.protocolName);
    return `${p.dh}_${p.cipher}_${p.hash}`;
  } catch {
    return r.vector.protocolName || '(unnamed)';
  }
}

/** Counts results by a grouping key. */
export function tally(results: readonly VectorResult[], key: (r: VectorResult) => string = () => 'all'): Map<string, Tally> {
  const out = new Map<string, Tally>();
  for (const r of results) {
    const k = key(r);
    const t = out.get(k) ?? { passed: 0, failed: 0, skipped: 0 };
    t[r.status]++;
    out.set(k, t);
  }
  return out;
}

/** The closing line: `N passed, N failed, N skipped`. */
export function summaryLine(t: Tally): string {
  return `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;
}
