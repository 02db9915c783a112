/**
 * BOLT 8 over loopback TCP: the three acts on a real socket, 1100 messages each way (two key
 * rotations per direction) byte-exact, and typed failures: a wrong node id, a flipped bit in
 * transit, a peer that closes mid-packet. Every server and socket is closed in `finally`.
 */
import { expect } from 'chai';
import net, { type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { secp256k1Dh } from '../src/crypto/secp256k1.js';
import { bolt8Accept, bolt8Connect, type Bolt8Socket } from '../src/profiles/bolt8-socket.js';
import { isNoiseError } from '../src/errors.js';
import { within } from './support/net-helpers.js';

const HOST = '127.0.0.1';

/** A TCP server that runs the BOLT 8 responder on each connection, optionally through a byte filter. */
async function server(key: ReturnType<typeof secp256k1Dh.generateKeyPair>, onSocket: (s: Bolt8Socket) => void, filter?: (raw: net.Socket) => net.Socket) {
  const srv = net.createServer((raw) => onSocket(bolt8Accept(filter ? filter(raw) : raw, { staticKeyPair: key })));
  srv.listen(0, HOST);
  await once(srv, 'listening');
  return { srv, port: (srv.address() as AddressInfo).port };
}

function closeAll(srv: net.Server, ...socks: Array<Bolt8Socket | undefined>): Promise<void> {
  for (const s of socks) s?.destroy();
  return new Promise((r) => srv.close(() => r()));
}

function errorOf(s: Bolt8Socket): Promise<Error> {
  return new Promise((resolve) => s.once('error', resolve));
}

describe('BOLT 8 over TCP (loopback)', function () {
  this.timeout(20_000);

  it('handshake and 1100 messages each way (two rotations per direction), byte-exact, with node ids', async () => {
    const a = secp256k1Dh.generateKeyPair();
    const b = secp256k1Dh.generateKeyPair();
    let responder: Bolt8Socket | undefined;
    const { srv, port } = await server(b, (s) => {
      responder = s;
      s.on('data', (m: Uint8Array) => s.write(m)); // echo each message
    });
    const c = bolt8Connect({ host: HOST, port, staticKeyPair: a, remoteStaticKey: b.publicKey });
    try {
      await within(once(c, 'secure'), 5_000, 'handshake');
      const sent = Array.from({ length: 1100 }, (_, i) => randomBytes(i % 7 === 0 ? 0 : (i * 37) % 3000));
      const got: Uint8Array[] = [];
      c.on('data', (m: Uint8Array) => got.push(m));
      for (const m of sent) c.write(m);
      await within((async () => {
        while (got.length < sent.length) await new Promise((r) => setTimeout(r, 10));
      })(), 10_000, 'echo of 1100 messages');
      for (let i = 0; i < sent.length; i++) expect(Buffer.from(got[i]!).equals(sent[i]!), `message ${i}`).to.equal(true);
      expect(Buffer.from(responder!.remoteStaticKey!).equals(Buffer.from(a.publicKey))).to.equal(true);
    } finally {
      await closeAll(srv, c, responder);
    }
  });

  it('a wrong node id: the responder fails act one with ERR_NOISE_DECRYPT and closes; the initiator sees the close', async () => {
    const a = secp256k1Dh.generateKeyPair();
    const b = secp256k1Dh.generateKeyPair();
    let responderError: Promise<Error> | undefined;
    let responder: Bolt8Socket | undefined;
    const { srv, port } = await server(b, (s) => {
      responder = s;
      responderError = errorOf(s);
    });
    const c = bolt8Connect({ host: HOST, port, staticKeyPair: a, remoteStaticKey: secp256k1Dh.generateKeyPair().publicKey });
    const clientError = errorOf(c);
    try {
      const err = await within((async () => {
        while (!responderError) await new Promise((r) => setTimeout(r, 5));
        return responderError;
      })(), 5_000, 'responder error');
      expect(isNoiseError(err, 'ERR_NOISE_DECRYPT'), String(err)).to.equal(true);
      const cerr = await within(clientError, 5_000, 'initiator error');
      expect(isNoiseError(cerr, 'ERR_NOISE_TRUNCATED'), String(cerr)).to.equal(true);
    } finally {
      await closeAll(srv, c, responder);
    }
  });

  it('a bit flipped in transit after the handshake is ERR_NOISE_DECRYPT and nothing altered is delivered', async () => {
    const a = secp256k1Dh.generateKeyPair();
    const b = secp256k1Dh.generateKeyPair();
    let responder: Bolt8Socket | undefined;
    let responderError: Promise<Error> | undefined;
    const delivered: Uint8Array[] = [];
    let seen = 0;
    // Flip one bit in the second packet's body (bytes after act one: act three is 66 bytes).
    const { srv, port } = await server(b, (s) => {
      responder = s;
      responderError = errorOf(s);
      s.on('data', (m: Uint8Array) => delivered.push(m));
    }, (raw) => {
      const orig = raw.emit.bind(raw);
      raw.emit = ((ev: string, ...args: unknown[]) => {
        if (ev === 'data') {
          const chunk = Buffer.from(args[0] as Buffer);
          for (let i = 0; i < chunk.length; i++, seen++) if (seen === 50 + 66 + 39 + 18 + 3) chunk[i] = chunk[i]! ^ 1;
          return orig('data', chunk);
        }
        return orig(ev, ...args);
      }) as typeof raw.emit;
      return raw;
    });
    const c = bolt8Connect({ host: HOST, port, staticKeyPair: a, remoteStaticKey: b.publicKey });
    c.on('error', () => undefined);
    try {
      await within(once(c, 'secure'), 5_000, 'handshake');
      c.write(new TextEncoder().encode('hello')); // 18 + 5 + 16 = 39 bytes
      await within((async () => {
        while (delivered.length === 0) await new Promise((r) => setTimeout(r, 5));
      })(), 5_000, 'first message delivered');
      c.write(new TextEncoder().encode('world, tampered'));
      const err = await within((async () => {
        while (!responderError) await new Promise((r) => setTimeout(r, 5));
        return responderError;
      })(), 5_000, 'responder error');
      expect(isNoiseError(err, 'ERR_NOISE_DECRYPT'), String(err)).to.equal(true);
      expect(delivered.map((m) => new TextDecoder().decode(m))).to.deep.equal(['hello']);
    } finally {
      await closeAll(srv, c, responder);
    }
  });
});
