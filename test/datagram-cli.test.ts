/**
 * The UDP commands as users run them: `noisekit udp-serve --echo` and `noisekit udp-connect`
 * (plain XX, and Noise Pipes with a key-cache file: XX first, IK the second time). Loopback only;
 * every process is killed in `after`.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { runCli, startCli } from './support/run-node.js';
import { writeKeyFile } from './support/key-file.js';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';


/** Runs `noisekit <args>` to completion, in this file's result shape. */
async function run(args: string[], timeoutMs = 15_000): Promise<{ code: number | null; out: string; err: string }> {
  const r = await runCli(args, { timeoutMs });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function serve(args: string[]): Promise<{ proc: ChildProcess; port: number; key: string; output: () => string }> {
  const s = await startCli(['udp-serve', '--port', '0', '--echo', ...args], /listening udp 127\.0\.0\.1:(\d+) key ([0-9a-f]+)/, { stream: 'stdout', timeoutMs: 15_000 });
  return { proc: s.child, port: Number(s.match[1]), key: s.match[2]!, output: s.output };
}

describe('CLI: noisekit udp-serve / udp-connect', function () {
  const procs: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'noisekit-udp-'));
  after(() => {
    procs.forEach((p) => p.kill('SIGKILL'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('XX: 5 datagrams echoed, summary line, exit 0', async () => {
    const s = await serve([]);
    procs.push(s.proc);
    const r = await run(['udp-connect', '--port', String(s.port), '--message', 'hello udp', '--count', '5']);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.contain(`connected server-key ${s.key}`);
    expect(r.out.match(/^datagram hello udp$/gm)).to.have.length(5);
    expect(r.out).to.contain('sent 5, received 5');
    expect(s.output().match(/datagram 127\.0\.0\.1:\d+ hello udp/g)).to.have.length(5);
  });

  it('udp-serve --cookies always: a bare message 1 gets a 33-byte cookie reply, udp-connect still gets through; a bad value is refused', async () => {
    const s = await serve(['--cookies', 'always']);
    procs.push(s.proc);
    const sock = createSocket('udp4');
    const reply = new Promise<Buffer>((r) => sock.once('message', r));
    sock.send(Buffer.concat([Buffer.from([0x01, 0x00]), randomBytes(32)]), s.port, '127.0.0.1');
    const cookie = await reply;
    sock.close();
    expect([cookie.length, cookie[0]], 'a cookie reply, not message 2').to.deep.equal([33, 0x03]);
    const r = await run(['udp-connect', '--port', String(s.port), '--message', 'past the cookie', '--count', '2']);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.contain('sent 2, received 2');
    const bad = await run(['udp-serve', '--port', '0', '--cookies', 'sometimes']);
    expect(bad.code).to.equal(1);
    expect(bad.err).to.contain('--cookies');
  });

  it('--pipes with a key-cache file: XX the first time, IK the second', async () => {
    const s = await serve(['--pipes']);
    procs.push(s.proc);
    const cache = join(dir, 'servers.json');
    const args = ['udp-connect', '--pipes', '--key-cache', cache, '--port', String(s.port), '--message', 'p'];
    const first = await run(args);
    expect(first.code, first.err).to.equal(0);
    expect(first.out).to.contain('connected XX');
    expect(JSON.parse(readFileSync(cache, 'utf8'))[`127.0.0.1:${s.port}`]).to.equal(s.key);
    const second = await run(args);
    expect(second.out).to.contain('connected IK');
    expect(second.out).to.contain('sent 1, received 1');
  });

  it('--rekey-interval on both sides: every datagram still arrives; on one side only, only epoch 0 does', async () => {
    const s = await serve(['--rekey-interval', '2']);
    procs.push(s.proc);
    const both = await run(['udp-connect', '--port', String(s.port), '--rekey-interval', '2', '--message', 'r', '--count', '6']);
    expect(both.out).to.contain('sent 6, received 6');
    const one = await run(['udp-connect', '--port', String(s.port), '--message', 'r', '--count', '6', '--wait', '300']);
    // Only nonces 0 and 1 (epoch 0) share a key: the server gets 2 of the 6 and echoes them with
    // its nonces 1 and 2 (0 was its acknowledgement), of which the client can read nonce 1 only.
    expect(one.out).to.contain('sent 6, received 1');
  });

  it('no server: one-line ERR_NOISE_HANDSHAKE_TIMEOUT and exit 1', async () => {
    const s = await serve([]);
    s.proc.kill('SIGKILL');
    await new Promise((r) => s.proc.once('close', r));
    const r = await run(['udp-connect', '--port', String(s.port), '--message', 'x', '--handshake-timeout', '300']);
    expect(r.code).to.equal(1);
    expect(r.err.trim()).to.match(/^noisekit: ERR_NOISE_HANDSHAKE_TIMEOUT: /);
  });

  it('serve --udp --echo / connect --udp: stdin lines are datagrams, echoed back (deployment flags: keys, TOFU)', async () => {
    const keyS = writeKeyFile(join(dir, 's.key'));
    const keyC = writeKeyFile(join(dir, 'c.key'));
    const proto = ['--protocol', 'Noise_XX_25519_ChaChaPoly_BLAKE2s'];
    const srv = await startCli(['serve', '--udp', '--echo', '--listen', '127.0.0.1:0', '--key', keyS, ...proto], /listening udp 127\.0\.0\.1:(\d+)/, { timeoutMs: 15_000 });
    procs.push(srv.child);
    const port = Number(srv.match[1]);
    const out = await runCli(['connect', '--udp', `127.0.0.1:${port}`, '--key', keyC, '--tofu', join(dir, 'known'), ...proto], { input: 'one\ntwo\nthree\n' });
    expect(out.status, out.stderr).to.equal(0);
    expect(out.stdout.split('\n').filter(Boolean).sort()).to.deep.equal(['one', 'three', 'two']);
    expect(srv.output()).to.match(/session 127\.0\.0\.1:\d+ remote-key [0-9a-f]{64}/);
    expect(readFileSync(join(dir, 'known'), 'utf8')).to.contain(`127.0.0.1:${port}`);
  });

  it('serve --udp logs a refused client as a connection-error line; connect --udp reports tofu\'s ERR_NOISE_REMOTE_KEY_CHANGED', async () => {
    const keyS = writeKeyFile(join(dir, 's2.key'));
    const keyC = writeKeyFile(join(dir, 'c2.key'));
    const proto = ['--protocol', 'Noise_XX_25519_ChaChaPoly_BLAKE2s'];
    const allowed = join(dir, 'allowed');
    writeFileSync(allowed, randomBytes(32).toString('hex') + '\n'); // somebody else's key
    const srv = await startCli(['serve', '--udp', '--echo', '--listen', '127.0.0.1:0', '--key', keyS, '--authorized-keys', allowed, ...proto], /listening udp 127\.0\.0\.1:(\d+)/, { timeoutMs: 15_000 });
    procs.push(srv.child);
    const port = Number(srv.match[1]);
    const known = join(dir, 'known2');
    writeFileSync(known, `127.0.0.1:${port} ${randomBytes(32).toString('hex')}\n`); // pinned: another key
    const changed = await runCli(['connect', '--udp', `127.0.0.1:${port}`, '--key', keyC, '--tofu', known, ...proto], { input: 'one\n' });
    expect(changed.status).to.not.equal(0);
    expect(changed.stderr).to.match(/^noisekit: ERR_NOISE_REMOTE_KEY_CHANGED: /m);
    // Refused by the server: no acknowledgement comes, so the client's handshake times out.
    const refused = await runCli(['connect', '--udp', `127.0.0.1:${port}`, '--key', keyC, '--handshake-timeout', '1000', ...proto], { input: 'one\n', timeoutMs: 15_000 });
    expect(refused.status).to.not.equal(0);
    expect(refused.stderr).to.match(/^noisekit: ERR_NOISE_HANDSHAKE_TIMEOUT: /m);
    expect(srv.output()).to.match(/connection-error 127\.0\.0\.1:\d+ ERR_NOISE_REMOTE_REJECTED: /);
  });
});
