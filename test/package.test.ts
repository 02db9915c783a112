/**
 * What `npm pack` publishes (package.json "files"): every source map of the build names a source
 * file the package ships, so stack traces with --enable-source-maps and debuggers find it; the
 * entry points package.json names exist. Needs the build (`npm run build`), as CI runs it.
 */
import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[]; main: string; types: string; bin: Record<string, string> };

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** True when `file` (absolute) is inside one of the published entries of package.json. */
const published = (file: string) => pkg.files.some((f) => {
  const rel = relative(join(root, f), file);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
});

describe('the published package', () => {
  it('every source map in dist/ names source files that the package ships', function () {
    if (!existsSync(join(root, 'dist'))) this.skip(); // reported as skipped: run `npm run build`
    const maps = walk(join(root, 'dist')).filter((f) => f.endsWith('.js.map'));
    expect(maps.length, 'source maps in dist/').to.be.greaterThan(50);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
      for (const s of sources) {
        const file = resolve(dirname(map), s);
        if (!existsSync(file) || !published(file)) missing.push(`${relative(root, map)} -> ${s}`);
      }
    }
    expect(missing).to.deep.equal([]);
  });

  it("every relative link of README.md and docs/*.md, and every docs/ file the CLI's help names, is a published file", () => {
    const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
    const targets: string[] = [];
    for (const doc of docs) {
      const text = readFileSync(join(root, doc), 'utf8');
      for (const [, link] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(link!) || link!.startsWith('#')) continue;
        targets.push(relative(root, resolve(root, dirname(doc), link!.replace(/#.*$/, ''))));
      }
    }
    const help = walk(join(root, 'src', 'cli')).map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const [name] of help.matchAll(/docs\/[a-z-]+\.md/g)) targets.push(name);
    expect(targets.length).to.be.greaterThan(10);
    const broken = [...new Set(targets)].filter((t) => !existsSync(join(root, t)) || !published(join(root, t)));
    expect(broken).to.deep.equal([]);
  });

  it('main, types and the bin are built files inside the published entries', function () {
    if (!existsSync(join(root, 'dist'))) this.skip();
    for (const f of [pkg.main, pkg.types, ...Object.values(pkg.bin)]) {
      const file = join(root, f);
      expect(existsSync(file) && published(file), f).to.equal(true);
    }
  });
});
