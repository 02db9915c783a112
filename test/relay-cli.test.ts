/**
 * The relay through the real CLI on loopback: `noisekit relay --listen 127.0.0.1:0`, a service
 * `noisekit serve --via RELAY --name NAME --echo`, and `noisekit connect --via RELAY NAME`
 * echoing stdin; plus an unknown name failing with ERR_NOISE_RELAY. Every child is killed in
 * `after` and has a time limit.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { runCli, startCli } from './support/run-node.js';
import { RELAY_STATUS, encodeRelayRequest } from '../src/net/relay-protocol.js';

const NN = 'Noise_NN_25519_ChaChaPoly_BLAKE2s';
const children = new Set<ChildProcess>();

/** Starts a long-running CLI command and resolves with the first stderr line matching `ready`. */
const start = (args: string[], ready: RegExp) => startCli(args, ready, { track: children });

const run = (args: string[], input: string) => runCli(args, { input, track: children });

describe('relay CLI: relay, serve --via, connect --via (loopback)', function () {
  this.timeout(60_000);
  after(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('a client reaches a service registered at the relay, and an unknown name is ERR_NOISE_RELAY', async () => {
    const relay = await start(['relay', '--listen', '127.0.0.1:0', '--connect-wait', '500'], /^noisekit: relay listening 127\.0\.0\.1:(\d+)$/);
    const via = `127.0.0.1:${relay.match[1]}`;
    const svc = await start(['serve', '--via', via, '--name', 'cli-echo', '--echo', '--protocol', NN], /^noisekit: listening via /);
    expect(svc.match.input).to.contain('name cli-echo');
    const ok = await run(['connect', '--via', via, 'cli-echo', '--protocol', NN], 'hello relay\n');
    expect(ok.stderr).to.equal('');
    expect(ok.status).to.equal(0);
    expect(ok.stdout).to.equal('hello relay\n');
    expect(relay.log.some((l) => l === 'noisekit: splice cli-echo')).to.equal(true);
    const missing = await run(['connect', '--via', via, 'nobody', '--protocol', NN], 'x');
    expect(missing.status).to.equal(1);
    // connect() reports a failure of the raw stream as ERR_NOISE_SOCKET; the relay's reason is in the message.
    expect(missing.stderr).to.match(/ERR_NOISE_(RELAY|SOCKET).*no service of that name is registered at the relay/);
  });

  it('relay --idle-timeout closes a spliced pair that carries nothing; --connect-wait 0 is refused', async () => {
    const relay = await start(['relay', '--listen', '127.0.0.1:0', '--idle-timeout', '300'], /^noisekit: relay listening 127\.0\.0\.1:(\d+)$/);
    const port = Number(relay.match[1]);
    const svc = net.connect({ host: '127.0.0.1', port });
    svc.write(encodeRelayRequest('listen', 'quiet'));
    await new Promise((r) => setTimeout(r, 200)); // the service waits at the relay
    const cli = net.connect({ host: '127.0.0.1', port });
    const statuses = [once(svc, 'data'), once(cli, 'data')];
    const t0 = Date.now(); // before the splice, where the relay's timer starts
    cli.write(encodeRelayRequest('connect', 'quiet'));
    for (const [d] of await Promise.all(statuses)) expect([...(d as Buffer)]).to.deep.equal([RELAY_STATUS.SPLICED]);
    await Promise.all([once(svc, 'close'), once(cli, 'close')]);
    expect(Date.now() - t0).to.be.at.least(250);
    const bad = await run(['relay', '--listen', '127.0.0.1:0', '--connect-wait', '0'], '');
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.match(/--connect-wait/);
  });
});
