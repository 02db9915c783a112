/**
 * `noisekit pipes-serve` / `pipes-connect` as users run them, on loopback: XX the first time
 * (the key-cache file is written), IK with zero-RTT early data the second, and XXfallback after
 * the server restarts with a new key (stale cache), with the early data delivered every time.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { runCli, startCli } from './support/run-node.js';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { pipesConnect, createPipesServer, generateKeyPair } from '../src/index.js';
import { CLI_MAIN } from './support/run-node.js';
import { waitFor } from './support/wait.js';


/** Runs `noisekit <args>` to completion, in this file's result shape. */
async function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = await runCli(args, { timeoutMs: 15_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function serve(args: string[]): Promise<{ proc: ChildProcess; port: number; key: string; output: () => string }> {
  const s = await startCli(['pipes-serve', '--echo', ...args], /listening tcp 127\.0\.0\.1:(\d+) key ([0-9a-f]+)/, { stream: 'stdout', timeoutMs: 15_000 });
  return { proc: s.child, port: Number(s.match[1]), key: s.match[2]!, output: s.output };
}

describe('CLI: noisekit pipes-serve / pipes-connect', function () {
  const procs: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'noisekit-pipes-'));
  after(() => {
    procs.forEach((p) => p.kill('SIGKILL'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a port in use is one line (ERR_NOISE_SOCKET ... EADDRINUSE) and exit status 1, for pipes-serve and serve --pipes', async () => {
    const first = await serve(['--port', '0']);
    procs.push(first.proc);
    const keyFile = join(dir, 'busy.key');
    expect((await run(['keygen', '--out', keyFile])).code).to.equal(0);
    for (const args of [
      ['pipes-serve', '--host', '127.0.0.1', '--port', String(first.port)],
      ['serve', '--pipes', '--protocol', 'Noise_XX_25519_ChaChaPoly_BLAKE2b', '--listen', `127.0.0.1:${first.port}`, '--key', keyFile, '--echo'],
    ]) {
      const r = await run(args);
      expect(r.code, r.err).to.equal(1);
      // (serve may first warn that it trusts any client key)
      expect(r.err.trim().split('\n').pop(), args.join(' ')).to.match(/^noisekit: ERR_NOISE_SOCKET: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE$/);
      expect(r.err).not.to.match(/^\s+at /m); // no stack trace
    }
    first.proc.kill();
  });

  it('XX, then IK with 0-RTT, then XXfallback after the server key changed', async () => {
    const cache = join(dir, 'servers.json');
    const keyA = join(dir, 'a.key');
    const keyB = join(dir, 'b.key');
    writeFileSync(keyA, randomBytes(32).toString('hex'));
    writeFileSync(keyB, randomBytes(32).toString('hex'));
    const a = await serve(['--port', '0', '--key', keyA]);
    procs.push(a.proc);
    const connect = (port: number) => run(['pipes-connect', '--port', String(port), '--key-cache', cache, '--early-data', 'E|', '--message', 'M']);
    const first = await connect(a.port);
    expect(first.code, first.err).to.equal(0);
    expect(first.out).to.contain(`connected XX early-data after-handshake server-key ${a.key}`);
    expect(first.out).to.contain('reply E|M');
    const second = await connect(a.port);
    expect(second.out).to.contain('connected IK early-data 0-rtt');
    expect(second.out).to.contain('reply E|M');
    expect(a.output()).to.match(/session IK early-data 0-rtt/);
    // The same address, a new key: the cache is stale.
    a.proc.kill('SIGKILL');
    await new Promise((r) => a.proc.once('close', r));
    const b = await serve(['--port', String(a.port), '--key', keyB]);
    procs.push(b.proc);
    const third = await connect(b.port);
    expect(third.code, third.err).to.equal(0);
    expect(third.out).to.contain(`connected XXfallback early-data after-handshake server-key ${b.key}`);
    expect(third.out).to.contain('reply E|M');
    expect(JSON.parse(readFileSync(cache, 'utf8'))[`127.0.0.1:${b.port}`]).to.equal(b.key);
  });

  it('serve --pipes --echo / connect --pipes --key-cache: XX the first time, IK the second (deployment flags)', async () => {
    const keyS = join(dir, 'ds.key');
    const keyC = join(dir, 'dc.key');
    writeFileSync(keyS, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    writeFileSync(keyC, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    const proto = ['--protocol', 'Noise_XX_25519_ChaChaPoly_BLAKE2s'];
    const srv = await startCli(['serve', '--pipes', '--echo', '--listen', '127.0.0.1:0', '--key', keyS, ...proto], /listening pipes 127\.0\.0\.1:(\d+)/, { timeoutMs: 15_000 });
    procs.push(srv.child);
    const port = Number(srv.match[1]);
    const cache = join(dir, 'deploy-cache.json');
    const once = () => runCli(['connect', '--pipes', '--key-cache', cache, '--verbose', `127.0.0.1:${port}`, '--key', keyC, ...proto], { input: 'hello pipes' });
    const first = await once();
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout).to.equal('hello pipes');
    expect(first.stderr).to.match(/connected 127\.0\.0\.1:\d+ XX /);
    const second = await once();
    expect(second.stdout).to.equal('hello pipes');
    expect(second.stderr).to.match(/connected 127\.0\.0\.1:\d+ IK /);
    expect(srv.output()).to.match(/connection 127\.0\.0\.1:\d+ IK remote-key/);
  });

  it('pipes-serve --echo streams the echo before the client ends (nothing piles up), and its data line shows the first 64 KiB', async () => {
    const srv = await serve(['--port', '0']);
    procs.push(srv.proc);
    const s = await pipesConnect({ host: '127.0.0.1', port: srv.port, staticKeyPair: generateKeyPair() });
    let echoed = 0;
    s.on('data', (d: Buffer) => (echoed += d.length));
    s.write('ping');
    // The old server held everything until the client's end: nothing came back before it.
    await waitFor(() => echoed === 4, 10_000, 'the echo of a stream not yet ended');
    const big = Buffer.alloc(200_000, 'z');
    s.end(big);
    await new Promise<void>((resolve, reject) => {
      s.on('end', resolve);
      s.on('error', reject);
    });
    expect(echoed).to.equal(4 + big.length);
    await waitFor(() => /^data /m.test(srv.output()), 5_000, 'the data line');
    const line = srv.output().split('\n').find((l) => l.startsWith('data '))!;
    expect(line).to.equal(`data ping${'z'.repeat(65_536 - 4)}... (200004 bytes, the first 65536 shown)`);
  });

  it('pipes-connect streams the reply to stdout as it arrives, before the server ends it', async () => {
    const server = createPipesServer({ staticKeyPair: generateKeyPair() }, (s) => {
      s.on('error', () => undefined);
      s.write('x'.repeat(100_000)); // and never ends
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'pipes-connect', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes(`reply ${'x'.repeat(100_000)}`), 15_000, 'the reply on stdout while the stream is open');
      expect(out).to.match(/^connected XX early-data after-handshake server-key [0-9a-f]{64}\nreply x+$/);
    } finally {
      child.kill('SIGKILL');
      server.close();
      server.closeAllConnections();
    }
  });
});
