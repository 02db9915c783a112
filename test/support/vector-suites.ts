/**
 * One mocha suite per official vector file: the count the vector set's README gives, then every
 * vector on both backends (and on the default `auto` chain), one test per suite (DH_cipher_hash) so a failure names the suite and
 * the vectors. A missing file is reported as skipped with the path looked in, never as passed.
 */
import { expect } from 'chai';
import { loadVectorFile, type NoiseVector } from '../../src/vectors/format.js';
import { runVector } from '../../src/vectors/run.js';
import { suiteOf } from '../../src/vectors/summary.js';
import { backendChain } from '../../src/crypto/resolve.js';
import { VECTORS_DIR, vectorFile } from './vectors-dir.js';

/** Declares the suite; `more` adds file-specific tests inside it. */
export function describeVectorFile(name: string, expectedCount: number, more?: (vectors: NoiseVector[], path: string) => void): void {
  describe(`vectors: ${name}`, function () {
    const path = vectorFile(name);
    if (!path) {
      it(`${name} (not found in ${VECTORS_DIR})`, function () {
        this.skip();
      });
      return;
    }
    const vectors = loadVectorFile(path);

    it(`has the ${expectedCount} vectors the README of the vector set lists`, () => {
      expect(vectors).to.have.length(expectedCount);
    });

    const bySuite = new Map<string, NoiseVector[]>();
    for (const v of vectors) {
      const key = suiteOf({ vector: v, status: 'passed', checked: 0 });
      bySuite.set(key, [...(bySuite.get(key) ?? []), v]);
    }
    // `auto` is what users get by default: sodium (when the optional addon loads) chained with
    // node and stablelib, so its vectors are run too.
    for (const backend of ['node', 'stablelib', 'auto'] as const) {
      for (const [suite, list] of bySuite) {
        const label = backend === 'auto' ? `auto [${backendChain('auto').map((b) => b.name).join('+')}]` : backend;
        it(`${label}: ${suite} (${list.length} vectors)`, () => {
          const results = list.map((v) => runVector(v, backend));
          const bad = results.filter((r) => r.status !== 'passed').map((r) => `#${r.vector.index} ${r.vector.protocolName} ${r.status}: ${r.reason}`);
          expect(bad, bad.slice(0, 5).join('\n')).to.deep.equal([]);
          expect(results.every((r) => r.checked === r.vector.messages.length)).to.equal(true);
        });
      }
    }
    more?.(vectors, path);
  });
}
