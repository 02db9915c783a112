/**
 * The runnable examples (examples/*.ts, documented in docs/examples.md) run as documented:
 * `node --import tsx examples/NAME.ts` must exit 0 by itself within 20 s and print its "proved"
 * line with `true`. The examples check their own outcomes (echo, handshake hash, refusals) and
 * exit non-zero when one is wrong; docs/examples.md must show each command exactly.
 */
import { expect } from 'chai';
import { runNode } from './support/run-node.js';
import { readFileSync } from 'node:fs';

const EXAMPLES = ['nn-echo', 'ik-pinned', 'xx-authorized-keys'];

const run = (file: string) => runNode([file]);

describe('examples/ (run as documented)', function () {
  this.timeout(30_000);
  const docs = readFileSync('docs/examples.md', 'utf8');

  for (const name of EXAMPLES) {
    it(`${name}.ts exits 0 by itself and proves what it claims`, async () => {
      expect(docs).to.include(`node --import tsx examples/${name}.ts`);
      const r = await run(`examples/${name}.ts`);
      expect(r.stderr).to.equal('');
      expect(r.status).to.equal(0);
      expect(r.stdout).to.match(/^proved: .*: true$/m);
      expect(r.stdout).to.not.match(/WRONG|: false/);
    });
  }

  it('nn-echo prints a 32-byte handshake hash and the echoed text; `npm run demo` runs it', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).to.equal('node --import tsx examples/nn-echo.ts');
    const r = await run('examples/nn-echo.ts');
    expect(r.stdout).to.match(/^client: handshake done, hash [0-9a-f]{64}$/m);
    expect(r.stdout).to.include('client: echoed "hello, Noise"');
  });
});
