/**
 * The noisekit CLI end to end on loopback: the real command (`node --import tsx
 * src/cli/main.ts`) is spawned for keygen, serve, connect and patterns. Servers listen on
 * 127.0.0.1 port 0 and are killed in `after`; every child has a time limit.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { runCli, startCli } from './support/run-node.js';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const XX = 'Noise_XX_25519_ChaChaPoly_BLAKE2s';
const children = new Set<ChildProcess>();

interface Result { status: number | null; stdout: string; stderr: string }

/** Runs the CLI to completion (killed after 20 s), feeding `input` on stdin. */
const run = (args: string[], input = ''): Promise<Result> => runCli(args, { input, track: children });

/** A running `noisekit serve`: its port and the log lines it wrote so far. */
interface Server { child: ChildProcess; port: number; log: string[] }

/** Starts `noisekit serve ... --listen 127.0.0.1:0` and waits for its `listening` line. */
async function serve(args: string[]): Promise<Server> {
  const s = await startCli(['serve', '--listen', '127.0.0.1:0', ...args], /^noisekit: listening 127\.0\.0\.1:(\d+) /, { track: children });
  return { child: s.child, port: Number(s.match[1]), log: s.log };
}

/** Waits until a log line matches (the server logs asynchronously), at most 5 s. */
async function waitForLog(s: Server, re: RegExp): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const line = s.log.find((l) => re.test(l));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no log line ${re} in:\n${s.log.join('\n')}`);
}

function expectOneErrorLine(r: Result, code: RegExp): void {
  expect(r.status, r.stderr).to.not.equal(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^noisekit: ERR_NOISE_[A-Z_]+: /);
  expect(lines[0]).to.match(code);
}

describe('noisekit CLI end to end (loopback)', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'noisekit-cli-'));
  const path = (f: string) => join(dir, f);
  let clientPub = '';
  let serverPub = '';
  let xx: Server;

  after(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('keygen writes a 0600 key file, prints the public key in hex and base64, and refuses to overwrite', async () => {
    const [s, c, m] = await Promise.all([run(['keygen', '--out', path('server.key')]), run(['keygen', '--out', path('client.key')]), run(['keygen', '--out', path('mallory.key')])]);
    for (const r of [s, c, m]) expect(r.status, r.stderr).to.equal(0);
    expect(statSync(path('server.key')).mode & 0o777).to.equal(0o600);
    const hexOf = (r: Result) => /^public-key-hex ([0-9a-f]{64})$/m.exec(r.stdout)![1]!;
    const b64Of = (r: Result) => /^public-key-base64 (\S+)$/m.exec(r.stdout)![1]!;
    serverPub = hexOf(s);
    clientPub = hexOf(c);
    expect(Buffer.from(b64Of(s), 'base64').toString('hex')).to.equal(serverPub);
    const pub = await run(['keygen', '--public', path('client.key')]);
    expect(hexOf(pub)).to.equal(clientPub);
    const again = await run(['keygen', '--out', path('client.key')]);
    expectOneErrorLine(again, /ERR_NOISE_KEY_FILE: .*exists/);
    writeFileSync(path('authorized_keys'), `# allowed\n${clientPub} client\n`);
  });

  it('serve --echo (XX, --authorized-keys) and connect with piped stdin: output equals input, exit 0', async () => {
    xx = await serve(['--protocol', XX, '--key', path('server.key'), '--authorized-keys', path('authorized_keys'), '--echo']);
    expect(xx.log[0]).to.include(`key ${serverPub}`);
    const input = randomBytes(150_000).toString('base64') + '\nlast line\n'; // several transport messages
    const r = await run(['connect', `127.0.0.1:${xx.port}`, '--protocol', XX, '--key', path('client.key'), '--remote-key', serverPub], input);
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
    expect(r.stdout).to.equal(input);
    const line = await waitForLog(xx, /^noisekit: connection 127\.0\.0\.1:\d+ remote-key/);
    expect(line).to.match(new RegExp(`remote-key ${clientPub} hash [0-9a-f]{16}$`));
  });

  it('an unauthorized client fails with one error line and non-zero exit; the server logs it and keeps serving', async () => {
    const bad = await run(['connect', `127.0.0.1:${xx.port}`, '--protocol', XX, '--key', path('mallory.key')], 'let me in\n');
    expectOneErrorLine(bad, /ERR_NOISE_/);
    expect(bad.stdout).to.equal('');
    await waitForLog(xx, /^noisekit: connection-error 127\.0\.0\.1:\d+ ERR_NOISE_REMOTE_REJECTED: /);
    expect(xx.child.exitCode).to.equal(null);
    const ok = await run(['connect', `127.0.0.1:${xx.port}`, '--protocol', XX, '--key', path('client.key')], 'still there?\n');
    expect([ok.status, ok.stdout]).to.deep.equal([0, 'still there?\n']);
  });

  it('a client pinning the wrong server key (--remote-key) fails with ERR_NOISE_REMOTE_REJECTED', async () => {
    const r = await run(['connect', `127.0.0.1:${xx.port}`, '--protocol', XX, '--key', path('client.key'), '--remote-key', clientPub], 'hi\n');
    expectOneErrorLine(r, /ERR_NOISE_REMOTE_REJECTED/);
  });

  it('connect to a closed port fails with one error line', async () => {
    const r = await run(['connect', '127.0.0.1:1', '--protocol', 'Noise_NN_25519_ChaChaPoly_BLAKE2s'], '');
    expectOneErrorLine(r, /ERR_NOISE_SOCKET/);
  });

  it('serve with a bad flag, a missing key or a bad address gives one error line and exits non-zero', async () => {
    const results = await Promise.all([
      run(['serve', '--listen', '127.0.0.1:0', '--protocol', XX, '--echo', '--bogus']),
      run(['serve', '--listen', '127.0.0.1:0', '--protocol', XX, '--echo']),
      run(['serve', '--listen', 'nowhere', '--protocol', XX, '--echo']),
      run(['serve', '--listen', '127.0.0.1:0', '--protocol', 'Noise_XX_25519', '--echo']),
    ]);
    expectOneErrorLine(results[0]!, /ERR_NOISE_CONFIG: unknown option '--bogus'/);
    expectOneErrorLine(results[1]!, /ERR_NOISE_CONFIG: .*static key/);
    expectOneErrorLine(results[2]!, /ERR_NOISE_CONFIG: "nowhere" is not HOST:PORT/);
    expectOneErrorLine(results[3]!, /ERR_NOISE_CONFIG: .*invalid protocol name/);
  });

  it('--config: the example deployment files (examples/deployments) run as documented, tofu pins the server key', async () => {
    const dep = path('deploy');
    rmSync(dep, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(dep);
    copyFileSync('examples/deployments/server.json', join(dep, 'server.json'));
    copyFileSync('examples/deployments/client.json', join(dep, 'client.json'));
    copyFileSync(path('server.key'), join(dep, 'server.key'));
    copyFileSync(path('client.key'), join(dep, 'client.key'));
    copyFileSync(path('authorized_keys'), join(dep, 'authorized_keys'));
    const s = await serve(['--config', join(dep, 'server.json'), '--echo']);
    const r = await run(['connect', `127.0.0.1:${s.port}`, '--config', join(dep, 'client.json')], 'configured\n');
    expect([r.status, r.stdout, r.stderr]).to.deep.equal([0, 'configured\n', '']);
    expect(readFileSync(join(dep, 'known_hosts'), 'utf8')).to.equal(`127.0.0.1:${s.port} ${serverPub}\n`);
    // A different prologue on the command line overrides the file: the handshake must fail.
    const p = await run(['connect', `127.0.0.1:${s.port}`, '--config', join(dep, 'client.json'), '--prologue', '00'], 'x\n');
    expectOneErrorLine(p, /ERR_NOISE_/);
    s.child.kill();
  });

  it('serve --exec runs the command per connection with the decrypted stream as stdin/stdout (NN)', async () => {
    const NN = 'Noise_NN_25519_ChaChaPoly_BLAKE2s';
    const s = await serve(['--protocol', NN, '--exec', 'tr a-z A-Z']);
    const [a, b] = await Promise.all([
      run(['connect', `127.0.0.1:${s.port}`, '--protocol', NN], 'first client\n'),
      run(['connect', `127.0.0.1:${s.port}`, '--protocol', NN], 'second client\n'),
    ]);
    expect([a.status, a.stdout]).to.deep.equal([0, 'FIRST CLIENT\n']);
    expect([b.status, b.stdout]).to.deep.equal([0, 'SECOND CLIENT\n']);
    s.child.kill();
  });

  it('patterns lists all 38 base patterns by family, shows one with modifiers, and rejects unknown names in one line', async () => {
    const [list, one, bad] = await Promise.all([run(['patterns']), run(['patterns', 'XXpsk3']), run(['patterns', 'QQ'])]);
    expect(list.status).to.equal(0);
    const rows = list.stdout.split('\n').filter((l) => /^ {2}[A-Z0-9]+ +\d msg/.test(l));
    expect(rows).to.have.length(38);
    expect(list.stdout).to.match(/^one-way \(3\):$/m).and.match(/^fundamental \(12\):$/m).and.match(/^deferred \(23\):$/m);
    expect(one.status).to.equal(0);
    expect(one.stdout).to.include('XXpsk3:\n  -> e\n  <- e, ee, s, es\n  -> s, se, psk\n'); // spec 9.4 example
    expectOneErrorLine(bad, /ERR_NOISE_UNKNOWN_PATTERN/);
  });
});
