/**
 * The CLI's argument handling across commands: numbers are checked while the arguments are
 * parsed, every error is one `noisekit: ERR_...: message` line with exit status 1 (no stack
 * trace, no key material quoted), key files are read the same way by every command that takes
 * `--key`, and file arguments are checked before any work starts.
 */
import { expect } from 'chai';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runCli, startCli, type RunResult } from './support/run-node.js';
import { fromHex } from '../src/bytes.js';
import { NoiseError } from '../src/index.js';

function expectOneLine(r: RunResult, re: RegExp, what: string): void {
  expect(r.status, `${what}: ${r.stderr}`).to.equal(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, `${what}: ${r.stderr}`).to.have.length(1);
  expect(lines[0], what).to.match(re);
}

describe('CLI arguments: one typed line for every bad input', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'noisekit-args-'));
  const children = new Set<ChildProcess>();
  after(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('numbers: ports, counts, waits, intervals and bench sizes that are not whole numbers in range are refused before anything runs', async () => {
    const cases: [string[], RegExp][] = [
      [['udp-serve', '--port', 'abc'], /^noisekit: ERR_NOISE_CONFIG: option '--port <port>' argument 'abc' is invalid\. expected a whole number from 0 to 65535$/],
      [['udp-serve', '--port', '99999'], /argument '99999' is invalid/],
      [['udp-serve', '--port', '0', '--rekey-interval', '0'], /option '--rekey-interval <n>' argument '0' is invalid\. expected a whole number of at least 1$/],
      [['udp-connect', '--port', '1', '--count', '1.5'], /option '--count <n>' argument '1\.5' is invalid/],
      [['udp-connect', '--port', '1', '--wait', '-5'], /option '--wait <ms>' argument '-5' is invalid/],
      [['pipes-serve', '--port', '-1'], /option '--port <port>' argument '-1' is invalid/],
      [['pipes-connect', '--port', '1', '--handshake-timeout', 'soon'], /option '--handshake-timeout <ms>' argument 'soon' is invalid/],
      [['relay', '--listen', '127.0.0.1:0', '--connect-wait', 'abc'], /option '--connect-wait <ms>' argument 'abc' is invalid/],
      [['vectors', '--backend', 'foo', 'x.txt'], /^noisekit: ERR_NOISE_CONFIG: option '--backend <name>' argument 'foo' is invalid/],
      [['keygen', '--bogus'], /^noisekit: ERR_NOISE_CONFIG: unknown option '--bogus'$/],
    ];
    for (const [args, re] of cases) expectOneLine(await runCli(args), re, args.join(' '));
  });

  it('a key file written by keygen, with a comment line, works with --key of udp-serve and pipes-serve; a bad one is named, its text never echoed', async () => {
    const key = join(dir, 'k.key');
    expect((await runCli(['keygen', '--out', key])).status).to.equal(0);
    const commented = join(dir, 'commented.key');
    writeFileSync(commented, `# the service key\n${readFileSync(key, 'utf8')}`);
    const pub = (await runCli(['keygen', '--public', key])).stdout.match(/[0-9a-f]{64}/)![0];
    for (const [cmd, re] of [['udp-serve', /listening udp 127\.0\.0\.1:\d+ key ([0-9a-f]{64})/], ['pipes-serve', /listening tcp 127\.0\.0\.1:\d+ key ([0-9a-f]{64})/]] as const) {
      const s = await startCli([cmd, '--port', '0', '--key', commented], re, { stream: 'stdout', timeoutMs: 15_000, track: children });
      expect(s.match[1], cmd).to.equal(pub);
      s.child.kill();
    }
    const secretish = join(dir, 'bad.key');
    writeFileSync(secretish, 'f8143e3583zz9c1b7aa\n');
    for (const cmd of [['udp-serve', '--port', '0'], ['pipes-serve', '--port', '0']]) {
      const r = await runCli([...cmd, '--key', secretish]);
      expectOneLine(r, /^noisekit: ERR_NOISE_KEY_FILE: .*bad\.key line 1: expected 56 or 32 bytes in hex or base64$/, cmd[0]!);
      expect(r.stderr).not.to.contain('f8143e');
    }
    expectOneLine(await runCli(['udp-serve', '--port', '0', '--key', join(dir, 'missing.key')]), /^noisekit: ERR_NOISE_KEY_FILE: cannot read key file .*missing\.key: ENOENT$/, 'missing key');
  });

  it('fromHex never quotes its input (it may be a private key)', () => {
    for (const text of ['f8143e3583zz', 'abc']) {
      try {
        fromHex(text);
        expect.fail('no error');
      } catch (err) {
        expect(err).to.be.instanceOf(NoiseError);
        expect((err as Error).message).not.to.contain(text.slice(0, 3));
      }
    }
  });

  it('files and patterns are checked before work starts; full protocol names must name real algorithms', async () => {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '{"vectors": []}\n');
    expect((await runCli(['vectors', empty])).status).to.equal(0); // a valid file on its own
    const r = await runCli(['vectors', empty, join(dir, 'nosuch.txt')]);
    expectOneLine(r, /^noisekit: ERR_NOISE_INVALID_ARGUMENT: cannot read vector file .*nosuch\.txt: ENOENT$/, 'vectors');
    expect(r.stdout, 'nothing ran before the missing file was found').to.equal('');
    const garbage = join(dir, 'garbage.txt');
    writeFileSync(garbage, 'garbage\nmore\n');
    expectOneLine(await runCli(['vectors', garbage]), /^noisekit: ERR_NOISE_INVALID_ARGUMENT: .*garbage\.txt: not JSON/, 'vectors garbage');
    expectOneLine(await runCli(['patterns', 'Noise_XX_25519_Foo_BLAKE2s']), /^noisekit: ERR_NOISE_UNSUPPORTED_ALGORITHM: cipher "Foo"/, 'patterns');
    expectOneLine(await runCli(['patterns', 'X X']), /^noisekit: ERR_NOISE_UNKNOWN_PATTERN: not a pattern name: "X X"$/, 'patterns space');
    expect((await runCli(['patterns', 'Noise_XX_448_AESGCM_SHA512'])).status).to.equal(0);
    const key = join(dir, 'serve.key');
    await runCli(['keygen', '--out', key]);
    // Without a trust flag serve warns that anyone can connect; an unknown cipher must be the only line.
    expectOneLine(await runCli(['serve', '--listen', '127.0.0.1:0', '--protocol', 'Noise_XX_25519_Foo_BLAKE2s', '--key', key, '--echo']), /^noisekit: ERR_NOISE_UNSUPPORTED_ALGORITHM: cipher "Foo"/, 'serve');
  });

  it('settings that cannot work are refused up front: a one-way pattern over UDP, --key-cache without --pipes', async () => {
    expectOneLine(await runCli(['udp-serve', '--port', '0', '--protocol', 'Noise_N_25519_ChaChaPoly_BLAKE2s']), /^noisekit: ERR_NOISE_ONE_WAY: N is a one-way pattern/, 'udp one-way');
    const r = await runCli(['connect', '127.0.0.1:1', '--protocol', 'Noise_NN_25519_ChaChaPoly_BLAKE2s', '--key-cache', join(dir, 'cache.json')]);
    expectOneLine(r, /^noisekit: ERR_NOISE_CONFIG: --key-cache is for --pipes/, 'key-cache');
    expectOneLine(await runCli(['udp-connect', '--port', '1', '--protocol', 'Noise_IK_25519_ChaChaPoly_BLAKE2s']), /^noisekit: ERR_NOISE_CONFIG: IK needs the server's static public key: --server-key KEY$/, 'udp-connect IK');
  });

  it('a port in use is one line for udp-serve too (ERR_NOISE_SOCKET ... EADDRINUSE)', async () => {
    const first = await startCli(['udp-serve', '--port', '0'], /listening udp 127\.0\.0\.1:(\d+)/, { stream: 'stdout', timeoutMs: 15_000, track: children });
    expectOneLine(await runCli(['udp-serve', '--port', first.match[1]!]), /^noisekit: ERR_NOISE_SOCKET: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE$/, 'udp in use');
    first.child.kill();
  });

  it('--tofu pins an IPv6 server as [HOST]:PORT, as written on the command line', async function () {
    const probe = net.createServer();
    const v6 = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(0, '::1', () => probe.close(() => resolve(true)));
    });
    if (!v6) this.skip(); // no IPv6 loopback on this machine: reported as pending
    const key = join(dir, 'v6.key');
    await runCli(['keygen', '--out', key]);
    const s = await startCli(['serve', '--listen', '[::1]:0', '--protocol', 'Noise_XX_25519_ChaChaPoly_BLAKE2s', '--key', key, '--echo'], /listening \[::1\]:(\d+) /, { timeoutMs: 15_000, track: children });
    const known = join(dir, 'known_hosts');
    const r = await runCli(['connect', `[::1]:${s.match[1]}`, '--protocol', 'Noise_XX_25519_ChaChaPoly_BLAKE2s', '--key', key, '--tofu', known], { input: 'hi\n' });
    expect(r.status, r.stderr).to.equal(0);
    expect(readFileSync(known, 'utf8')).to.match(new RegExp(`^\\[::1\\]:${s.match[1]} [0-9a-f]{64}`, 'm'));
    s.child.kill();
  });
});
