/**
 * End to end through an untrusted relay, on loopback: services behind "NAT" connect out and
 * register names; clients connect to the relay by name; the Noise handshake (NK: the client
 * pins the service's static key) runs end to end over the spliced stream.
 *
 * - a tampering relay (flip, drop, replay, reorder, inject, truncate): every manipulation is
 *   detected, the service side closes with a typed NoiseError, and no altered byte is delivered;
 * - a passive relay's captured frames contain none of the plaintext (with a control showing the
 *   search would find it in an unencrypted capture);
 * - several services and clients on one relay at once;
 * - the rendezvous bytes: unknown service, malformed request, garbage never crashes the relay.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { generateKeyPair, isNoiseError, type NoiseError } from '../src/index.js';
import type { KeyPair } from '../src/crypto/types.js';
import type { NoiseSocket } from '../src/net/noise-socket.js';
import type { NoiseServer } from '../src/net/server.js';
import { addressGroup, createRelay, kRelayTap, type RelayServer, type RelayTap } from '../src/net/relay-server.js';
import { connectVia, serveVia, relayConnect, relayListen, relayStream, type RelayListener } from '../src/net/relay-client.js';
import { connect } from '../src/net/connect.js';
import { RELAY_STATUS, encodeRelayRequest } from '../src/net/relay-protocol.js';
import { HOST, within } from './support/net-helpers.js';

const PROTOCOL = 'Noise_NK_25519_ChaChaPoly_BLAKE2s';

async function startRelay(tap?: RelayTap, connectWait = 2_000): Promise<{ relay: RelayServer; via: string }> {
  const relay = createRelay({ connectWait, [kRelayTap]: tap });
  relay.listen(0, HOST);
  await once(relay, 'listening');
  return { relay, via: `${HOST}:${(relay.address() as AddressInfo).port}` };
}

async function stopRelay(relay: RelayServer | undefined): Promise<void> {
  if (relay) await new Promise<void>((r) => relay.close(() => r()));
}

interface Service {
  server: NoiseServer;
  listener: RelayListener;
  key: KeyPair;
  /** Per connection: data received, and the error it closed with. */
  received: Array<{ data: Buffer[]; error?: NoiseError; closed: Promise<void> }>;
  errors: NoiseError[];
}

/** A service that answers each chunk with `<name>:<chunk>`. */
async function startService(via: string, name: string, pool = 2): Promise<Service> {
  const key = generateKeyPair('25519');
  const errors: NoiseError[] = [];
  const received: Service['received'] = [];
  const { server, listener } = serveVia({ via, service: name, pool, protocol: PROTOCOL, staticKeyPair: key, retryDelay: 50 }, (s: NoiseSocket) => {
    const entry: Service['received'][number] = { data: [], closed: closedOf(s) };
    received.push(entry);
    s.on('data', (d: Buffer) => {
      entry.data.push(d);
      s.write(Buffer.concat([Buffer.from(`${name}:`), d]));
    });
    s.on('end', () => s.end());
    s.on('error', (e: NoiseError) => {
      entry.error = e;
    });
  });
  server.on('connectionError', (e: NoiseError) => errors.push(e));
  await within(waitFor(() => listener.waiting >= pool), 5_000, 'service pool at the relay');
  return { server, listener, key, received, errors };
}

async function stopService(s: Service | undefined): Promise<void> {
  if (!s) return;
  s.listener.close();
  s.server.closeAllConnections();
  await new Promise<void>((r) => s.server.close(() => r()));
}

/** Resolves on 'close' (events.once would reject on an 'error' first, which these tests expect). */
function closedOf(s: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => s.once('close', () => resolve()));
}

async function waitFor(cond: () => boolean, step = 10): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, step));
}

/** A raw LISTEN and CONNECT under `name`, spliced by `relay` (which listens on HOST). */
async function rawPair(relay: RelayServer, name: string): Promise<{ svc: net.Socket; cli: net.Socket }> {
  const port = (relay.address() as AddressInfo).port;
  const replyOf = (s: net.Socket) => new Promise<void>((res, rej) => {
    s.once('data', (d: Buffer) => (d[0] === RELAY_STATUS.SPLICED ? res() : rej(new Error(`status ${d[0]}`))));
  });
  const svc = net.connect({ host: HOST, port });
  svc.write(encodeRelayRequest('listen', name));
  await within(waitFor(() => relay.waiting[name] === 1), 5_000, 'service waits');
  const cli = net.connect({ host: HOST, port });
  const spliced = Promise.all([replyOf(svc), replyOf(cli)]);
  cli.write(encodeRelayRequest('connect', name));
  await within(spliced, 5_000, 'spliced');
  return { svc, cli };
}

/** Connects through the relay, waits for the handshake, returns the socket and its reply stream. */
async function client(via: string, name: string, serviceKey: Uint8Array): Promise<{ socket: NoiseSocket; replies: Buffer[]; closed: Promise<void>; error: () => Error | undefined }> {
  const socket = await connectVia({ via, service: name, protocol: PROTOCOL, remoteStaticKey: serviceKey });
  const replies: Buffer[] = [];
  let error: Error | undefined;
  socket.on('data', (d: Buffer) => replies.push(d));
  socket.on('error', (e) => {
    error = e;
  });
  const closed = closedOf(socket);
  await within(once(socket, 'secureConnect'), 5_000, 'handshake through the relay');
  return { socket, replies, closed, error: () => error };
}

describe('relay: end to end through an untrusted relay (loopback)', function () {
  this.timeout(20_000);
  let relay: RelayServer | undefined;
  const services: Service[] = [];
  afterEach(async () => {
    for (const s of services.splice(0)) await stopService(s);
    await stopRelay(relay);
    relay = undefined;
  });

  it('waiting counts only connections that reached the relay: none while it is unreachable', async () => {
    const probe = net.createServer();
    probe.listen(0, HOST);
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const listener = relayListen({ relay: `${HOST}:${port}`, service: 'nobody', retryDelay: 20 });
    const errors: NoiseError[] = [];
    listener.on('error', (e: NoiseError) => errors.push(e));
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      seen.push(listener.waiting);
      await new Promise((r) => setTimeout(r, 10));
    }
    listener.close();
    expect(errors.length).to.be.greaterThan(0);
    expect(errors[0]!.code).to.equal('ERR_NOISE_SOCKET');
    expect(Math.max(...seen)).to.equal(0);
  });

  it('a client reaches a named service; the handshake is end to end (the client pins the service key)', async () => {
    const r = await startRelay();
    relay = r.relay;
    const svc = await startService(r.via, 'echo-1');
    services.push(svc);
    const c = await client(r.via, 'echo-1', svc.key.publicKey);
    c.socket.write('hello through the relay');
    await within(waitFor(() => Buffer.concat(c.replies).toString() === 'echo-1:hello through the relay'), 5_000, 'echo');
    c.socket.end();
    await within(c.closed, 5_000, 'client close');
    expect(c.error()).to.equal(undefined);
    expect(r.relay.stats.spliced).to.equal(1);
    // The pool was replenished after the splice.
    await within(waitFor(() => svc.listener.waiting === 2), 5_000, 'pool replenished');
  });

  it('relayStream() lets the synchronous connect() run over the relay; an unknown name destroys it with the relay\'s reason', async () => {
    const r = await startRelay(undefined, 300);
    relay = r.relay;
    const svc = await startService(r.via, 'sync-connect', 1);
    services.push(svc);
    const s = connect({ socket: relayStream({ relay: r.via, service: 'sync-connect' }), protocol: PROTOCOL, remoteStaticKey: svc.key.publicKey });
    const replies: Buffer[] = [];
    s.on('data', (d: Buffer) => replies.push(d));
    s.end('early write, held until the splice');
    await within(closedOf(s), 5_000, 'close');
    expect(Buffer.concat(replies).toString()).to.equal('sync-connect:early write, held until the splice');

    const bad = connect({ socket: relayStream({ relay: r.via, service: 'missing' }), protocol: PROTOCOL, remoteStaticKey: svc.key.publicKey });
    const [err] = (await within(once(bad, 'error'), 5_000, 'refusal')) as [NoiseError];
    expect(isNoiseError(err), String(err)).to.equal(true);
    expect(err.message).to.contain('no service of that name');
  });

  it('a wrong pinned key fails the handshake at the client (the relay cannot substitute a service)', async () => {
    const r = await startRelay();
    relay = r.relay;
    services.push(await startService(r.via, 'svc'));
    const socket = await connectVia({ via: r.via, service: 'svc', protocol: PROTOCOL, remoteStaticKey: generateKeyPair('25519').publicKey });
    const [err] = (await within(once(socket, 'error'), 5_000, 'handshake failure')) as [NoiseError];
    expect(isNoiseError(err)).to.equal(true);
    expect(socket.secure).to.not.equal(true);
  });

  it('connect({ via, service }) with a malformed relay address or service name throws ERR_NOISE_INVALID_ARGUMENT at once', () => {
    const key = generateKeyPair().publicKey;
    for (const [via, service] of [['nonsense', 'svc'], ['127.0.0.1:1', 'bad name'], ['127.0.0.1:1', '']]) {
      let code: string | undefined;
      try {
        connect({ via: via!, service: service!, protocol: PROTOCOL, remoteStaticKey: key });
      } catch (err) {
        code = (err as NoiseError).code;
      }
      expect(code, `${via} ${service}`).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    }
  });

  it('connect({ via, service }) reaches the service through the relay with the normal connect() API', async () => {
    const r = await startRelay();
    relay = r.relay;
    const svc = await startService(r.via, 'plain-connect');
    services.push(svc);
    const socket = connect({ via: r.via, service: 'plain-connect', protocol: PROTOCOL, remoteStaticKey: svc.key.publicKey });
    const replies: Buffer[] = [];
    socket.on('data', (d: Buffer) => replies.push(d));
    await within(once(socket, 'secureConnect'), 5_000, 'handshake via connect({ via })');
    socket.write('ping');
    await within(waitFor(() => Buffer.concat(replies).toString() === 'plain-connect:ping'), 5_000, 'echo via connect({ via })');
    const wrongKey = connect({ via: r.via, service: 'plain-connect', protocol: PROTOCOL, remoteStaticKey: generateKeyPair('25519').publicKey });
    const [err] = (await within(once(wrongKey, 'error'), 5_000, 'wrong pinned key fails')) as [NoiseError];
    expect(isNoiseError(err), String(err)).to.equal(true);
    socket.end();
    await closedOf(socket);
  });

  it('an unknown service is ERR_NOISE_RELAY; a malformed request gets BAD_REQUEST; garbage does not crash the relay', async () => {
    const r = await startRelay(undefined, 200);
    relay = r.relay;
    const err = await relayConnect({ relay: r.via, service: 'nobody' }).then(() => undefined, (e: unknown) => e);
    expect(isNoiseError(err, 'ERR_NOISE_RELAY'), String(err)).to.equal(true);
    expect(() => encodeRelayRequest('connect', 'bad name!')).to.throw().that.satisfies((e: unknown) => isNoiseError(e, 'ERR_NOISE_INVALID_ARGUMENT'));
    for (const garbage of [Uint8Array.of(0x07, 1, 65), Uint8Array.of(0x02, 0), Uint8Array.of(0x01, 3, 0x20, 0x21, 0x22)]) {
      const s = net.connect({ host: HOST, port: Number(r.via.split(':')[1]) });
      s.write(garbage);
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      await within(once(s, 'close'), 5_000, 'relay closes a malformed request');
      expect([...Buffer.concat(chunks)]).to.deep.equal([RELAY_STATUS.BAD_REQUEST]);
    }
    // Still serving.
    const svc = await startService(r.via, 'after-garbage', 1);
    services.push(svc);
    const c = await client(r.via, 'after-garbage', svc.key.publicKey);
    c.socket.end('ok');
    await within(c.closed, 5_000, 'close');
    expect(Buffer.concat(c.replies).toString()).to.equal('after-garbage:ok');
  });

  it('limits: a name holds at most maxWaitingPerName waiting connections (BUSY), and a departed service leaves the pool', async () => {
    const r2 = createRelay({ maxWaitingPerName: 1 });
    r2.listen(0, HOST);
    await once(r2, 'listening');
    relay = r2;
    const port = (r2.address() as AddressInfo).port;
    const first = net.connect({ host: HOST, port });
    first.write(encodeRelayRequest('listen', 'limited'));
    await within(waitFor(() => r2.waiting.limited === 1), 5_000, 'first waits');
    const second = net.connect({ host: HOST, port });
    second.write(encodeRelayRequest('listen', 'limited'));
    const reply: Buffer[] = [];
    second.on('data', (d: Buffer) => reply.push(d));
    await within(closedOf(second), 5_000, 'second refused');
    expect([...Buffer.concat(reply)]).to.deep.equal([RELAY_STATUS.BUSY]);
    first.destroy();
    await within(waitFor(() => r2.waiting.limited === undefined), 5_000, 'pool empties when the service leaves');
  });

  it('a client that gives up while it waits for a service leaves the queue: it is never spliced, and the service keeps its connection', async () => {
    const r = await startRelay(undefined, 3_000);
    relay = r.relay;
    const splices: string[] = [];
    r.relay.on('splice', (n: string) => splices.push(n));
    const port = Number(r.via.split(':')[1]);
    const quitter = net.connect({ host: HOST, port });
    quitter.write(encodeRelayRequest('connect', 'late'));
    await new Promise((res) => setTimeout(res, 100)); // waiting at the relay: no service yet
    quitter.destroy();
    // One that sent a frame while it waited, then ended its side (a half-close, as a process whose
    // input ended): its end must be seen behind the unread frame.
    const halfCloser = net.connect({ host: HOST, port });
    halfCloser.on('error', () => undefined);
    halfCloser.write(encodeRelayRequest('connect', 'late'));
    await new Promise((res) => setTimeout(res, 50));
    halfCloser.write(Uint8Array.of(0, 3, 1, 2, 3));
    await new Promise((res) => setTimeout(res, 50));
    halfCloser.end();
    await new Promise((res) => setTimeout(res, 100));
    const svc = await startService(r.via, 'late', 1);
    services.push(svc);
    await new Promise((res) => setTimeout(res, 200));
    expect(splices, 'the departed clients were not spliced').to.deep.equal([]);
    expect(r.relay.waiting.late, 'the service connection still waits').to.equal(1);
    const c = await client(r.via, 'late', svc.key.publicKey);
    c.socket.end('hi');
    await within(c.closed, 5_000, 'close');
    expect(Buffer.concat(c.replies).toString()).to.equal('late:hi');
    expect(svc.errors, 'no handshake failed at the service').to.deep.equal([]);
  });

  it('the relay forwards bytes as they come: a flood of empty frames costs a write per chunk, not per frame; frames are counted across any chunking', async () => {
    const r = await startRelay();
    relay = r.relay;
    const { svc, cli } = await rawPair(r.relay, 'bytes');
    // Frames of random lengths (empty ones included), cut into random chunks.
    const frames = Array.from({ length: 300 }, (_, i) => randomBytes(i % 7 === 0 ? 0 : Math.floor(Math.random() * 3000)));
    const wire = Buffer.concat(frames.flatMap((f) => [Buffer.from([f.length >> 8, f.length & 0xff]), f]));
    const flood = Buffer.alloc(1 << 20); // 524,288 empty frames
    const all = Buffer.concat([wire, flood]);
    const got: Buffer[] = [];
    let gotBytes = 0;
    const arrived = new Promise<void>((res) => svc.on('data', (d: Buffer) => {
      got.push(d);
      if ((gotBytes += d.length) === all.length) res();
    }));
    let writes = 0;
    const write = net.Socket.prototype.write;
    net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
      writes++;
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof write;
    try {
      for (let off = 0; off < wire.length;) {
        const n = 1 + Math.floor(Math.random() * 700);
        cli.write(wire.subarray(off, off + n));
        off += n;
        if (off % 5 === 0) await new Promise((res) => setImmediate(res));
      }
      cli.write(flood);
      await within(arrived, 20_000, 'everything forwarded');
    } finally {
      net.Socket.prototype.write = write;
    }
    expect(Buffer.concat(got).equals(all), 'the bytes, unchanged').to.equal(true);
    expect(r.relay.stats.frames).to.equal(frames.length + flood.length / 2);
    expect(writes, 'relay writes (the client\'s own writes included)').to.be.below(5_000);
    svc.destroy();
    cli.destroy();
  });

  it('idleTimeout closes a spliced pair after that long without a byte either way; traffic one way keeps it open; the default never closes it', async () => {
    const IDLE = 600; // bytes every 100 ms: a stall of up to 500 ms still passes
    const r2 = createRelay({ idleTimeout: IDLE });
    r2.listen(0, HOST);
    await once(r2, 'listening');
    relay = r2;
    const { svc, cli } = await rawPair(r2, 'idle');
    const closed = Promise.all([closedOf(svc), closedOf(cli)]);
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    const got: Buffer[] = [];
    svc.on('data', (d: Buffer) => got.push(d));
    // One way only, a byte every 100 ms for 2 × IDLE: the pair stays open.
    let lastByte = 0;
    for (let i = 0; i < 12; i++) {
      cli.write(Uint8Array.of(i));
      lastByte = Date.now();
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(isClosed, 'open while bytes pass one way').to.equal(false);
    expect(r2.stats.idle).to.equal(0);
    await within(closed, 5_000, 'both ends closed once idle');
    expect(Date.now() - lastByte, 'not before idleTimeout').to.be.at.least(IDLE - 50);
    expect([...Buffer.concat(got)]).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(r2.stats.idle).to.equal(1);
    await stopRelay(r2);
    relay = undefined;
    // The default: no idle timeout at the relay.
    const r3 = await startRelay();
    relay = r3.relay;
    const pair = await rawPair(r3.relay, 'idle');
    let closedEarly = false;
    pair.cli.once('close', () => (closedEarly = true));
    await new Promise((res) => setTimeout(res, 2 * IDLE));
    expect(closedEarly, 'the default keeps an idle pair').to.equal(false);
    expect(r3.relay.stats.idle).to.equal(0);
    pair.svc.destroy();
    pair.cli.destroy();
  });

  it('idleTimeout must be a whole number of milliseconds (0: off)', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 31, '5' as unknown as number]) {
      expect(() => createRelay({ idleTimeout: bad }), String(bad)).to.throw().with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
    }
    expect(() => createRelay({ idleTimeout: 0 }).close()).to.not.throw();
  });

  /** A relay on all interfaces with `options`, holding 8 idle LISTEN connections from 127.0.0.1 under 8 names. */
  async function squattedRelay(options: Parameters<typeof createRelay>[0]): Promise<{ r2: RelayServer; port: number; squatters: net.Socket[] }> {
    const r2 = createRelay(options);
    r2.listen(0, '0.0.0.0');
    await once(r2, 'listening');
    relay = r2;
    const port = (r2.address() as AddressInfo).port;
    const squatters: net.Socket[] = [];
    for (let i = 0; i < 8; i++) {
      const s = net.connect({ host: '127.0.0.1', port });
      s.on('error', () => {});
      s.write(encodeRelayRequest('listen', `squat${i}`)); // idle LISTEN connections under many names
      squatters.push(s);
    }
    await within(waitFor(() => Object.keys(r2.waiting).length === 8), 5_000, 'squatters wait');
    return { r2, port, squatters };
  }

  it('one address cannot take every slot: past maxConnectionsPerAddress it gets BUSY, other addresses still get in', async () => {
    const { r2, port, squatters } = await squattedRelay({ maxConnectionsPerAddress: 8 });
    const statusFrom = async (host: string): Promise<number[]> => {
      const s = net.connect({ host, port, localAddress: host });
      s.write(encodeRelayRequest('listen', 'printer'));
      const got: Buffer[] = [];
      s.on('data', (d: Buffer) => got.push(d));
      await Promise.race([closedOf(s), new Promise((res) => setTimeout(res, 300))]);
      s.destroy();
      return [...Buffer.concat(got)];
    };
    expect(await statusFrom('127.0.0.1'), 'the ninth from the same address').to.deep.equal([RELAY_STATUS.BUSY]);
    expect(await statusFrom('127.0.0.2'), 'another address: waits as a service').to.deep.equal([]);
    await within(waitFor(() => r2.waiting.printer === undefined), 5_000, 'it left when it closed');
    squatters.forEach((s) => s.destroy());
  });

  it('a full relay lets a newcomer from another address displace the oldest waiting LISTEN of the address holding the most', async () => {
    const { r2, port, squatters } = await squattedRelay({ maxConnections: 8, maxConnectionsPerAddress: 8 });
    const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    s.write(encodeRelayRequest('listen', 'printer'));
    await within(waitFor(() => r2.waiting.printer === 1), 5_000, 'the newcomer waits as a service');
    expect(r2.stats.displaced).to.equal(1);
    expect(r2.waiting.squat0, 'the oldest squatter made room').to.equal(undefined);
    expect(Object.keys(r2.waiting)).to.have.length(8);
    s.destroy();
    squatters.forEach((q) => q.destroy());
  });

  it('displacement looks only at addresses with a waiting LISTEN: one holding connections still sending their request does not shield another', async () => {
    const r2 = createRelay({ maxConnections: 6, maxConnectionsPerAddress: 3 });
    r2.listen(0, '0.0.0.0');
    await once(r2, 'listening');
    relay = r2;
    const port = (r2.address() as AddressInfo).port;
    const held: net.Socket[] = [];
    const open = async (localAddress: string, request?: Uint8Array) => {
      const s = net.connect({ host: '127.0.0.1', port, localAddress });
      s.on('error', () => {});
      await once(s, 'connect');
      if (request) s.write(request);
      held.push(s);
      return s;
    };
    for (let i = 0; i < 3; i++) await open('127.0.0.2'); // no request yet
    for (let i = 0; i < 3; i++) await open('127.0.0.3', encodeRelayRequest('listen', `squat${i}`));
    await within(waitFor(() => Object.keys(r2.waiting).length === 3), 5_000, 'squatters wait');
    await open('127.0.0.4', encodeRelayRequest('listen', 'printer'));
    await within(waitFor(() => r2.waiting.printer === 1), 5_000, 'the newcomer waits as a service');
    expect(r2.stats.displaced).to.equal(1);
    held.forEach((s) => s.destroy());
  });

  it('addressGroup(): IPv4 as it is, IPv6 by its /64', () => {
    expect(addressGroup('127.0.0.1')).to.equal('127.0.0.1');
    expect(addressGroup('::ffff:10.0.0.1')).to.equal('::ffff:10.0.0.1');
    expect(addressGroup('2001:db8::1')).to.equal('2001:db8:0:0::/64');
    expect(addressGroup('2001:0db8:0000:0000:ffff::2')).to.equal('2001:db8:0:0::/64');
    expect(addressGroup('2001:db8:0:1::1')).to.equal('2001:db8:0:1::/64');
    expect(addressGroup('::1')).to.equal('0:0:0:0::/64');
    expect(addressGroup('fe80::1%eth0')).to.equal('fe80:0:0:0::/64');
  });

  it('several services and clients on one relay at once, each client reaching its own service', async () => {
    const r = await startRelay();
    relay = r.relay;
    const names = ['alpha', 'beta', 'gamma'];
    const svcs = await Promise.all(names.map((n) => startService(r.via, n, 3)));
    services.push(...svcs);
    const runs = [];
    for (let i = 0; i < 12; i++) {
      const idx = i % names.length;
      runs.push((async () => {
        const c = await client(r.via, names[idx]!, svcs[idx]!.key.publicKey);
        const msg = `client ${i} ${randomBytes(8).toString('hex')}`;
        c.socket.end(msg);
        await within(c.closed, 10_000, `client ${i} close`);
        expect(c.error()).to.equal(undefined);
        expect(Buffer.concat(c.replies).toString()).to.equal(`${names[idx]}:${msg}`);
      })());
    }
    await within(Promise.all(runs), 15_000, 'all clients');
    expect(r.relay.stats.spliced).to.equal(12);
    for (const s of svcs) expect(s.received).to.have.length(4);
  });

  it('a passive relay captures only ciphertext: no plaintext in its frames (control: an unencrypted capture would show it)', async () => {
    const captured: Buffer[] = [];
    const r = await startRelay((_d, frame) => {
      captured.push(Buffer.from(frame));
      return [frame];
    });
    relay = r.relay;
    const svc = await startService(r.via, 'secret-service', 1);
    services.push(svc);
    const c = await client(r.via, 'secret-service', svc.key.publicKey);
    const secret = Buffer.concat([Buffer.from('TOP-SECRET-PLAINTEXT-'), randomBytes(4096)]);
    c.socket.end(secret);
    await within(c.closed, 5_000, 'close');
    const reply = Buffer.concat(c.replies);
    expect(reply.subarray('secret-service:'.length).equals(secret)).to.equal(true);
    const wire = Buffer.concat(captured);
    expect(wire.length).to.be.greaterThan(secret.length * 2); // both directions went through the tap
    // No 12-byte window of the plaintext (sent or echoed) appears in the capture.
    for (let off = 0; off + 12 <= secret.length; off += 97) expect(wire.indexOf(secret.subarray(off, off + 12)), `window at ${off}`).to.equal(-1);
    expect(wire.indexOf(Buffer.from('TOP-SECRET'))).to.equal(-1);
    // Control: the same search finds the marker in the plaintext itself.
    expect(Buffer.concat([randomBytes(100), secret]).indexOf(Buffer.from('TOP-SECRET'))).to.equal(100);
  });

  // Tampering: frames toward the service are numbered from 0 (0 is handshake message 1 of NK;
  // the client's transport messages start at 1). Each case manipulates transport frames.
  const MANIPULATIONS: Array<[string, (i: number, f: Uint8Array, held: Uint8Array[]) => Uint8Array[], 'ERR_NOISE_DECRYPT' | 'ERR_NOISE_TRUNCATED']> = [
    ['flips a bit', (i, f) => (i === 2 ? [flip(f)] : [f]), 'ERR_NOISE_DECRYPT'],
    ['drops a message', (i, f) => (i === 2 ? [] : [f]), 'ERR_NOISE_DECRYPT'],
    ['replays a message', (i, f, held) => {
      if (i === 1) held.push(f);
      return i === 2 ? [held[0]!] : [f];
    }, 'ERR_NOISE_DECRYPT'],
    ['reorders two messages', (i, f, held) => {
      if (i === 2) {
        held.push(f);
        return [];
      }
      return i === 3 ? [f, held[0]!] : [f];
    }, 'ERR_NOISE_DECRYPT'],
    ['injects a forged message', (i, f) => (i === 2 ? [randomBytes(f.length), f] : [f]), 'ERR_NOISE_DECRYPT'],
    ['cuts the stream (drops the authenticated end)', (i, f) => (i >= 2 ? [] : [f]), 'ERR_NOISE_TRUNCATED'],
  ];

  for (const [what, manipulate, code] of MANIPULATIONS) {
    it(`a relay that ${what} is detected: ${code}, the connection is closed, nothing altered is delivered`, async () => {
      let n = 0;
      const held: Uint8Array[] = [];
      const r = await startRelay((direction, frame) => (direction === 'toService' ? manipulate(n++, frame, held) : [frame]));
      relay = r.relay;
      const svc = await startService(r.via, 'victim', 1);
      services.push(svc);
      const c = await client(r.via, 'victim', svc.key.publicKey);
      const sent = ['first message;', 'second message;', 'third message;'];
      for (const m of sent) {
        c.socket.write(m);
        await new Promise((res) => setTimeout(res, 20)); // one transport message each
      }
      c.socket.end();
      await within(waitFor(() => svc.received.length === 1), 5_000, 'service connection');
      const conn = svc.received[0]!;
      await within(conn.closed, 5_000, 'service side closes');
      expect(conn.error, 'service error').to.not.equal(undefined);
      expect(isNoiseError(conn.error, code), `${conn.error?.code}: ${conn.error?.message}`).to.equal(true);
      // Only an untouched prefix of what the client sent was delivered (here: the first message).
      const delivered = Buffer.concat(conn.data).toString();
      expect(sent.join('').startsWith(delivered)).to.equal(true);
      expect(delivered).to.equal('first message;');
      await within(c.closed, 5_000, 'client side closes too');
    });
  }
});

function flip(f: Uint8Array): Uint8Array {
  const out = new Uint8Array(f);
  const i = Math.floor(out.length / 2);
  out[i] = out[i]! ^ 0x01;
  return out;
}
