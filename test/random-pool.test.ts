/**
 * RandomPool (src/crypto/random-pool.ts): private-key randomness drawn from a pool refilled a
 * kilobyte at a time. Each byte is handed out once, in an array of its own, and zeroed in the pool.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RandomPool } from '../src/crypto/random-pool.js';
import { nodeBackend } from '../src/crypto/node.js';
import { toHex } from '../src/bytes.js';

describe('RandomPool', function () {
  /** A pool over a counting generator that writes 1, 2, 3, ... and keeps the arrays it filled. */
  const counting = (size: number) => {
    const filled: Uint8Array[] = [];
    let next = 1;
    const pool = new RandomPool(size, (buf) => {
      filled.push(buf);
      for (let i = 0; i < buf.length; i++) buf[i] = next++; // under 256 bytes in all here
    });
    return { pool, filled };
  };

  it('hands out consecutive bytes of one fill until it runs out, then refills', () => {
    const { pool, filled } = counting(8);
    expect([...pool.take(3)]).to.deep.equal([1, 2, 3]);
    expect([...pool.take(5)]).to.deep.equal([4, 5, 6, 7, 8]);
    expect(filled).to.have.length(1);
    // 3 bytes do not fit the 0 left: a refill, never the old bytes again
    expect([...pool.take(3)]).to.deep.equal([9, 10, 11]);
    expect(filled).to.have.length(2);
  });

  it('zeroes what it hands out, and what it hands out is not a view of the pool', () => {
    const { pool, filled } = counting(16);
    const a = pool.take(4);
    const b = pool.take(4);
    expect([...filled[0]!.subarray(0, 8)]).to.deep.equal([0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...filled[0]!.subarray(8, 10)]).to.deep.equal([9, 10]);
    expect(a.buffer).to.not.equal(filled[0]!.buffer);
    b.fill(0xee);
    expect([...pool.take(2)]).to.deep.equal([9, 10]);
  });

  it('fills a request larger than the pool directly', () => {
    const { pool, filled } = counting(4);
    const big = pool.take(10);
    expect(big).to.have.length(10);
    expect(filled).to.have.length(1);
    expect(filled[0]).to.equal(big);
  });

  it('node backend: 1,000 X25519 and X448 key pairs from the pool, all distinct, each a working pair', () => {
    for (const name of ['25519', '448']) {
      const dh = nodeBackend.dh(name)!;
      const seen = new Set<string>();
      let last = dh.generateKeyPair();
      for (let i = 0; i < 1000; i++) {
        const kp = dh.generateKeyPair();
        expect(kp.privateKey).to.have.length(dh.privateKeyLength);
        seen.add(toHex(kp.privateKey));
        if (i % 100 === 0) {
          // each is a key pair: DH agrees both ways with another one
          expect(toHex(dh.dh(kp, last.publicKey))).to.equal(toHex(dh.dh(last, kp.publicKey)));
          expect(toHex(dh.keyPairFromPrivate(kp.privateKey).publicKey)).to.equal(toHex(kp.publicKey));
        }
        last = kp;
      }
      expect(seen.size, `${name}: no private key twice`).to.equal(1000);
    }
  });

  it('a V8 startup snapshot does not carry the pool: processes started from one make different keys', function () {
    this.timeout(60_000);
    // The pool is filled while the snapshot is built; each process restored from the snapshot
    // then makes a key. Before the pool emptied itself on serialization, all printed the same.
    const dir = mkdtempSync(join(tmpdir(), 'noisekit-snapshot-'));
    try {
      const nodeTs = fileURLToPath(new URL('../src/crypto/node.ts', import.meta.url));
      writeFileSync(join(dir, 'entry.mjs'), [
        "import v8 from 'node:v8';",
        `import { nodeBackend } from ${JSON.stringify(nodeTs)};`,
        "const dh = nodeBackend.dh('25519');",
        'dh.generateKeyPair();',
        "v8.startupSnapshot.setDeserializeMainFunction(() => console.log(Buffer.from(dh.generateKeyPair().privateKey).toString('hex')));",
      ].join('\n'));
      // --build-snapshot takes one CommonJS script, so the entry is bundled first.
      const esbuild = fileURLToPath(new URL('../node_modules/.bin/esbuild', import.meta.url));
      execFileSync(esbuild, [join(dir, 'entry.mjs'), '--bundle', '--platform=node', '--format=cjs', `--outfile=${join(dir, 'entry.cjs')}`, '--log-level=error']);
      const blob = join(dir, 'snap.blob');
      execFileSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', join(dir, 'entry.cjs')], { stdio: 'ignore' });
      const keys = [1, 2, 3].map(() => execFileSync(process.execPath, ['--snapshot-blob', blob], { encoding: 'utf8' }).trim());
      for (const k of keys) expect(k).to.match(/^[0-9a-f]{64}$/);
      expect(new Set(keys).size, keys.join(' ')).to.equal(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
