/**
 * The network APIs beyond the plain TCP socket, used the wrong way or attacked: options are
 * checked when a server or client is created (never inside packet handling, never after early
 * data was sent), an application listener's exception closes one session only, a replayed UDP
 * message 1 cannot divert a live session's datagrams, trust files take every key noisekit can
 * produce and lose no pin under concurrency, and the relay closes the peers it refuses.
 */
import { expect } from 'chai';
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPipesServer, createRelay, createUdpServer, DatagramSession, encodeRelayRequest, generateKeyPair, HandshakeState, NoiseError,
  NoiseSocket, parseKnownHosts, pipesConnect, RELAY_STATUS, tofu, udpConnect, type UdpSession, FileKeyCache, connect, bolt8Accept,
  parsePublicKey, parseAuthorizedKeys, decodeRelayRequest, loadPatternDir, xchachaNonce, Bolt8Reader, writeFrame, FrameDecoder,
  pipesProtocol, PipesInitiator, p256Node, p256Noble, secp256k1Dh, createServer,
} from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function codeOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(NoiseError);
    return (err as NoiseError).code;
  }
  return 'no error';
}

describe('network APIs: misuse and attacks beyond the TCP socket', function () {
  this.timeout(30_000);
  const dir = mkdtempSync(join(tmpdir(), 'noisekit-netmisuse-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('UDP: bad datagram options are refused when the server or client is created, not on the first handshake', async () => {
    const staticKeyPair = generateKeyPair();
    for (const datagram of [{ replayWindow: 100 }, { rekeyInterval: 1.5 }, { rekeyInterval: 0 }, { maxRekeySkip: 0 }]) {
      expect(await codeOf(() => createUdpServer({ staticKeyPair, datagram })), JSON.stringify(datagram)).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      expect(await codeOf(() => udpConnect({ port: 9, staticKeyPair, datagram })), JSON.stringify(datagram)).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    }
    expect(await codeOf(() => new DatagramSession(null as never, true))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
  });

  it("UDP: a replayed message 1 from a live session's address does not divert its datagrams; a throwing listener closes one session", async () => {
    const got: string[] = [];
    const sessionErrors: NoiseError[] = [];
    const server = createUdpServer({ staticKeyPair: generateKeyPair(), handshakeTimeout: 3000 }, (s: UdpSession) =>
      s.on('message', (m: Uint8Array) => {
        const text = Buffer.from(m).toString();
        if (text === 'boom') throw new Error('application bug');
        got.push(text);
      }),
    );
    server.on('sessionError', (e: NoiseError) => sessionErrors.push(e));
    const { port: sport } = await server.listen(0);
    // An on-path forwarder: the server sees its port as the client's address; it records message 1.
    const fwd = dgram.createSocket('udp4');
    await new Promise<void>((r) => fwd.bind(0, '127.0.0.1', () => r()));
    let client: dgram.RemoteInfo | undefined;
    let first: Buffer | undefined;
    fwd.on('message', (m, ri) => {
      if (ri.port === sport) {
        if (client) fwd.send(m, client.port, client.address);
        return;
      }
      client = ri;
      if (!first && m[0] === 1 && m[1] === 0) first = Buffer.from(m);
      fwd.send(m, sport, '127.0.0.1');
    });
    const c = await udpConnect({ port: (fwd.address() as net.AddressInfo).port, handshakeTimeout: 3000, staticKeyPair: generateKeyPair() });
    try {
      const burst = async (label: string) => {
        for (let i = 0; i < 5; i++) {
          c.send(Buffer.from(`${label}-${i}`));
          await sleep(20);
        }
        await sleep(100);
      };
      await burst('before');
      expect(got).to.have.length(5);
      fwd.send(first!, sport, '127.0.0.1'); // the replay
      await sleep(50);
      got.length = 0;
      await burst('during');
      expect(got, 'datagrams of the live session while the replayed handshake is pending').to.deep.equal(['during-0', 'during-1', 'during-2', 'during-3', 'during-4']);
      c.send(Buffer.from('boom'));
      for (let i = 0; i < 100 && sessionErrors.length === 0; i++) await sleep(10);
      expect(sessionErrors.map((e) => e.code)).to.deep.equal(['ERR_NOISE_SOCKET']);
      expect((sessionErrors[0]!.cause as Error).message).to.equal('application bug');
      expect(server.sessions).to.have.length(0); // that session was closed; the process lives on
    } finally {
      c.close();
      fwd.close();
      await server.close();
    }
  });

  it('server.handle() of a stream that already closed fails at once and frees its handshake slot (not after the timeout)', async () => {
    const server = createServer({ protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s', handshakeTimeout: 30_000 });
    const errors: string[] = [];
    server.on('connectionError', (e) => errors.push(e.code));
    const dead = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
    dead.destroy();
    await once(dead, 'close');
    server.handle(dead);
    await new Promise((r) => setTimeout(r, 50));
    expect([errors.length, server.stats.handshaking]).to.deep.equal([1, 0]);
  });

  it("NoiseSocket.fromTransport refuses handshake-only options and contains an exception in a 'secure' listener", async () => {
    const P = 'Noise_NN_25519_ChaChaPoly_BLAKE2s';
    const i = new HandshakeState({ protocol: P, initiator: true });
    const r = new HandshakeState({ protocol: P, initiator: false });
    r.readMessage(i.writeMessage());
    i.readMessage(r.writeMessage());
    const h = i.handshakeHash;
    const raw = () => new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
    const t = r.split();
    for (const options of [{ verifyRemote: () => false }, { handshakeTimeout: 1000 }, { handshakePayload: new Uint8Array(1) }]) {
      expect(await codeOf(() => NoiseSocket.fromTransport(raw(), t, { protocol: P, initiator: false, handshakeHash: h }, options)), Object.keys(options)[0]).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    }
    const sock = NoiseSocket.fromTransport(raw(), t, { protocol: P, initiator: false, handshakeHash: h });
    sock.on('secure', () => {
      throw new Error('bug in a secure listener');
    });
    const [err] = (await once(sock, 'error')) as [NoiseError];
    expect(err.code).to.equal('ERR_NOISE_SOCKET');
    expect((err.cause as Error).message).to.equal('bug in a secure listener');
  });

  it('tofu: P-256 and secp256k1 keys are pinned and read back; concurrent verifiers of one file lose no pin', async () => {
    const kh = join(dir, 'known_hosts');
    const p256 = generateKeyPair('P256').publicKey;
    const k1 = generateKeyPair('secp256k1').publicKey;
    expect(await tofu(kh, 'p256host')(p256, [])).to.equal(true);
    expect(await tofu(kh, 'k1host')(k1, [])).to.equal(true);
    expect(await tofu(kh, 'p256host')(p256, [])).to.equal(true);
    expect(await codeOf(() => tofu(kh, 'k1host')(generateKeyPair('secp256k1').publicKey, []))).to.equal('ERR_NOISE_REMOTE_KEY_CHANGED');
    const hosts = Array.from({ length: 8 }, (_, n) => ({ host: `h${n}`, key: generateKeyPair().publicKey }));
    const shared = join(dir, 'shared_hosts');
    await Promise.all(hosts.map(({ host, key }) => tofu(shared, host)(key, [])));
    const pinned = parseKnownHosts(readFileSync(shared, 'utf8'));
    expect([...pinned.keys()].sort()).to.deep.equal(hosts.map((x) => x.host).sort());
    // So a different key for any of them is refused.
    expect(await codeOf(() => tofu(shared, 'h3')(generateKeyPair().publicKey, []))).to.equal('ERR_NOISE_REMOTE_KEY_CHANGED');
  });

  it('Pipes: bad server options throw at creation; bad client options reject before anything is sent', async () => {
    const staticKeyPair = generateKeyPair();
    for (const extra of [{ rekey: { messages: 0 } }, { idleTimeout: -5 }, { handshakeTimeout: Number.NaN }, { maxConcurrentHandshakes: Number.NaN }]) {
      expect(await codeOf(() => createPipesServer({ staticKeyPair, ...extra })), JSON.stringify(extra)).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    }
    const probe = net.createServer();
    let connections = 0;
    probe.on('connection', (s) => {
      connections++;
      s.destroy();
    });
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    try {
      for (const extra of [{ rekey: { messages: 0 } }, { handshakeTimeout: 'abc' }, { keyCache: {} }]) {
        expect(await codeOf(() => pipesConnect({ port, staticKeyPair, earlyData: new Uint8Array(3), ...(extra as object) })), JSON.stringify(extra)).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      }
      expect(await codeOf(() => pipesConnect({ port: 'x' as never, staticKeyPair }))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      await sleep(50);
      expect(connections, 'no connection was opened for bad options').to.equal(0);
    } finally {
      probe.close();
    }
  });

  it('FileKeyCache: concurrent set() calls all land (file mode 0600); a malformed entry is ERR_NOISE_TRUST_STORE', async () => {
    const path = join(dir, 'keycache.json');
    const cache = new FileKeyCache(path);
    const peers = Array.from({ length: 6 }, (_, n) => ({ peer: `p${n}`, key: generateKeyPair().publicKey }));
    await Promise.all(peers.map(({ peer, key }) => cache.set(peer, key)));
    for (const { peer, key } of peers) expect(await cache.get(peer), peer).to.deep.equal(key);
    expect(statSync(path).mode & 0o777).to.equal(0o600);
    writeFileSync(path, JSON.stringify({ short: 'abcd', nothex: 'zz'.repeat(32), num: 5 }));
    for (const peer of ['short', 'nothex', 'num']) expect(await codeOf(() => cache.get(peer)), peer).to.equal('ERR_NOISE_TRUST_STORE');
    expect(await cache.get('absent')).to.equal(undefined);
    expect(await cache.get('constructor')).to.equal(undefined);
  });

  it('connect({ via }) with bad Noise options throws before the relay hears anything', async () => {
    let heard = 0;
    const fake = net.createServer((s) => {
      s.on('data', () => heard++);
      s.on('error', () => {});
    });
    fake.listen(0, '127.0.0.1');
    await once(fake, 'listening');
    const via = `127.0.0.1:${(fake.address() as net.AddressInfo).port}`;
    try {
      expect(await codeOf(() => connect({ via, service: 'svc', protocol: 'Noise_BOGUS_25519_ChaChaPoly_BLAKE2s' }))).to.equal('ERR_NOISE_UNKNOWN_PATTERN');
      expect(await codeOf(() => connect({ via, service: 'svc', protocol: 'Noise_XX_25519_ChaChaPoly_BLAKE2s', rekey: { messages: 0 } }))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
      await sleep(100);
      expect(heard).to.equal(0);
    } finally {
      fake.close();
    }
  });

  it('BOLT 8 sockets: a handshakeTimeout that is NaN, negative or a string is refused, not taken as "no timeout"', async () => {
    const staticKeyPair = generateKeyPair('secp256k1');
    for (const handshakeTimeout of [Number.NaN, -1, 'abc']) {
      expect(await codeOf(() => bolt8Accept(new Duplex({ read() {}, write(_c, _e, cb) { cb(); } }), { staticKeyPair, handshakeTimeout: handshakeTimeout as number })), String(handshakeTimeout)).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    }
  });

  it('trust parsers, relay requests and pattern directories: wrong argument types are typed errors, a wrong op is not a silent CONNECT', async () => {
    for (const f of [() => parsePublicKey(5 as never), () => parseAuthorizedKeys(null as never), () => parseKnownHosts({} as never)]) {
      expect(await codeOf(f)).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    }
    expect(await codeOf(() => tofu(join(dir, 'kh2'), 'h')('abc' as never, []))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    expect(await codeOf(() => encodeRelayRequest('LISTEN' as never, 'svc'))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    expect(await codeOf(() => decodeRelayRequest(null as never))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    expect(await codeOf(() => loadPatternDir(join(dir, 'no-such-dir')))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    const loose: Array<[string, () => unknown]> = [
      ['xchachaNonce(5)', () => xchachaNonce(5 as never)],
      ['xchachaNonce into 3 bytes', () => xchachaNonce(1n, new Uint8Array(3))],
      ['new Bolt8Reader(null)', () => new Bolt8Reader(null as never)],
      ['connect({ host: 127 })', () => connect({ host: 127 as never, port: 1, protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s' })],
      ['writeFrame(stream, null)', () => writeFrame(new Duplex({ write(_c, _e, cb) { cb(); } }), null as never)],
      ['writeFrame({}, bytes)', () => writeFrame({} as never, new Uint8Array(1))],
      ['new FrameDecoder(undefined, null)', () => new FrameDecoder(undefined, null as never)],
      ['pipesProtocol(null)', () => pipesProtocol(null as never, 'XX')],
      ['new PipesInitiator(null)', () => new PipesInitiator(null as never)],
      ['p256 dh with a string private key', () => p256Node.dh({ privateKey: 'x' as never, publicKey: new Uint8Array(65) }, generateKeyPair('P256').publicKey)],
      ['p256Noble dh with no key pair', () => p256Noble.dh(null as never, generateKeyPair('P256').publicKey)],
      ['secp256k1 dh with no key pair', () => secp256k1Dh.dh(null as never, generateKeyPair('secp256k1').publicKey)],
    ];
    for (const [what, f] of loose) expect(await codeOf(f), what).to.equal('ERR_NOISE_INVALID_ARGUMENT');
    const server = createServer({ protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s' });
    expect(await codeOf(() => server.handle(null as never))).to.equal('ERR_NOISE_INVALID_ARGUMENT');
  });

  it('relay: refused peers are closed (BUSY at maxConnections, BAD_REQUEST), and a LISTEN with data behind it is refused', async () => {
    const relay = createRelay({ maxConnections: 2 });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    const port = (relay.address() as net.AddressInfo).port;
    const open = async (bytes?: Uint8Array) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      await once(s, 'connect');
      if (bytes) {
        s.write(bytes);
        s.resume(); // read the reply, so the relay's close is seen
      }
      return s;
    };
    const held = [await open(), await open()];
    await sleep(50);
    const refused = await open();
    const reply: Buffer[] = [];
    refused.on('data', (d: Buffer) => reply.push(d));
    await within(once(refused, 'end'), 'BUSY peer closed by the relay');
    expect(Buffer.concat(reply)).to.deep.equal(Buffer.from([RELAY_STATUS.BUSY]));
    held.forEach((s) => s.destroy());
    await sleep(50);
    const bad = await open(Buffer.from([0x09, 0x01, 0x41]));
    await within(once(bad, 'close'), 'BAD_REQUEST peer closed by the relay');
    const chatty = await open(Buffer.concat([Buffer.from(encodeRelayRequest('listen', 'svc')), Buffer.from([0, 3, 1, 2, 3])]));
    await within(once(chatty, 'close'), 'LISTEN with data closed');
    expect(relay.waiting).to.deep.equal({});
    await new Promise((r) => relay.close(() => r(undefined)));
  });
});

function within<T>(p: Promise<T>, what: string, ms = 3000): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`timed out: ${what}`)))]);
}
