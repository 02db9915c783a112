/**
 * The README's first example must run as printed, importing the built package by its name
 * (`import ... from 'noisekit'`, resolved through package.json "exports" to dist/).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

describe('README', () => {
  it('every ts example runs as printed against the built package', function () {
    if (!existsSync('dist/index.js')) {
      // npm test runs after npm run build (README, .ci/run); say so rather than pass silently.
      this.skip();
    }
    const readme = readFileSync('README.md', 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    // What each example prints, in README order: the engine example, then the TCP echo.
    const expected = ['hi', 'echo: hello'];
    expect(blocks).to.have.length(expected.length);
    blocks.forEach((code, i) => {
      const file = `readme-example-${process.pid}-${i}.mjs`; // inside the package so 'noisekit' resolves to itself
      writeFileSync(file, code);
      try {
        const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 20_000 });
        expect(r.stderr, `example ${i + 1}`).to.equal('');
        expect(r.status, `example ${i + 1}`).to.equal(0);
        expect(r.stdout.trim(), `example ${i + 1}`).to.equal(expected[i]);
      } finally {
        rmSync(file, { force: true });
        rmSync('authorized_keys', { force: true }); // written by the TCP example
      }
    });
  });
});
