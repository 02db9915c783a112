/**
 * `noisekit serve` limits against peers that hold resources (the DoS audit, findings 6 and 8):
 * `--max-connections` refuses connections (and, with --exec, commands) beyond N, and
 * `--idle-timeout` closes an established connection that stays silent. The server runs as the
 * real CLI; the clients are in-process sockets.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type NoiseSocket } from '../src/index.js';
import { startCli } from './support/run-node.js';
import { waitFor } from './support/wait.js';

const PROTOCOL = 'Noise_NN_25519_ChaChaPoly_BLAKE2s';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Connects; resolves 'secure' with the socket, or 'failed' if it closed before the handshake ended. */
function attempt(port: number): Promise<{ result: 'secure' | 'failed'; socket: NoiseSocket }> {
  return new Promise((resolve) => {
    const socket = connect({ protocol: PROTOCOL, host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    socket.once('secure', () => resolve({ result: 'secure', socket }));
    socket.once('close', () => resolve({ result: 'failed', socket }));
  });
}

describe('CLI: serve --max-connections / --idle-timeout', function () {
  this.timeout(60_000);
  const children = new Set<ChildProcess>();
  const sockets: NoiseSocket[] = [];
  after(() => {
    for (const s of sockets) s.destroy();
    for (const c of children) c.kill('SIGKILL');
  });

  async function serve(args: string[]): Promise<{ child: ChildProcess; port: number; output: () => string }> {
    const s = await startCli(['serve', '--listen', '127.0.0.1:0', '--protocol', PROTOCOL, ...args], /^noisekit: listening 127\.0\.0\.1:(\d+) /, { track: children });
    return { child: s.child, port: Number(s.match[1]), output: s.output };
  }

  it('--exec with --max-connections 2: a third connection is refused and logged; once one ends, a new one is served', async () => {
    const srv = await serve(['--exec', 'exec sleep 30', '--max-connections', '2']);
    for (let i = 0; i < 2; i++) {
      const a = await attempt(srv.port);
      sockets.push(a.socket);
      expect(a.result, `connection ${i + 1}`).to.equal('secure');
    }
    const third = await attempt(srv.port);
    expect(third.result).to.equal('failed');
    await waitFor(() => /connection-refused 127\.0\.0\.1:\d+: 2 connections already open \(--max-connections\)/.test(srv.output()), 5_000, 'the refusal logged');
    sockets[0]!.destroy(); // the connection fails: its command gets SIGTERM, and its place is free
    let again: Awaited<ReturnType<typeof attempt>>;
    const end = Date.now() + 10_000;
    do {
      again = await attempt(srv.port);
      sockets.push(again.socket);
    } while (again.result !== 'secure' && Date.now() < end && (await sleep(100), true));
    expect(again.result).to.equal('secure');
    srv.child.kill('SIGINT');
    await once(srv.child, 'exit');
  });

  it('--exec with --max-connections 1: a command left running after its connection ended counts', async () => {
    // The output ends at once, so the connection ends cleanly; the background sleep stays.
    const srv = await serve(['--exec', `sleep 30 >/dev/null 2>&1 & echo started`, '--max-connections', '1']);
    const first = await attempt(srv.port);
    expect(first.result).to.equal('secure');
    first.socket.end();
    first.socket.resume();
    await once(first.socket, 'close');
    // (an attempt may come before the server saw the first connection close: that one is refused
    // as a connection, so try until a connection is refused as a command)
    const refused = () => /exec-refused 127\.0\.0\.1:\d+: 1 commands already running \(--max-connections\)/.test(srv.output());
    const end = Date.now() + 10_000;
    while (!refused() && Date.now() < end) {
      const next = await attempt(srv.port);
      sockets.push(next.socket);
      await waitFor(() => refused() || next.socket.destroyed, 5_000, 'the attempt ended');
    }
    expect(refused(), srv.output()).to.equal(true);
    srv.child.kill('SIGINT');
    await once(srv.child, 'exit');
  });

  it('--idle-timeout closes an established connection that stays silent, and logs it', async () => {
    const srv = await serve(['--echo', '--idle-timeout', '300']);
    const a = await attempt(srv.port);
    sockets.push(a.socket);
    expect(a.result).to.equal('secure');
    let closed = false;
    a.socket.on('close', () => (closed = true));
    a.socket.resume();
    await waitFor(() => closed, 15_000, 'the silent connection closed by the server');
    await waitFor(() => /connection-error 127\.0\.0\.1:\d+ ERR_NOISE_IDLE_TIMEOUT: no traffic for 300 ms/.test(srv.output()), 5_000, 'the idle timeout logged');
    srv.child.kill('SIGINT');
  });
});
