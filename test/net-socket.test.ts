/**
 * NoiseSocket over real loopback TCP: handshakes of many patterns with echo, channel binding,
 * authenticated end vs truncation, verifyRemote, the trust helpers, rekey and timeouts.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import net from 'node:net';
import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, NoiseError } from '../src/index.js';
import type { KeyPair } from '../src/crypto/types.js';
import { NoiseSocket } from '../src/net/noise-socket.js';
import { createServer, type NoiseServer } from '../src/net/server.js';
import { connect } from '../src/net/connect.js';
import { authorizedKeys, tofu, parseAuthorizedKeys, parsePublicKey } from '../src/net/trust.js';
import type { NoiseSocketOptions } from '../src/net/options.js';
import { echo, HOST, roundTrip, startServer, stopServer, within } from './support/net-helpers.js';

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : 'none');

/** Which keys each side of a pattern needs: s = local static, rs = remote static pre-message. */
const PATTERNS: Record<string, { i: { s?: true; rs?: true }; r: { s?: true; rs?: true }; psks?: number }> = {
  NN: { i: {}, r: {} },
  XX: { i: { s: true }, r: { s: true } },
  IK: { i: { s: true, rs: true }, r: { s: true } },
  KK: { i: { s: true, rs: true }, r: { s: true, rs: true } },
  NK: { i: { rs: true }, r: { s: true } },
  XK: { i: { s: true, rs: true }, r: { s: true } },
  IX: { i: { s: true }, r: { s: true } },
  XXpsk3: { i: { s: true }, r: { s: true }, psks: 1 },
  X1X1: { i: { s: true }, r: { s: true } },
};

function sides(name: string, iKey: KeyPair, rKey: KeyPair, psk: Uint8Array) {
  const p = PATTERNS[name]!;
  const protocol = `Noise_${name}_25519_ChaChaPoly_BLAKE2s`;
  const psks = p.psks ? [psk] : undefined;
  const prologue = new TextEncoder().encode('noisekit net test');
  const client: NoiseSocketOptions = {
    protocol,
    prologue,
    psks,
    staticKeyPair: p.i.s ? iKey : undefined,
    remoteStaticKey: p.i.rs ? rKey.publicKey : undefined,
    handshakePayload: new TextEncoder().encode(`client hello ${name}`),
  };
  const server: NoiseSocketOptions = {
    protocol,
    prologue,
    psks,
    staticKeyPair: p.r.s ? rKey : undefined,
    remoteStaticKey: p.r.rs ? iKey.publicKey : undefined,
    handshakePayload: new TextEncoder().encode(`server hello ${name}`),
  };
  return { client, server, p };
}

describe('net socket: handshake and echo over loopback TCP', function () {
  const iKey = generateKeyPair();
  const rKey = generateKeyPair();
  const psk = new Uint8Array(randomBytes(32));

  for (const name of Object.keys(PATTERNS)) {
    it(`${name}: handshake, payloads, channel binding and a byte-exact echo`, async () => {
      const { client, server: serverOpts, p } = sides(name, iKey, rKey, psk);
      let serverSide: NoiseSocket | undefined;
      const errors: Error[] = [];
      const { server, port } = await startServer(serverOpts, (s) => {
        serverSide = s;
        echo(s);
      });
      server.on('connectionError', (e) => errors.push(e));
      try {
        const data = randomBytes(200_000 + Math.floor(Math.random() * 1000));
        const r = await roundTrip({ ...client, port }, data);
        expect(r.error, String(r.error)).to.equal(undefined);
        expect(r.ended).to.equal(true);
        expect(createHash('sha256').update(r.data).digest('hex')).to.equal(createHash('sha256').update(data).digest('hex'));
        expect(serverSide, 'server secured').to.not.equal(undefined);
        expect(hex(r.socket.handshakeHash)).to.equal(hex(serverSide!.handshakeHash));
        expect(r.socket.handshakeHash!.length).to.equal(32);
        expect(hex(r.socket.remoteStaticKey)).to.equal(p.r.s ? hex(rKey.publicKey) : 'none');
        expect(hex(serverSide!.remoteStaticKey)).to.equal(p.i.s ? hex(iKey.publicKey) : 'none');
        // The fixed payload travels in the last message each side writes.
        const last = (a: Uint8Array[]) => new TextDecoder().decode(a[a.length - 1]);
        expect(last(serverSide!.remoteHandshakePayloads)).to.equal(`client hello ${name}`);
        expect(last(r.socket.remoteHandshakePayloads)).to.equal(`server hello ${name}`);
        expect(errors).to.deep.equal([]);
      } finally {
        await stopServer(server);
      }
    });
  }

  it('other suites and the stablelib backend: XX over 448/AESGCM/SHA512 echoes byte-exact', async () => {
    const protocol = 'Noise_XX_448_AESGCM_SHA512';
    const server448 = generateKeyPair('448');
    let serverSide: NoiseSocket | undefined;
    const { server, port } = await startServer({ protocol, staticKeyPair: server448, backend: 'stablelib' }, (s) => {
      serverSide = s;
      echo(s);
    });
    try {
      const data = randomBytes(150_000);
      const r = await roundTrip({ protocol, port, staticKeyPair: generateKeyPair('448'), backend: 'stablelib' }, data);
      expect(r.error, String(r.error)).to.equal(undefined);
      expect(r.data.equals(data)).to.equal(true);
      expect(hex(r.socket.remoteStaticKey)).to.equal(hex(server448.publicKey));
      expect(r.socket.handshakeHash!.length).to.equal(64);
      expect(hex(r.socket.handshakeHash)).to.equal(hex(serverSide!.handshakeHash));
    } finally {
      await stopServer(server);
    }
  });

  it('a different prologue on one side fails the handshake on both sides', async () => {
    const { client, server: serverOpts } = sides('XX', iKey, rKey, psk);
    const errors: NoiseError[] = [];
    const { server, port } = await startServer({ ...serverOpts, prologue: Uint8Array.of(1) }, echo);
    server.on('connectionError', (e) => errors.push(e));
    try {
      const r = await roundTrip({ ...client, port }, Uint8Array.of(1, 2, 3));
      expect((r.error as NoiseError | undefined)?.code).to.equal('ERR_NOISE_DECRYPT');
      expect(r.data.length).to.equal(0);
      await within(waitFor(() => errors.length > 0), 2000, 'server error');
      expect(errors[0]!.code).to.equal('ERR_NOISE_TRUNCATED');
    } finally {
      await stopServer(server);
    }
  });

  it('createServer checks the rekey policy once, at creation, as connect() does', () => {
    for (const rekey of [{ messages: 0 }, { bytes: -1 }, { messages: 1.5 }]) {
      expect(() => createServer({ protocol: 'Noise_XX_25519_ChaChaPoly_BLAKE2s', staticKeyPair: rKey, rekey }), JSON.stringify(rekey))
        .to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
    }
    createServer({ protocol: 'Noise_XX_25519_ChaChaPoly_BLAKE2s', staticKeyPair: rKey, rekey: { messages: 1000 } });
  });

  it('refuses one-way patterns (N, K, X) with ERR_NOISE_ONE_WAY', () => {
    const a = new net.Socket();
    expect(() => new NoiseSocket(a, { protocol: 'Noise_N_25519_ChaChaPoly_BLAKE2s', initiator: true, remoteStaticKey: rKey.publicKey }))
      .to.throw(NoiseError).with.property('code', 'ERR_NOISE_ONE_WAY');
    expect(() => createServer({ protocol: 'Noise_X_25519_ChaChaPoly_BLAKE2s', staticKeyPair: rKey }))
      .to.throw(NoiseError).with.property('code', 'ERR_NOISE_ONE_WAY');
    expect(() => createServer({ protocol: 'Noise_XX_25519_ChaChaPoly_BLAKE2s' }))
      .to.throw(NoiseError).with.property('code', 'ERR_NOISE_MISSING_KEY');
    a.destroy();
  });
});

/** Polls `cond` every 5 ms. */
function waitFor(cond: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve();
      }
    }, 5);
  });
}

describe('net socket: end of stream, verification, trust, rekey, timeouts', function () {
  const protocol = 'Noise_XX_25519_ChaChaPoly_BLAKE2s';
  const serverKey = generateKeyPair();
  const clientKey = generateKeyPair();
  const servers: NoiseServer[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'noisekit-net-'));

  after(async () => {
    for (const s of servers) await stopServer(s);
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A server that records, per connection, everything delivered to the application. */
  async function recordingServer(extra: Partial<NoiseSocketOptions> & { maxConcurrentHandshakes?: number } = {}) {
    const received: Buffer[][] = [];
    const events: string[] = [];
    const errors: NoiseError[] = [];
    const { server, port } = await startServer({ protocol, staticKeyPair: serverKey, ...extra }, (s) => {
      const mine: Buffer[] = [];
      received.push(mine);
      s.on('data', (d: Buffer) => mine.push(d));
      s.on('end', () => events.push('end'));
      s.on('error', (e) => events.push(`error:${(e as NoiseError).code}`));
    });
    server.on('connectionError', (e) => errors.push(e));
    servers.push(server);
    return { server, port, received, events, errors };
  }

  it('end() delivers an authenticated end: the server sees the data, then end, no error', async () => {
    const srv = await recordingServer();
    const c = connect({ protocol, host: HOST, port: srv.port, staticKeyPair: clientKey });
    c.on('error', () => {});
    c.end('bye');
    await within(waitFor(() => srv.events.length > 0), 5000, 'server end');
    expect(srv.events).to.deep.equal(['end']);
    expect(Buffer.concat(srv.received[0]!).toString()).to.equal('bye');
    c.destroy();
  });

  it('frames written in one tick leave in one write: end(chunk) sends the last message and the authenticated end together', async () => {
    const srv = await recordingServer();
    const c = connect({ protocol, host: HOST, port: srv.port, staticKeyPair: clientKey });
    c.on('error', () => {});
    await once(c, 'secure');
    await new Promise((resolve) => setImmediate(resolve)); // the handshake's last message has left
    // Every write the TCP socket makes, as the number of chunks it carries (net.Socket sends
    // one chunk with _write, several with _writev: one writev(2)).
    const raw = c.rawSocket as net.Socket;
    const writes: number[] = [];
    const write = raw._write.bind(raw);
    const writev = raw._writev!.bind(raw);
    raw._write = (chunk, encoding, cb) => (writes.push(1), write(chunk, encoding, cb));
    raw._writev = (chunks, cb) => (writes.push(chunks.length), writev(chunks, cb));
    c.end('bye');
    await within(waitFor(() => srv.events.length > 0), 5000, 'server end');
    expect(srv.events).to.deep.equal(['end']);
    expect(Buffer.concat(srv.received[0]!).toString()).to.equal('bye');
    expect(writes, 'the data frame and the end frame in one writev').to.deep.equal([2]);
    c.destroy();
  });

  it('a TCP close without the end message is ERR_NOISE_TRUNCATED and never an end', async () => {
    const srv = await recordingServer();
    const c = connect({ protocol, host: HOST, port: srv.port, staticKeyPair: clientKey });
    c.on('error', () => {});
    await once(c, 'secureConnect');
    c.write('partial');
    // Wait until the data arrived, then close the TCP stream under the Noise socket.
    await within(waitFor(() => srv.received[0]?.length === 1), 5000, 'data');
    c.rawSocket.end();
    await within(waitFor(() => srv.events.length > 0), 5000, 'server error');
    expect(srv.events).to.deep.equal(['error:ERR_NOISE_TRUNCATED']);
    expect(Buffer.concat(srv.received[0]!).toString()).to.equal('partial');
    expect(srv.errors.map((e) => e.code)).to.deep.equal(['ERR_NOISE_TRUNCATED']);
    c.destroy();
  });

  it('a close in the middle of the handshake is ERR_NOISE_TRUNCATED on the server', async () => {
    const srv = await recordingServer();
    const raw = net.connect(srv.port, HOST);
    raw.on('error', () => {});
    raw.end(Buffer.from([0, 32, 1, 2, 3]));
    await within(waitFor(() => srv.errors.length > 0), 5000, 'server error');
    expect(srv.errors[0]!.code).to.equal('ERR_NOISE_TRUNCATED');
    expect(srv.received.length).to.equal(0);
  });

  for (const mode of ['sync false', 'sync throw', 'async false', 'async reject'] as const) {
    it(`server verifyRemote refusal (${mode}): typed error, no data delivered, client learns nothing`, async () => {
      let calls = 0;
      const verifyRemote = (key: Uint8Array | undefined): boolean | Promise<boolean> => {
        calls++;
        expect(hex(key)).to.equal(hex(clientKey.publicKey));
        if (mode === 'sync false') return false;
        if (mode === 'sync throw') throw new Error('no');
        return new Promise((resolve, reject) => setTimeout(() => (mode === 'async false' ? resolve(false) : reject(new Error('no'))), 30));
      };
      const srv = await recordingServer({ verifyRemote });
      // The client writes at once: the data must never reach the server application.
      const r = await roundTrip({ protocol, port: srv.port, staticKeyPair: clientKey }, Buffer.from('secret data'));
      expect(calls).to.equal(1);
      expect(srv.received.length, 'no secure connection').to.equal(0);
      expect(srv.errors.map((e) => e.code)).to.deep.equal(['ERR_NOISE_REMOTE_REJECTED']);
      expect(r.ended).to.equal(false);
      expect((r.error as NoiseError).code).to.equal('ERR_NOISE_TRUNCATED');
    });
  }

  it('server verifyRemote accepting asynchronously delivers the data afterwards', async () => {
    const srv = await recordingServer({ verifyRemote: () => new Promise((r) => setTimeout(() => r(true), 30)) });
    const c = connect({ protocol, host: HOST, port: srv.port, staticKeyPair: clientKey });
    c.on('error', () => {});
    c.end('after verify');
    await within(waitFor(() => srv.events.length > 0), 5000, 'server end');
    expect(srv.events).to.deep.equal(['end']);
    expect(Buffer.concat(srv.received[0]!).toString()).to.equal('after verify');
  });

  it('client verifyRemote refusal stops the handshake before message 3: the server sees only a truncation', async () => {
    const srv = await recordingServer();
    const r = await roundTrip({ protocol, port: srv.port, staticKeyPair: clientKey, verifyRemote: () => false }, Buffer.from('x'));
    expect((r.error as NoiseError).code).to.equal('ERR_NOISE_REMOTE_REJECTED');
    await within(waitFor(() => srv.errors.length > 0), 5000, 'server error');
    expect(srv.errors[0]!.code).to.equal('ERR_NOISE_TRUNCATED');
    expect(srv.received.length).to.equal(0);
  });

  it('authorizedKeys: a listed key (hex or base64, with comments) is accepted, others refused', async () => {
    const file = join(tmp, 'authorized');
    const other = generateKeyPair();
    writeFileSync(file, `# team keys\n${Buffer.from(other.publicKey).toString('base64')} other\n\n${Buffer.from(clientKey.publicKey).toString('hex')}  # client\n`);
    const srv = await recordingServer({ verifyRemote: authorizedKeys(file) });
    const ok = await roundTrip({ protocol, port: srv.port, staticKeyPair: clientKey }, Buffer.from('listed'));
    expect(ok.error).to.equal(undefined);
    expect(ok.data.toString()).to.equal('');
    const bad = await roundTrip({ protocol, port: srv.port, staticKeyPair: generateKeyPair() }, Buffer.from('not listed'));
    expect(bad.ended).to.equal(false);
    await within(waitFor(() => srv.errors.length > 0), 5000, 'server error');
    expect(srv.errors.map((e) => e.code)).to.deep.equal(['ERR_NOISE_REMOTE_REJECTED']);
    expect(srv.received.map((x) => Buffer.concat(x).toString())).to.deep.equal(['listed']);
    // A malformed file refuses everyone with a typed error naming the line.
    writeFileSync(file, `${Buffer.from(clientKey.publicKey).toString('hex')}\nnot-a-key\n`);
    await roundTrip({ protocol, port: srv.port, staticKeyPair: clientKey }, Buffer.from('x'));
    await within(waitFor(() => srv.errors.length > 1), 5000, 'server error');
    expect(srv.errors[1]!.code).to.equal('ERR_NOISE_TRUST_STORE');
    expect(srv.errors[1]!.message).to.contain('line 2');
  });

  it('parsePublicKey / parseAuthorizedKeys decode hex and base64 and refuse wrong lengths', () => {
    const k = generateKeyPair('448');
    expect(hex(parsePublicKey(Buffer.from(k.publicKey).toString('base64')))).to.equal(hex(k.publicKey));
    expect(hex(parsePublicKey(Buffer.from(k.publicKey).toString('hex').toUpperCase()))).to.equal(hex(k.publicKey));
    expect(() => parsePublicKey('abcd')).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_KEY');
    expect(() => parsePublicKey(Buffer.alloc(31).toString('base64'))).to.throw(NoiseError);
    expect(parseAuthorizedKeys('# nothing\n\n   \n').length).to.equal(0);
  });

  it('tofu: pins the first key, accepts it again, refuses a changed key and keeps the pin', async () => {
    const file = join(tmp, 'known_hosts');
    const a = await recordingServer();
    const otherServerKey = generateKeyPair();
    const { server: b, port: portB } = await startServer({ protocol, staticKeyPair: otherServerKey }, echo);
    servers.push(b);
    const verifyRemote = tofu(file, 'db.example');
    const first = await roundTrip({ protocol, port: a.port, staticKeyPair: clientKey, verifyRemote }, Buffer.from('1'));
    expect(first.error).to.equal(undefined);
    const pinned = readFileSync(file, 'utf8');
    expect(pinned).to.equal(`db.example ${Buffer.from(serverKey.publicKey).toString('hex')}\n`);
    const again = await roundTrip({ protocol, port: a.port, staticKeyPair: clientKey, verifyRemote }, Buffer.from('2'));
    expect(again.error).to.equal(undefined);
    const changed = await roundTrip({ protocol, port: portB, staticKeyPair: clientKey, verifyRemote }, Buffer.from('3'));
    expect((changed.error as NoiseError).code).to.equal('ERR_NOISE_REMOTE_KEY_CHANGED');
    expect(readFileSync(file, 'utf8')).to.equal(pinned);
    // Another host id gets its own pin in the same file.
    const other = await roundTrip({ protocol, port: portB, staticKeyPair: clientKey, verifyRemote: tofu(file, 'cache.example') }, Buffer.from('4'));
    expect(other.error).to.equal(undefined);
    expect(readFileSync(file, 'utf8')).to.equal(`${pinned}cache.example ${Buffer.from(otherServerKey.publicKey).toString('hex')}\n`);
  });

  it('rekey policy: same policy on both sides works; a mismatched one fails to decrypt (so rekey really happens)', async () => {
    const srv = await recordingServer({ rekey: { messages: 3, bytes: 100_000 } });
    const data = randomBytes(1_000_000);
    const ok = await roundTrip({ protocol, port: srv.port, staticKeyPair: clientKey, rekey: { messages: 3, bytes: 100_000 } }, data);
    expect(ok.error).to.equal(undefined);
    await within(waitFor(() => srv.events.length > 0), 5000, 'server end');
    expect(Buffer.concat(srv.received[0]!).equals(data)).to.equal(true);
    const bad = await roundTrip({ protocol, port: srv.port, staticKeyPair: clientKey, rekey: { messages: 4 } }, randomBytes(300_000));
    expect(bad.ended).to.equal(false);
    await within(waitFor(() => srv.errors.length > 0), 5000, 'server error');
    expect(srv.errors[0]!.code).to.equal('ERR_NOISE_DECRYPT');
  });

  it('idleTimeout closes a silent established connection with ERR_NOISE_IDLE_TIMEOUT', async () => {
    const srv = await recordingServer({ idleTimeout: 150 });
    const c = connect({ protocol, host: HOST, port: srv.port, staticKeyPair: clientKey });
    c.on('error', () => {});
    await once(c, 'secureConnect');
    await within(waitFor(() => srv.errors.length > 0), 5000, 'server error');
    expect(srv.errors[0]!.code).to.equal('ERR_NOISE_IDLE_TIMEOUT');
    c.destroy();
  });

  for (const when of ['first', 'after pause and resume', 'with a second chunk buffered behind it'] as const) {
    it(`an exception in the application's 'data' listener (${when}) closes that connection only: ERR_NOISE_SOCKET, the exception as cause`, async () => {
      const errors: NoiseError[] = [];
      const { server, port } = await startServer({ protocol, staticKeyPair: serverKey }, (s) => {
        if (when === 'after pause and resume') {
          s.pause();
          setTimeout(() => s.resume(), 50);
        }
        s.on('data', (d: Buffer) => {
          if (d.toString().startsWith('boom')) throw new Error('application bug');
        });
        s.on('end', () => s.end('ok'));
      });
      server.on('connectionError', (e) => errors.push(e));
      servers.push(server);
      // Written before the handshake ends: it leaves with message 3, in one TCP segment, so the
      // server's first chunk of data is pushed before its first read and emitted by Node later.
      const c = connect({ protocol, host: HOST, port, staticKeyPair: clientKey });
      c.on('error', () => {});
      c.write('boom');
      // Node emits a chunk it had buffered even after the first exception destroyed the socket:
      // that second exception once escaped to the event loop and ended the process.
      if (when === 'with a second chunk buffered behind it') c.write('boom again');
      await within(waitFor(() => errors.length > 0), 5000, 'connectionError');
      await new Promise((r) => setTimeout(r, 100));
      expect(errors).to.have.length(1);
      expect(errors[0]!.code).to.equal('ERR_NOISE_SOCKET');
      expect((errors[0]!.cause as Error).message).to.equal('application bug');
      c.destroy();
      const r = await roundTrip({ protocol, port, staticKeyPair: clientKey }, new TextEncoder().encode('fine'));
      expect(Buffer.from(r.data).toString()).to.equal('ok'); // the server still serves others
    });
  }

  it("an 'end' listener that throws after the peer ended closes with ERR_NOISE_SOCKET, not the process", async () => {
    const errors: NoiseError[] = [];
    const { server, port } = await startServer({ protocol, staticKeyPair: serverKey }, (s) => {
      // The client's data and end of stream arrive while the application is paused; its 'end'
      // listener comes after noisekit's own (which closes the socket once the peer ended).
      s.pause();
      s.end('bye');
      setTimeout(() => {
        s.on('end', () => {
          throw new Error('bug in end listener');
        });
        s.resume();
      }, 200);
    });
    server.on('connectionError', (e) => errors.push(e));
    servers.push(server);
    const c = connect({ protocol, host: HOST, port, staticKeyPair: clientKey });
    c.on('error', () => {});
    c.resume();
    c.end('hello');
    await within(waitFor(() => errors.length > 0), 5000, 'connectionError');
    expect(errors.map((e) => e.code)).to.deep.equal(['ERR_NOISE_SOCKET']);
    expect((errors[0]!.cause as Error).message).to.equal('bug in end listener');
  });

  it('handle() and connect({ socket }) take a raw stream the application paused (peek, unshift, hand over)', async () => {
    const nn = 'Noise_NN_25519_ChaChaPoly_BLAKE2s';
    const noise = createServer({ protocol: nn, handshakeTimeout: 2000 }, (s) => s.pipe(s));
    const errors: NoiseError[] = [];
    noise.on('connectionError', (e) => errors.push(e));
    const router = net.createServer({ allowHalfOpen: true }, (raw) => {
      raw.once('data', (peek: Buffer) => {
        raw.pause();
        raw.unshift(peek);
        noise.handle(raw);
      });
    });
    router.listen(0, HOST);
    await once(router, 'listening');
    try {
      const raw = net.connect((router.address() as net.AddressInfo).port, HOST);
      await once(raw, 'connect');
      raw.pause(); // paused on the client side too
      const c = connect({ protocol: nn, socket: raw });
      let echoed = '';
      c.on('data', (d: Buffer) => (echoed += d.toString()));
      c.end('ping');
      await within(once(c, 'close'), 5000, 'client close');
      expect(echoed).to.equal('ping');
      expect(errors).to.deep.equal([]);
    } finally {
      router.close();
      noise.close();
    }
  });

  it('listen(port, callback) calls the callback, as net.Server does', async () => {
    const server = createServer({ protocol, staticKeyPair: serverKey });
    servers.push(server);
    await within(new Promise<void>((resolve) => server.listen(0, resolve)), 5000, 'listen callback');
  });

  it('a refused TCP connection is ERR_NOISE_SOCKET with the system error as cause', async () => {
    const probe = net.createServer();
    probe.listen(0, HOST);
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const c = connect({ protocol, host: HOST, port, staticKeyPair: clientKey });
    const [err] = await within(once(c, 'error'), 5000, 'client error');
    expect((err as NoiseError).code).to.equal('ERR_NOISE_SOCKET');
    expect(((err as NoiseError).cause as NodeJS.ErrnoException).code).to.equal('ECONNREFUSED');
  });

  it('a client whose server never answers gets ERR_NOISE_HANDSHAKE_TIMEOUT', async () => {
    const silent = net.createServer(() => {});
    silent.listen(0, HOST);
    await once(silent, 'listening');
    const held: net.Socket[] = [];
    silent.on('connection', (s) => held.push(s));
    try {
      const c = connect({ protocol, host: HOST, port: (silent.address() as net.AddressInfo).port, staticKeyPair: clientKey, handshakeTimeout: 150 });
      const [err] = await within(once(c, 'error'), 5000, 'client error');
      expect((err as NoiseError).code).to.equal('ERR_NOISE_HANDSHAKE_TIMEOUT');
    } finally {
      held.forEach((s) => s.destroy());
      silent.close();
    }
  });
});
