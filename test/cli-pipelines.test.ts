/**
 * The CLI as a netcat replacement in shell pipelines: a slow or vanished stdout reader, a --exec
 * command that stops reading or keeps working after its output ended, processes that must not
 * outlive their connection, signals, oversized datagrams, a vanished log reader. Each case is
 * what a user's pipeline does, run as processes on loopback; every process is killed in `after`.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_MAIN, runCli, startCli } from './support/run-node.js';
import { writeKeyFile } from './support/key-file.js';
import { waitFor } from './support/wait.js';

const NN = ['--protocol', 'Noise_NN_25519_ChaChaPoly_BLAKE2s'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident memory of a process in MB (Linux /proc). */
function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Pids of running processes whose command line is `argv` (not serve's, which quotes it in --exec). */
function pidsWith(argv: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() === argv) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** `noisekit connect` with its stdio under the test's control. */
function connectProc(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'connect', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

describe('CLI in shell pipelines (connect / serve --exec)', function () {
  this.timeout(60_000);
  const children = new Set<ChildProcess>();
  const dir = mkdtempSync(join(tmpdir(), 'noisekit-pipelines-'));
  after(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(args: string[]): Promise<{ child: ChildProcess; port: number; output: () => string }> {
    const s = await startCli(['serve', '--listen', '127.0.0.1:0', ...NN, ...args], /^noisekit: listening 127\.0\.0\.1:(\d+) /, { track: children });
    return { child: s.child, port: Number(s.match[1]), output: s.output };
  }

  it('connect with a stdout reader that does not keep up holds the stream back instead of buffering it', async () => {
    const { port } = await serve(['--exec', 'head -c 400000000 /dev/zero']);
    const c = connectProc([`127.0.0.1:${port}`, ...NN]);
    children.add(c);
    c.stdin!.end();
    let got = 0;
    c.stdout!.once('data', (d: Buffer) => {
      got += d.length;
      c.stdout!.pause(); // a reader that stops (the pipe buffer fills, then stdout's own)
    });
    await waitFor(() => got > 0, 20_000, 'first bytes');
    await sleep(1000);
    const before = rssMB(c.pid!);
    await sleep(3000);
    const growth = rssMB(c.pid!) - before;
    // Without backpressure the stream piles up in stdout's buffer at loopback speed (hundreds of MB).
    expect(growth, `connect grew by ${growth.toFixed(1)} MB while its reader was stopped`).to.be.below(64);
    c.kill('SIGKILL');
  });

  it('connect ... | head -c 10: the reader going away ends connect quietly with status 141, no stack trace', async () => {
    const { port } = await serve(['--exec', 'head -c 5000000 /dev/zero']);
    const c = connectProc([`127.0.0.1:${port}`, ...NN]);
    children.add(c);
    c.stdin!.end();
    let stderr = '';
    c.stderr!.on('data', (d) => (stderr += d));
    await once(c.stdout!, 'data');
    c.stdout!.destroy(); // as `head` exits after its 10 bytes
    const [status] = (await once(c, 'exit')) as [number | null];
    expect([status, stderr]).to.deep.equal([141, '']);
  });

  it('connect > /dev/full: a stdout that fails for another reason than a vanished reader is an error line and exit 1', async function () {
    if (!existsSync('/dev/full')) this.skip();
    const { port } = await serve(['--exec', 'head -c 1000000 /dev/zero']);
    const full = openSync('/dev/full', 'w');
    const c = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'connect', `127.0.0.1:${port}`, ...NN], { stdio: ['pipe', full, 'pipe'] });
    closeSync(full);
    children.add(c);
    c.stdin!.end();
    let stderr = '';
    c.stderr!.on('data', (d) => (stderr += d));
    const [status] = (await once(c, 'exit')) as [number | null];
    expect(status, stderr).to.equal(1);
    expect(stderr).to.match(/^noisekit: ERR_NOISE_SOCKET: cannot write to standard output: .*ENOSPC/);
  });

  it('connect --udp | head -n 1: the reader going away ends connect with status 141 while stdin is still open', async () => {
    const srv = await startCli(['serve', '--udp', '--echo', '--listen', '127.0.0.1:0', '--protocol', 'Noise_XX_25519_ChaChaPoly_BLAKE2s', '--key', writeKey()], /listening udp 127\.0\.0\.1:(\d+)/, { track: children });
    const c = connectProc(['--udp', `127.0.0.1:${srv.match[1]}`, '--protocol', 'Noise_XX_25519_ChaChaPoly_BLAKE2s', '--key', writeKey()]);
    children.add(c);
    c.stdin!.on('error', () => undefined);
    let stderr = '';
    c.stderr!.on('data', (d) => (stderr += d));
    const pump = setInterval(() => c.stdin!.write('line\n'), 50); // stdin never ends
    try {
      await once(c.stdout!, 'data');
      c.stdout!.destroy(); // as `head -n 1` exits
      const [status] = (await Promise.race([once(c, 'exit'), sleep(10_000).then(() => ['still running'])])) as [number | string | null];
      expect([status, stderr]).to.deep.equal([141, '']);
    } finally {
      clearInterval(pump);
      c.kill('SIGKILL');
    }
  });

  it('serve --exec: a command that exits without reading its input does not stall the client, which gets the output and exits 0', async () => {
    const { port } = await serve(['--exec', 'head -c 10']);
    const input = 'x'.repeat(30 * 1024 * 1024); // far more than socket and pipe buffers hold
    const r = await runCli(['connect', `127.0.0.1:${port}`, ...NN], { input, timeoutMs: 30_000 });
    expect([r.status, r.stdout, r.stderr]).to.deep.equal([0, 'x'.repeat(10), '']);
  });

  it('serve --exec: a command that fails is logged with its exit status', async () => {
    const srv = await serve(['--exec', 'echo partial; exit 3']);
    const r = await runCli(['connect', `127.0.0.1:${srv.port}`, ...NN], { input: '', timeoutMs: 15_000 });
    expect([r.status, r.stdout]).to.deep.equal([0, 'partial\n']);
    await waitFor(() => /exec-exit 127\.0\.0\.1:\d+ status 3/.test(srv.output()), 5_000, 'the exec-exit line');
  });

  it('serve --exec: after a clean end, a command still reading its input is left to finish (its output had ended first)', async () => {
    const out = join(dir, 'count');
    const upload = join(dir, 'upload');
    // The command closes its stdout at once (so the server's end goes out), reads all its input,
    // and only then does its work: the connection closes cleanly while it is still busy.
    const { port } = await serve(['--exec', `exec >/dev/null; cat > ${upload}; sleep 1; wc -c < ${upload} > ${out}`]);
    const r = await runCli(['connect', `127.0.0.1:${port}`, ...NN], { input: 'y'.repeat(1_000_000), timeoutMs: 30_000 });
    expect([r.status, r.stderr]).to.deep.equal([0, '']);
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').trim() !== '', 10_000, 'the command finished');
    expect(readFileSync(out, 'utf8').trim()).to.equal('1000000');
  });

  it('serve --exec: the command and its children end with a failed connection, and SIGINT stops serve at once', async () => {
    const marker = `sleep 41.${process.pid}`;
    // The shell exits at once; what it started in the background lives on, with no pipe of ours.
    const srv = await serve(['--exec', `${marker} >/dev/null 2>&1 & echo started`]);
    const c = connectProc([`127.0.0.1:${srv.port}`, ...NN]);
    children.add(c);
    await waitFor(() => pidsWith(marker).length > 0, 20_000, 'the command runs');
    c.kill('SIGKILL'); // the connection fails (no authenticated end)
    await waitFor(() => pidsWith(marker).length === 0, 10_000, 'the command and its children are gone');
    const c2 = connectProc([`127.0.0.1:${srv.port}`, ...NN]);
    children.add(c2);
    await waitFor(() => pidsWith(marker).length > 0, 20_000, 'a second command runs');
    const t0 = Date.now();
    srv.child.kill('SIGINT');
    await once(srv.child, 'exit');
    expect(Date.now() - t0, 'serve stopped promptly').to.be.below(5_000);
    await waitFor(() => pidsWith(marker).length === 0, 10_000, 'no command outlives the server');
    c2.kill('SIGKILL');
  });

  it('serve --exec: at shutdown, what ignores SIGTERM gets SIGKILL before serve exits', async () => {
    const marker = `sleep 43.${process.pid}`;
    const srv = await serve(['--exec', `trap '' TERM; ${marker} & echo started`]);
    const c = connectProc([`127.0.0.1:${srv.port}`, ...NN]);
    children.add(c);
    await waitFor(() => pidsWith(marker).length > 0, 20_000, 'the command runs');
    srv.child.kill('SIGINT');
    await once(srv.child, 'exit');
    expect(pidsWith(marker), 'left behind').to.deep.equal([]);
    c.kill('SIGKILL');
  });

  it('serve --pipes stops on SIGINT while a client is connected', async () => {
    const s = await startCli(['serve', '--pipes', '--echo', '--listen', '127.0.0.1:0', '--protocol', 'Noise_XX_25519_ChaChaPoly_BLAKE2s', '--key', writeKey()], /^noisekit: listening pipes 127\.0\.0\.1:(\d+) /, { track: children });
    const c = connectProc(['--pipes', `127.0.0.1:${s.match[1]}`, '--protocol', 'Noise_XX_25519_ChaChaPoly_BLAKE2s', '--key', writeKey()]);
    children.add(c);
    c.stdin!.write('hello\n'); // stays open
    await once(c.stdout!, 'data');
    const t0 = Date.now();
    s.child.kill('SIGINT');
    await once(s.child, 'exit');
    expect(Date.now() - t0).to.be.below(5_000);
    c.kill('SIGKILL');
  });

  it('connect --udp: a line too long for one datagram is one error line and exit 1, never a hang or a silent loss', async () => {
    const srv = await startCli(['serve', '--udp', '--echo', '--listen', '127.0.0.1:0', '--protocol', 'Noise_XX_25519_ChaChaPoly_BLAKE2s', '--key', writeKey()], /listening udp 127\.0\.0\.1:(\d+)/, { track: children });
    const key = writeKey();
    for (const size of [65_483, 65_520]) {
      const r = await runCli(['connect', '--udp', `127.0.0.1:${srv.match[1]}`, '--protocol', 'Noise_XX_25519_ChaChaPoly_BLAKE2s', '--key', key], { input: 'z'.repeat(size) + '\n', timeoutMs: 15_000 });
      expect(r.status, `${size} bytes: ${r.stderr}`).to.equal(1);
      expect(r.stderr).to.match(/^noisekit: ERR_NOISE_MESSAGE_TOO_LONG: /);
    }
    const ok = await runCli(['connect', '--udp', `127.0.0.1:${srv.match[1]}`, '--protocol', 'Noise_XX_25519_ChaChaPoly_BLAKE2s', '--key', key], { input: 'z'.repeat(65_482) + '\n', timeoutMs: 15_000 });
    expect([ok.status, ok.stdout.length]).to.deep.equal([0, 65_483]);
  });

  it('serve keeps serving when the reader of its log (stderr) goes away', async () => {
    const srv = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'serve', '--listen', '127.0.0.1:0', ...NN, '--echo'], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(srv);
    let log = '';
    srv.stderr!.on('data', (d) => (log += d));
    await waitFor(() => /listening 127\.0\.0\.1:(\d+)/.test(log), 20_000, 'listening');
    const port = /listening 127\.0\.0\.1:(\d+)/.exec(log)![1];
    srv.stderr!.destroy(); // `serve 2>&1 | head -n 1`: the log reader is gone
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['connect', `127.0.0.1:${port}`, ...NN], { input: `ping ${i}`, timeoutMs: 15_000 });
      expect([r.status, r.stdout, r.stderr]).to.deep.equal([0, `ping ${i}`, '']);
    }
    expect(srv.exitCode, 'serve is still running').to.equal(null);
    srv.kill('SIGKILL');
  });

  let keyCount = 0;
  /** A key file for the commands that need a static key. */
  const writeKey = (): string => writeKeyFile(join(dir, `k${keyCount++}.key`));
});
