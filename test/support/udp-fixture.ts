/**
 * The set-up the UDP tests share: a server key and a client key per describe block, servers and
 * clients on 127.0.0.1 with short timers, and everything they open closed after each test.
 */
import { createUdpServer, udpConnect, generateKeyPair, type UdpServer, type UdpSession, type KeyPair } from '../../src/index.js';

export interface UdpFixture {
  readonly serverKey: KeyPair;
  readonly clientKey: KeyPair;
  /** Run after the current test, last pushed first. */
  readonly cleanup: Array<() => unknown>;
  /** A server with the server key (and `opts`), listening on 127.0.0.1, any port. */
  server(opts?: Parameters<typeof createUdpServer>[0], onSession?: (s: UdpSession) => void): Promise<{ srv: UdpServer; port: number }>;
  /** A client with the client key, a 5 s handshake timeout and 40 ms retransmissions (and `opts`). */
  client(port: number, opts?: Partial<Parameters<typeof udpConnect>[0]>): Promise<UdpSession>;
}

/** Call inside a describe(): registers its before/afterEach hooks. */
export function udpFixture(): UdpFixture {
  let keys: { serverKey: KeyPair; clientKey: KeyPair } | undefined;
  const cleanup: Array<() => unknown> = [];
  before(() => {
    keys = { serverKey: generateKeyPair(), clientKey: generateKeyPair() };
  });
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!();
  });
  return {
    get serverKey() {
      return keys!.serverKey;
    },
    get clientKey() {
      return keys!.clientKey;
    },
    cleanup,
    async server(opts = {}, onSession) {
      const srv = createUdpServer({ staticKeyPair: keys!.serverKey, ...opts }, onSession);
      cleanup.push(() => srv.close());
      const { port } = await srv.listen(0, '127.0.0.1');
      return { srv, port };
    },
    async client(port, opts = {}) {
      const c = await udpConnect({ port, host: '127.0.0.1', staticKeyPair: keys!.clientKey, handshakeTimeout: 5000, retransmitInterval: 40, ...opts });
      cleanup.push(() => c.close());
      return c;
    },
  };
}
