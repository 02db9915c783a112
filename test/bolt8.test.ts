/**
 * Lightning BOLT #8, Appendix A (../shared/vectors/bolt8.json, 16 cases): both successful
 * handshakes, every failure case with its error, and the transport messages 0, 1, 500, 501,
 * 1000, 1001 byte-exact (two key rotations). Keys are checked against ChaCha20-Poly1305 from
 * @noble/ciphers keyed with the vector's sk/rk, not against our own transport code.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { Bolt8Handshake } from '../src/profiles/bolt8.js';
import { Bolt8Transport, Bolt8Reader } from '../src/profiles/bolt8-transport.js';
import { bytesAllocatedBy } from './support/count-arrays.js';
import { kFixedEphemeral } from '../src/engine/internal.js';
import { secp256k1Dh } from '../src/crypto/secp256k1.js';
import { isNoiseError, type NoiseErrorCode } from '../src/errors.js';
import { fromHex, toHex } from '../src/bytes.js';
import { VECTORS_DIR, vectorFile } from './support/vectors-dir.js';

type Step = Record<string, string | { sk: string; rk: string }>;
interface Case {
  name: string;
  steps: Step[];
  'rs.pub'?: string;
  'ls.priv'?: string;
  'ls.pub'?: string;
  'e.priv'?: string;
  'e.pub'?: string;
  ck?: string;
  sk?: string;
  rk?: string;
  plaintext?: string;
  count?: number;
}

/** The BOLT 8 error names of Appendix A and the NoiseError code each must produce. */
const ERROR_CODES: Record<string, NoiseErrorCode> = {
  READ_FAILED: 'ERR_NOISE_MALFORMED_MESSAGE',
  BAD_VERSION: 'ERR_NOISE_UNKNOWN_VERSION',
  BAD_PUBKEY: 'ERR_NOISE_DH',
  BAD_TAG: 'ERR_NOISE_DECRYPT',
  BAD_CIPHERTEXT: 'ERR_NOISE_DECRYPT',
};

/** `ERROR (ACT2_BAD_VERSION 1)` -> the expected code. */
function expectedCode(output: string): NoiseErrorCode {
  const m = /^ERROR \(ACT\d_([A-Z_]+)/.exec(output);
  if (!m || !ERROR_CODES[m[1]!]) throw new Error(`unknown error in vector: ${output}`);
  return ERROR_CODES[m[1]!]!;
}

/** ChaCha20-Poly1305 with the BOLT 8 nonce (4 zero bytes, LE64 n), from @noble/ciphers. */
function refSeal(key: Uint8Array, n: number, pt: Uint8Array): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, BigInt(n), true);
  return chacha20poly1305(key, nonce, new Uint8Array(0)).encrypt(pt);
}

/** A reference packet for message m under key k at nonces n, n+1 (no rotation: n < 998). */
function refPacket(k: Uint8Array, n: number, m: Uint8Array): Uint8Array {
  const l = Uint8Array.of(m.length >> 8, m.length & 0xff);
  return Buffer.concat([refSeal(k, n, l), refSeal(k, n + 1, m)]);
}

/** Checks a transport's keys against the vector's sk and rk with the reference cipher. */
function checkKeys(t: Bolt8Transport, sk: Uint8Array, rk: Uint8Array): void {
  const hello = new TextEncoder().encode('hello');
  expect(toHex(t.encrypt(hello)), 'sk').to.equal(toHex(refPacket(sk, 0, hello)));
  expect(new TextDecoder().decode(t.decrypt(refPacket(rk, 0, hello))), 'rk').to.equal('hello');
}

const path = vectorFile('bolt8.json');

describe('BOLT 8 (bolt8.json, Appendix A)', function () {
  if (!path) {
    it(`bolt8.json (not found in ${VECTORS_DIR})`, function () {
      this.skip();
    });
    return;
  }
  const cases = (JSON.parse(readFileSync(path, 'utf8')) as { cases: Case[] }).cases;

  it('has the 16 cases of Appendix A', () => {
    expect(cases).to.have.length(16);
  });

  for (const backend of ['stablelib', 'node'] as const) {
    for (const c of cases.filter((x) => x.name !== 'transport-message test')) {
      it(`${backend}: ${c.name}`, () => {
        const initiator = c.name.startsWith('transport-initiator');
        const ls = secp256k1Dh.keyPairFromPrivate(fromHex(c['ls.priv']!));
        expect(toHex(ls.publicKey), 'ls.pub').to.equal(c['ls.pub']);
        const e = secp256k1Dh.keyPairFromPrivate(fromHex(c['e.priv']!));
        expect(toHex(e.publicKey), 'e.pub').to.equal(c['e.pub']);
        const hs = new Bolt8Handshake({
          initiator,
          staticKeyPair: ls,
          remoteStaticKey: initiator ? fromHex(c['rs.pub']!) : undefined,
          backend,
          [kFixedEphemeral]: e,
        });
        let checked = 0;
        for (let i = 0; i < c.steps.length; i++) {
          const step = c.steps[i]!;
          const next = c.steps[i + 1]?.output;
          if (typeof step.input === 'string') {
            const act = fromHex(step.input);
            if (typeof next === 'string' && next.startsWith('ERROR')) {
              const code = expectedCode(next);
              expect(() => hs.readAct(act), next).to.throw().that.satisfies((err: unknown) => isNoiseError(err, code));
              expect(hs.action).to.equal('failed');
              i++;
              checked++;
            } else {
              hs.readAct(act);
            }
          } else if (typeof step.output === 'string') {
            expect(step.output.startsWith('ERROR'), 'an ERROR output must follow an input').to.equal(false);
            expect(toHex(hs.writeAct())).to.equal(step.output);
          } else if (step.output && typeof step.output === 'object') {
            expect(hs.isFinished).to.equal(true);
            checkKeys(hs.split(), fromHex(step.output.sk), fromHex(step.output.rk));
          } else {
            throw new Error(`unknown step ${JSON.stringify(step)}`);
          }
          checked++;
        }
        expect(checked).to.be.greaterThan(1);
      });
    }

    it(`${backend}: transport-message test (1002 messages, outputs 0, 1, 500, 501, 1000, 1001)`, () => {
      const c = cases.find((x) => x.name === 'transport-message test')!;
      const keys = { ck: fromHex(c.ck!), sk: fromHex(c.sk!), rk: fromHex(c.rk!) };
      const sender = Bolt8Transport.fromKeys(keys, { backend });
      const receiver = Bolt8Transport.fromKeys({ ck: keys.ck, sk: keys.rk, rk: keys.sk }, { backend });
      const expected = new Map<number, string>();
      for (const s of c.steps) for (const [k, v] of Object.entries(s)) expected.set(Number(k.replace('output ', '')), v as string);
      expect([...expected.keys()]).to.deep.equal([0, 1, 500, 501, 1000, 1001]);
      const m = fromHex(c.plaintext!);
      let compared = 0;
      for (let i = 0; i < c.count!; i++) {
        const packet = sender.encrypt(m);
        const want = expected.get(i);
        if (want !== undefined) {
          expect(toHex(packet), `output ${i}`).to.equal(want);
          compared++;
        }
        expect(toHex(receiver.decrypt(packet))).to.equal(c.plaintext);
      }
      expect(compared).to.equal(6);
    });
  }

  it('the final ck taken from the handshake (kFinalChainingKey hook) drives rotation: the initiator of the successful handshake reproduces outputs 500 and 1001', () => {
    const hsCase = cases.find((x) => x.name === 'transport-initiator successful handshake')!;
    const msgCase = cases.find((x) => x.name === 'transport-message test')!;
    const hs = new Bolt8Handshake({
      initiator: true,
      staticKeyPair: secp256k1Dh.keyPairFromPrivate(fromHex(hsCase['ls.priv']!)),
      remoteStaticKey: fromHex(hsCase['rs.pub']!),
      [kFixedEphemeral]: secp256k1Dh.keyPairFromPrivate(fromHex(hsCase['e.priv']!)),
    });
    hs.writeAct();
    hs.readAct(fromHex(hsCase.steps[1]!.input as string));
    hs.writeAct();
    const t = hs.split();
    const want = Object.assign({}, ...msgCase.steps) as Record<string, string>;
    const m = fromHex(msgCase.plaintext!);
    const got: Record<string, string> = {};
    for (let i = 0; i < 1002; i++) {
      const p = toHex(t.encrypt(m));
      if (`output ${i}` in want) got[`output ${i}`] = p;
    }
    expect(got).to.deep.equal(want);
  });

  it('initiator and responder interoperate, and the handshake hash and node ids agree', () => {
    const a = secp256k1Dh.generateKeyPair();
    const b = secp256k1Dh.generateKeyPair();
    const ini = new Bolt8Handshake({ initiator: true, staticKeyPair: a, remoteStaticKey: b.publicKey });
    const res = new Bolt8Handshake({ initiator: false, staticKeyPair: b });
    res.readAct(ini.writeAct());
    ini.readAct(res.writeAct());
    res.readAct(ini.writeAct());
    expect(toHex(res.remoteStaticKey!)).to.equal(toHex(a.publicKey));
    expect(toHex(res.handshakeHash)).to.equal(toHex(ini.handshakeHash));
    const ti = ini.split();
    const tr = res.split();
    const reader = new Bolt8Reader(tr);
    const msgs: string[] = [];
    // 1200 messages (two rotations each way), delivered in awkward chunks.
    let stream = new Uint8Array(0);
    for (let i = 0; i < 1200; i++) stream = Buffer.concat([stream, ti.encrypt(new TextEncoder().encode(`m${i}`))]);
    for (let off = 0; off < stream.length; off += 7) for (const m of reader.push(stream.subarray(off, off + 7))) msgs.push(new TextDecoder().decode(m));
    expect(msgs).to.have.length(1200);
    expect(msgs[1199]).to.equal('m1199');
    expect(reader.buffered).to.equal(0);
    expect(new TextDecoder().decode(ti.decrypt(tr.encrypt(new Uint8Array(65535))))).to.have.length(65535);
  });

  it('Bolt8Reader: a 65,535-byte message pushed a byte at a time is joined once, not once per byte (linear copying)', () => {
    const keys = { ck: new Uint8Array(32), sk: new Uint8Array(32).fill(1), rk: new Uint8Array(32).fill(2) };
    const t = Bolt8Transport.fromKeys(keys);
    const u = Bolt8Transport.fromKeys({ ck: keys.ck, sk: keys.rk, rk: keys.sk });
    const msg = new Uint8Array(65535).map((_, i) => i);
    const packet = t.encrypt(msg);
    const reader = new Bolt8Reader(u);
    const got: Uint8Array[] = [];
    const made = bytesAllocatedBy(() => {
      for (let i = 0; i < packet.length; i++) got.push(...reader.push(packet.subarray(i, i + 1)));
    });
    expect(got).to.have.length(1);
    expect(Buffer.from(got[0]!).equals(msg)).to.equal(true);
    expect(reader.buffered).to.equal(0);
    // each byte is copied once when held and once when the body is joined (+ the plaintext):
    // a few times the packet, where joining per chunk made packet²/2 (about 2 GB)
    expect(made).to.be.below(8 * packet.length);
  });

  it('a wrong node id fails act one at the responder (ERR_NOISE_DECRYPT); a flipped length tag kills the transport', () => {
    const a = secp256k1Dh.generateKeyPair();
    const b = secp256k1Dh.generateKeyPair();
    const wrong = secp256k1Dh.generateKeyPair();
    const ini = new Bolt8Handshake({ initiator: true, staticKeyPair: a, remoteStaticKey: wrong.publicKey });
    const res = new Bolt8Handshake({ initiator: false, staticKeyPair: b });
    expect(() => res.readAct(ini.writeAct())).to.throw().that.satisfies((e: unknown) => isNoiseError(e, 'ERR_NOISE_DECRYPT'));
    expect(() => res.writeAct()).to.throw().that.satisfies((e: unknown) => isNoiseError(e, 'ERR_NOISE_INVALID_STATE'));

    const t = Bolt8Transport.fromKeys({ ck: new Uint8Array(32), sk: new Uint8Array(32).fill(1), rk: new Uint8Array(32).fill(2) });
    const u = Bolt8Transport.fromKeys({ ck: new Uint8Array(32), sk: new Uint8Array(32).fill(2), rk: new Uint8Array(32).fill(1) });
    const p = t.encrypt(Uint8Array.of(1, 2, 3));
    p[17] = p[17]! ^ 0x80;
    expect(() => u.decrypt(p)).to.throw().that.satisfies((e: unknown) => isNoiseError(e, 'ERR_NOISE_DECRYPT'));
    expect(() => u.decrypt(t.encrypt(Uint8Array.of(1)))).to.throw().that.satisfies((e: unknown) => isNoiseError(e, 'ERR_NOISE_INVALID_STATE'));
    expect(() => t.encrypt(new Uint8Array(65536))).to.throw().that.satisfies((e: unknown) => isNoiseError(e, 'ERR_NOISE_MESSAGE_TOO_LONG'));
  });

  it('bad keys are refused up front: an uncompressed or off-curve remote node id is ERR_NOISE_INVALID_KEY, a missing one ERR_NOISE_MISSING_KEY', () => {
    const a = secp256k1Dh.generateKeyPair();
    const offCurve = new Uint8Array(33).fill(0xff);
    offCurve[0] = 2;
    for (const rs of [offCurve, Uint8Array.of(4, ...new Uint8Array(32))]) {
      expect(() => new Bolt8Handshake({ initiator: true, staticKeyPair: a, remoteStaticKey: rs })).to.throw().that.satisfies((e: unknown) => isNoiseError(e, 'ERR_NOISE_INVALID_KEY'));
    }
    expect(() => new Bolt8Handshake({ initiator: true, staticKeyPair: a })).to.throw().that.satisfies((e: unknown) => isNoiseError(e, 'ERR_NOISE_MISSING_KEY'));
  });
});
