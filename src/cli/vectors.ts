/**
 * `noisekit vectors FILE... [--backend stablelib|node|auto]`: runs test vector files and prints a
 * table per file (per suite), ending with `N passed, N failed, N skipped`. Exit status 1 on any
 * failure. Skipped vectors (algorithms the backend lacks) are counted and named.
 */
import { Command, Option } from 'commander';
import { basename } from 'node:path';
import { loadVectorFile } from '../vectors/format.js';
import { runVector, type VectorResult } from '../vectors/run.js';
import { tally, suiteOf, summaryLine, type Tally } from '../vectors/summary.js';
import { action, progress } from './output.js';
import type { BackendChoice } from '../crypto/resolve.js';

export function vectorsCommand(): Command {
  return new Command('vectors')
    .description('run Noise test vector files (community JSON format) and report passed/failed/skipped')
    .argument('<files...>', 'vector files, e.g. ../shared/vectors/cacophony.txt')
    .addOption(new Option('--backend <name>', 'crypto backend').choices(['auto', 'node', 'stablelib', 'sodium']).default('auto'))
    .option('--verbose', 'list every failed and skipped vector')
    .action(action((files: string[], opts: { backend: BackendChoice; verbose?: boolean }) => {
      const total: Tally = { passed: 0, failed: 0, skipped: 0 };
      const loaded = files.map((file) => ({ file, vectors: loadVectorFile(file) })); // every file readable before any runs
      for (const { file, vectors } of loaded) {
        const bar = progress(vectors.length, basename(file));
        const results: VectorResult[] = [];
        for (const v of vectors) {
          results.push(runVector(v, opts.backend));
          bar.tick();
        }
        bar.stop();
        printTable(file, String(opts.backend), results);
        const failedOrSkipped = results.filter((r) => r.status !== 'passed');
        const shown = opts.verbose ? failedOrSkipped : failedOrSkipped.slice(0, 10);
        for (const r of shown) console.log(`  ${r.status.toUpperCase()} #${r.vector.index} ${r.vector.protocolName}: ${r.reason}`);
        if (shown.length < failedOrSkipped.length) console.log(`  ... ${failedOrSkipped.length - shown.length} more (use --verbose)`);
        const t = tally(results).get('all') ?? { passed: 0, failed: 0, skipped: 0 };
        total.passed += t.passed;
        total.failed += t.failed;
        total.skipped += t.skipped;
      }
      console.log(summaryLine(total));
      if (total.failed > 0) process.exitCode = 1;
    }));
}

function printTable(file: string, backend: string, results: VectorResult[]): void {
  const rows = [...tally(results, suiteOf).entries()].sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(5, ...rows.map(([k]) => k.length));
  console.log(`\n${basename(file)} (backend ${backend}): ${results.length} vectors`);
  console.log(`  ${'suite'.padEnd(width)}  passed  failed  skipped`);
  for (const [suite, t] of rows) {
    console.log(`  ${suite.padEnd(width)}  ${String(t.passed).padStart(6)}  ${String(t.failed).padStart(6)}  ${String(t.skipped).padStart(7)}`);
  }
}
