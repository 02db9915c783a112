/**
 * The README's first example must run as printed, importing the built package by its name
 * (`import ... from 'noisekit'`, resolved through package.json "exports" to dist/).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

describe('README', () => {
  it('the first example runs as printed against the built package', function () {
    if (!existsSync('dist/index.js')) {
      // npm test runs after npm run build (README, .ci/run); say so rather than pass silently.
      this.skip();
    }
    const readme = readFileSync('README.md', 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code, 'a ```ts block in README.md').to.be.a('string');
    const file = `readme-example-${process.pid}.mjs`; // inside the package so 'noisekit' resolves to itself
    writeFileSync(file, code!);
    try {
      const r = spawnSync(process.execPath, [file], { encoding: 'utf8' });
      expect(r.stderr).to.equal('');
      expect(r.status).to.equal(0);
      expect(r.stdout.trim()).to.equal('hi');
    } finally {
      rmSync(file, { force: true });
    }
  });
});
