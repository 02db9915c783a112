/**
 * The examples in docs/net.md run as printed (with 'noisekit' pointed at the sources): each is a
 * whole program that must print its echo line and exit by itself.
 */
import { expect } from 'chai';
import { runNode } from './support/run-node.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const EXPECTED = ['hello over NN', 'HELLO OVER IK', 'hello over XX'];

const run = (file: string) => runNode([file]);

describe('docs/net.md examples', () => {
  const blocks = [...readFileSync('docs/net.md', 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const index = pathToFileURL(resolve('src/index.ts')).href;
  const dir = mkdtempSync(join(tmpdir(), 'noisekit-docs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has the three deployment examples', () => {
    expect(blocks.length).to.equal(EXPECTED.length);
  });

  EXPECTED.forEach((line, i) => {
    it(`example ${i + 1} prints "${line}" and exits by itself`, async () => {
      const file = join(dir, `example-${i + 1}.ts`);
      writeFileSync(file, blocks[i]!.replace(/from 'noisekit'/g, `from '${index}'`));
      const r = await run(file);
      expect(r.stderr).to.equal('');
      expect(r.status).to.equal(0);
      expect(r.stdout.trim()).to.equal(line);
    });
  });
});
