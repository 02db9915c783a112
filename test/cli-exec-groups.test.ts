/**
 * `serve --exec` process-group tracking (src/cli/exec.ts) in process, with stand-in connections:
 * starting and failing commands costs no scan of /proc per connection (the audit's O(N²):
 * every connection read all of /proc synchronously once a command ran), while each command's
 * group is still signalled when its connection fails, and a group that outlives its shell is
 * tracked until its last member exits.
 */
import { expect } from 'chai';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { Duplex } from 'node:stream';
import type { NoiseSocket } from '../src/net/noise-socket.js';
import * as exec from '../src/cli/exec.js';
import { waitFor } from './support/wait.js';

const require = createRequire(import.meta.url);
const fs = require('node:fs') as typeof import('node:fs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A connection stand-in: reads nothing, swallows what is written. */
function fakeSocket(): Duplex {
  return new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('serve --exec: process groups without a scan of /proc per connection', function () {
  this.timeout(30_000);
  let scans = 0;
  const saved = { sync: fs.readdirSync, cb: fs.readdir, promise: fs.promises.readdir };
  const isProc = (p: unknown) => String(p).replace(/\/+$/, '') === '/proc';

  before(() => {
    // Count every listing of /proc, whichever fs API exec.ts uses (ESM bindings follow the patch).
    fs.readdirSync = ((p: unknown, ...rest: unknown[]) => {
      if (isProc(p)) scans++;
      return (saved.sync as (...a: unknown[]) => unknown)(p, ...rest);
    }) as typeof fs.readdirSync;
    fs.readdir = ((p: unknown, ...rest: unknown[]) => {
      if (isProc(p)) scans++;
      return (saved.cb as (...a: unknown[]) => unknown)(p, ...rest);
    }) as typeof fs.readdir;
    fs.promises.readdir = ((p: unknown, ...rest: unknown[]) => {
      if (isProc(p)) scans++;
      return (saved.promise as (...a: unknown[]) => unknown)(p, ...rest);
    }) as typeof fs.promises.readdir;
    syncBuiltinESMExports();
  });
  after(async () => {
    fs.readdirSync = saved.sync;
    fs.readdir = saved.cb;
    fs.promises.readdir = saved.promise;
    syncBuiltinESMExports();
    await exec.stopCommands();
  });

  it('30 connections that start a command and then fail: no /proc scan, and every command gets SIGTERM', async () => {
    const N = 30;
    const sockets: Duplex[] = [];
    const log: string[] = [];
    scans = 0;
    for (let i = 0; i < N; i++) {
      const s = fakeSocket();
      sockets.push(s);
      exec.runCommand(`echo $$; exec sleep 30.${process.pid}`, s as unknown as NoiseSocket, (l) => log.push(l), `peer${i}`);
    }
    // Each command says its pid (the shell's, which execs sleep: the group leader).
    const pids: number[] = [];
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => {
      s.write = ((chunk: Buffer, ...rest: unknown[]) => {
        pids.push(Number(String(chunk).trim()));
        resolve();
        const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        cb?.();
        return true;
      }) as typeof s.write;
    })));
    expect(pids.filter(alive)).to.have.length(N);
    expect(scans, 'listings of /proc while connections started').to.equal(0);
    for (const s of sockets) s.destroy(); // the connections fail: each group gets SIGTERM
    await waitFor(() => pids.every((p) => !alive(p)), 10_000, 'every command ended');
    await waitFor(() => exec.commandGroups() === 0, 5_000, 'every group forgotten');
    expect(scans, 'listings of /proc while connections failed').to.equal(0);
    expect(log.filter((l) => /signal SIGTERM/.test(l))).to.have.length(N);
  });

  it('a group that outlives its shell is tracked until its last member exits, then forgotten', async () => {
    const s = fakeSocket();
    exec.runCommand('sleep 1.5 >/dev/null 2>&1 &', s as unknown as NoiseSocket, () => undefined, 'peer');
    await sleep(500); // the shell has exited; its background sleep has not
    expect(exec.commandGroups()).to.equal(1);
    await waitFor(() => exec.commandGroups() === 0, 6_000, 'the group forgotten after its last member exited');
  });
});
