/**
 * `noisekit bench` as a user runs it (speed is not asserted here: targets live in `npm run bench`):
 * every backend and floor of a group measured, in processes of their own or in one, ratios to
 * the floors from the same rounds, JSON output, checked results, and one-line typed errors for
 * bad options before anything is measured.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/run-node.js';
import { availableBackends, benchGroups, DEFAULT_BENCH, runBenchGroup } from '../src/bench/run.js';
import { handshakePair, keyNeeds, transportRoundTrip } from '../src/bench/workloads.js';
import { socketConnections, socketThroughput, wireMessages } from '../src/bench/socket.js';
import { NoiseSocket, stablelibBackend } from '../src/index.js';
import type { CryptoBackend } from '../src/index.js';

const tiny = ['--rounds', '2', '--ms', '5', '--warm', '0'];

describe('noisekit bench (CLI)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'noisekit-bench-cli-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('measures every available backend and floor per group, each in a process of its own, and writes --json', async () => {
    const json = join(dir, 'r.json');
    const r = await runCli(['bench', ...tiny, '--patterns', 'XX', '--sizes', '64', '--json', json, '--quick'], { timeoutMs: 110_000 });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/each contender in a process of its own/);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.processPer).to.equal('contender');
    expect(out.options.rounds, 'explicit --rounds wins over --quick').to.equal(2);
    // TCP over loopback (default --tcp XX), every backend but stablelib, against plain TCP.
    const socket = out.socket as { pattern: string; backend: string; kind: string; result: { ratio: number } }[];
    expect(socket.map((x) => `${x.pattern} ${x.backend} ${x.kind}`)).to.deep.equal(
      availableBackends().filter((b) => b !== 'stablelib').flatMap((b) => [`XX ${b} connections`, `XX ${b} throughput`]),
    );
    for (const x of socket) expect(x.result.ratio).to.be.greaterThan(0);
    expect(r.stdout).to.match(/TCP over loopback, Noise_XX_25519_ChaChaPoly_BLAKE2b[^\n]*\n\s+measure\s+backend\s+noisekit\s+plain TCP\s+vs TCP\n\s+connections\/s\s+node\s+\d+\s+\d+\s+\d\.\d\d×/);
    const groups = out.groups as { title: string; rows: { name: string; perSecond: number; rounds: number[]; vsFloor: Record<string, number> }[] }[];
    expect(groups.map((g) => g.title)).to.deep.equal(['Noise_XX_25519_ChaChaPoly_BLAKE2b', 'transport 64 B, ChaChaPoly']);
    const backends = availableBackends();
    for (const g of groups) {
      const names = g.rows.map((x) => x.name);
      expect(names.filter((n) => n.startsWith('noisekit '))).to.deep.equal(backends.map((b) => `noisekit ${b}`));
      expect(names).to.include('floor node:crypto');
      for (const row of g.rows) {
        expect(row.rounds, row.name).to.have.length(2);
        expect(row.perSecond, row.name).to.be.greaterThan(0);
        if (row.name.startsWith('noisekit ')) {
          expect(Object.keys(row.vsFloor)).to.deep.equal(names.filter((n) => n.startsWith('floor ')));
          for (const v of Object.values(row.vsFloor)) expect(v).to.be.greaterThan(0);
        }
        // The table shows the row with its rate.
        expect(r.stdout).to.match(new RegExp(`\\n  ${row.name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+\\d`));
      }
    }
  });

  it('--in-process times a group in one process; a suite a backend lacks is noted, not failed', async () => {
    const json = join(dir, 'p.json');
    const r = await runCli(['bench', ...tiny, '--in-process', '--patterns', 'NNpsk0', '--suites', '448_AESGCM_SHA512', '--sizes', '', '--tcp', '', '--json', json], { timeoutMs: 60_000 });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/all contenders of a group in one process/);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.processPer).to.equal('group');
    expect(out.groups).to.have.length(1);
    const names = out.groups[0].rows.map((x: { name: string }) => x.name);
    // X448 floor through node:crypto; stablelib has no X448, so auto chains it (noted if alone).
    expect(names).to.include('floor node:crypto');
    expect(names).to.include('noisekit auto');
    expect(r.stdout).to.match(/Noise_NNpsk0_448_AESGCM_SHA512 \(floor: 4 X448 scalar multiplications/);
  });

  it('bad options are one-line typed errors, before anything is measured', async () => {
    const cases: [string[], RegExp][] = [
      [['--backends', 'nodee'], /^noisekit: ERR_NOISE_INVALID_ARGUMENT: bench: backend nodee is not available here \(have node, stablelib/],
      [['--sizes', '64,70000'], /^noisekit: ERR_NOISE_CONFIG: option '--sizes <list>' argument '64,70000' is invalid\. expected a whole number from 0 to 65519/],
      [['--sizes', '1k'], /^noisekit: ERR_NOISE_CONFIG: option '--sizes <list>' argument '1k' is invalid/],
      [['--rounds', '0'], /^noisekit: ERR_NOISE_CONFIG: option '--rounds <n>' argument '0' is invalid\. expected a whole number of at least 1/],
      [['--ms', 'abc'], /^noisekit: ERR_NOISE_CONFIG: option '--ms <n>' argument 'abc' is invalid/],
      [['--bogus'], /^noisekit: ERR_NOISE_CONFIG: unknown option '--bogus'/],
      [['--tcp', 'N'], /^noisekit: ERR_NOISE_ONE_WAY: bench --tcp N: a one-way pattern/],
      [['--json', '/nonexistent-dir/x.json'], /^noisekit: ERR_NOISE_INVALID_ARGUMENT: --json \/nonexistent-dir\/x\.json: cannot write there \(ENOENT\)/],
      [['--patterns', 'ZZ'], /^noisekit: ERR_NOISE_\w+: .*ZZ/],
      [['--tcp', 'QQ'], /^noisekit: ERR_NOISE_\w+: .*QQ/],
      [['--patterns', 'XXfallback'], /^noisekit: ERR_NOISE_INVALID_ARGUMENT: XXfallback: a fallback pattern runs only after a failed first handshake/],
      [['--suites', '25519_Foo_BLAKE2b'], /^noisekit: ERR_NOISE_\w+: .*Foo/],
      [['--patterns', '', '--sizes', '', '--tcp', ''], /^noisekit: ERR_NOISE_INVALID_ARGUMENT: bench: nothing to measure: no --patterns, --sizes or --tcp/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(['bench', ...args]);
      expect(r.status, args.join(' ')).to.equal(1);
      expect(r.stdout, args.join(' ')).to.equal('');
      expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
      expect(r.stderr, args.join(' ')).to.match(re);
    }
  });
});

describe('noisekit bench --tcp alone', function () {
  this.timeout(120_000);
  it('--patterns \'\' --sizes \'\' --tcp XX runs the TCP benchmark only', async () => {
    const r = await runCli(['bench', '--patterns', '', '--sizes', '', '--tcp', 'XX', '--backends', 'node', '--rounds', '1', '--ms', '30'], { timeoutMs: 100_000 });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/Noise_XX_25519_ChaChaPoly_BLAKE2b/);
    expect(r.stdout).to.match(/connections\/s/i);
  });
});

describe('bench workloads (src/bench)', () => {
  it('keyNeeds() counts one pair\'s work from the pattern: XX 8 DH operations, IK 10, NN 4, N 2', () => {
    expect(keyNeeds('XX')).to.deep.include({ iStatic: true, rStatic: true, iKnowsR: false, rKnowsI: false, dhOps: 8, keyGens: 2, dhs: 6 });
    expect(keyNeeds('IK')).to.deep.include({ iStatic: true, rStatic: true, iKnowsR: true, rKnowsI: false, dhOps: 10 });
    expect(keyNeeds('NN')).to.deep.include({ iStatic: false, rStatic: false, dhOps: 4, imports: 2 });
    expect(keyNeeds('N')).to.deep.include({ iStatic: false, rStatic: true, iKnowsR: true, dhOps: 3 });
    expect(keyNeeds('XXpsk3').dhOps).to.equal(8);
  });

  it('a handshake pair finishes with split TransportStates that talk to each other (PSK patterns get their PSKs)', () => {
    for (const p of ['XX', 'IKpsk2', 'N']) {
      const [a, b] = handshakePair(p, '25519_ChaChaPoly_BLAKE2s', 'stablelib')();
      const m = new TextEncoder().encode(p);
      expect(b!.decrypt(a!.encrypt(m)), p).to.deep.equal(m);
    }
  });

  it('a transport round trip whose decryption does not return the plaintext fails the bench', () => {
    const base = stablelibBackend;
    // ChaChaPoly whose decryption of 64-byte messages flips a bit (handshake payloads are shorter).
    const broken: CryptoBackend = {
      name: 'broken',
      dh: (n) => base.dh(n),
      hash: (n) => base.hash(n),
      cipher: (n) => {
        const c = base.cipher(n)!;
        return {
          name: c.name,
          init: (key) => {
            const k = c.init(key);
            return { encrypt: k.encrypt.bind(k), wipe: k.wipe.bind(k), decrypt: (nonce, ad, ct) => {
              const pt = k.decrypt(nonce, ad, ct);
              if (pt && pt.length === 64) pt[0]! ^= 1;
              return pt;
            } };
          },
        };
      },
    };
    expect(() => transportRoundTrip(63, [broken])()).not.to.throw();
    expect(() => transportRoundTrip(64, [broken])()).to.throw(/bench check failed: transport 64 B/);
  });

  it('runBenchGroup() gives each noisekit row its ratio to every floor of the same rounds', async () => {
    const o = { ...DEFAULT_BENCH, backends: ['stablelib' as const], patterns: [], sizes: [64], rounds: 3 };
    const [spec] = benchGroups(o);
    // A fake timing. Per round noisekit/floor is 10, 0.2 and 3: median 3 (the ratio of the medians would be 2).
    const g = await runBenchGroup(spec!, o, async (cs) => new Map(cs.map((c) => [c.name, c.floor ? { perSecond: 10, rounds: [1, 100, 10] } : { perSecond: 20, rounds: [10, 20, 30] }])));
    const ours = g.rows.find((r) => r.name === 'noisekit stablelib')!;
    expect(ours.vsFloor['floor node:crypto']).to.equal(3);
    expect(g.rows.filter((r) => r.name.startsWith('floor ')).every((r) => Object.keys(r.vsFloor).length === 0)).to.equal(true);
  });
});

describe('socket benchmarks (src/bench/socket.ts)', function () {
  this.timeout(60_000);

  it('the plain-TCP floor carries the messages of a real connection: XX is 34, 98, 66 bytes, then the 82-byte hash message', () => {
    // By hand from sections 7.5 and 13: e (32); e (32), s (32 + 16 tag), empty payload (16 tag);
    // s (48), empty payload (16); each with its 2-byte length; then BLAKE2b's 64-byte handshake
    // hash in a transport message (+16 tag).
    expect(wireMessages({ protocol: 'Noise_XX_25519_ChaChaPoly_BLAKE2b', backend: 'stablelib' })).to.deep.equal([
      { fromInitiator: true, length: 34 },
      { fromInitiator: false, length: 98 },
      { fromInitiator: true, length: 66 },
      { fromInitiator: false, length: 82 },
    ]);
    // IK: e, es, s (48), ss, payload (16): 2 + 32 + 48 + 16; e, ee, se, payload: 2 + 32 + 16; SHA256 hash 32 + 16 + 2.
    expect(wireMessages({ protocol: 'Noise_IK_25519_ChaChaPoly_SHA256', backend: 'stablelib' }).map((m) => m.length)).to.deep.equal([98, 50, 50]);
  });

  it('measures noisekit and plain TCP in the same rounds, connections and throughput, each result checked', async () => {
    const o = { protocol: 'Noise_XX_25519_ChaChaPoly_BLAKE2b', backend: 'auto' as const, rounds: 2, ms: 20, concurrency: 4, bytes: 1 << 20, chunk: 65519 };
    for (const r of [await socketConnections(o), await socketThroughput({ ...o, chunk: 1000 })]) {
      expect(r.noisekit.rounds).to.have.length(2);
      expect(r.tcp.rounds).to.have.length(2);
      for (const x of [...r.noisekit.rounds, ...r.tcp.rounds]) expect(x).to.be.greaterThan(0);
      expect(r.ratio).to.be.greaterThan(0);
    }
  });

  it('a connection whose server sends something other than its handshake hash fails the bench', async () => {
    // The server's end(hash) sends a hash with one bit flipped: the handshake itself succeeds.
    const proto = NoiseSocket.prototype as unknown as { end: (...a: unknown[]) => unknown };
    const own = Object.getOwnPropertyDescriptor(proto, 'end');
    const end = proto.end;
    proto.end = function (this: unknown, ...a: unknown[]) {
      if (Buffer.isBuffer(a[0]) && a[0].length === 64) a[0] = Buffer.from(a[0].map((b, i) => (i ? b : b ^ 1)));
      return end.apply(this, a);
    };
    let err: unknown;
    try {
      await socketConnections({ protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2b', backend: 'auto', rounds: 1, ms: 5, concurrency: 1, bytes: 1, chunk: 1 });
    } catch (e) {
      err = e;
    } finally {
      if (own) Object.defineProperty(proto, 'end', own);
      else delete (proto as { end?: unknown }).end;
    }
    expect(String(err)).to.match(/bench check failed: the server did not send this connection's handshake hash/);
  });
});
