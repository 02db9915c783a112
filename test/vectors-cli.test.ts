/**
 * `noisekit vectors` as a user runs it: table per file, the closing summary line, exit status 1
 * on a failure, skipped vectors named (never passed), one-line errors.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vectorFile, VECTORS_DIR } from './support/vectors-dir.js';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'vectors', ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });

describe('noisekit vectors (CLI)', () => {
  const fallback = vectorFile('noise-c-fallback.txt');
  const extended = vectorFile('snow-extended.txt');

  it('prints a per-suite table and "32 passed, 0 failed, 0 skipped" for noise-c-fallback.txt on both backends', function () {
    if (!fallback) this.skip();
    for (const backend of ['node', 'stablelib']) {
      const r = cli(fallback!, '--backend', backend);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/noise-c-fallback\.txt \(backend \w+\): 32 vectors/);
      expect(r.stdout).to.match(/25519_ChaChaPoly_BLAKE2s\s+\d+\s+0\s+0/);
      expect(r.stdout.trim().split('\n').pop()).to.equal('32 passed, 0 failed, 0 skipped');
    }
  });

  it('exits 1 and names the vector when one is corrupted', function () {
    if (!fallback) this.skip();
    const doc = JSON.parse(readFileSync(fallback!, 'utf8'));
    const ct: string = doc.vectors[3].messages[2].ciphertext;
    doc.vectors[3].messages[2].ciphertext = (ct[0] === '0' ? '1' : '0') + ct.slice(1);
    const file = join(mkdtempSync(join(tmpdir(), 'noisekit-vec-')), 'corrupt.json');
    writeFileSync(file, JSON.stringify(doc));
    const r = cli(file);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.match(/FAILED #3 /);
    expect(r.stdout.trim().split('\n').pop()).to.equal('31 passed, 1 failed, 0 skipped');
  });

  it('counts vectors with algorithms the backend lacks as skipped and names them', function () {
    if (!extended) this.skip();
    const r = cli(extended!, '--backend', 'node', '--verbose');
    const last = r.stdout.trim().split('\n').pop()!;
    const [, passed, failed, skipped] = /^(\d+) passed, (\d+) failed, (\d+) skipped$/.exec(last)!.map(Number);
    expect(passed! + failed! + skipped!).to.equal(204);
    expect(failed).to.equal(0);
    if (skipped! > 0) expect(r.stdout).to.match(/SKIPPED #\d+ Noise_\w+_P256_XChaChaPoly_\w+: /);
  });

  it('a malformed vector (not an object, a field of the wrong type, bad hex) is one typed error line naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'noisekit-vectors-'));
    const good = { protocol_name: 'Noise_NN_25519_ChaChaPoly_BLAKE2s', messages: [{ payload: '', ciphertext: '00' }] };
    const cases: Array<[unknown, RegExp]> = [
      [[null], /vector 0: not an object$/],
      [[good, 7], /vector 1: not an object$/],
      [[{ ...good, messages: [null] }], /vector 0: message 0 is not an object$/],
      [[{ ...good, messages: {} }], /vector 0: "messages" must be an array$/],
      [[{ ...good, protocol_name: {} }], /vector 0: "protocol_name" must be a string, not object$/],
      [[{ ...good, messages: [{ payload: ['00'] }] }], /vector 0: message 0 "payload" must be a string, not an array$/],
      [[{ ...good, init_psks: ['00', { k: 1 }] }], /vector 0: "init_psks"\[1\] must be a non-empty hex string$/],
      [[{ ...good, init_psks: [null] }], /vector 0: "init_psks"\[0\] must be a non-empty hex string$/],
      [[{ ...good, init_psks: 'abcd' }], /vector 0: "init_psks" must be an array of hex strings$/],
      [[{ ...good, init_static: 'xyz' }], /vector 0: "init_static": /],
    ];
    for (const [vectors, message] of cases) {
      const file = join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify({ vectors }));
      const r = cli(file);
      expect(r.status, JSON.stringify(vectors)).to.equal(1);
      expect(r.stderr.trim().split('\n'), JSON.stringify(vectors)).to.have.length(1);
      expect(r.stderr.trim(), JSON.stringify(vectors)).to.match(/^noisekit: ERR_NOISE_INVALID_ARGUMENT: .*bad\.json: /);
      expect(r.stderr.trim(), JSON.stringify(vectors)).to.match(message);
    }
  });

  it('reports a missing file as one error line with a non-zero exit', () => {
    const r = cli(join(VECTORS_DIR, 'no-such-file.txt'));
    expect(r.status).to.equal(1);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr.trim()).to.match(/^noisekit: ERR_NOISE_INVALID_ARGUMENT: cannot read vector file .*no-such-file\.txt: ENOENT$/);
  });
});
