/**
 * Framing (spec section 13): 16-bit big-endian length prefix. Expected bytes are built
 * independently with Buffer#writeUInt16BE.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { encodeFrame, FrameDecoder, FRAME_GATHER_MIN, writeFrame } from '../src/net/framing.js';
import { isNoiseError } from '../src/errors.js';
import { FrameReader } from '../src/net/frame-reader.js';
import { bytesAllocatedBy } from './support/count-arrays.js';

function reference(msg: Uint8Array): Buffer {
  const h = Buffer.alloc(2);
  h.writeUInt16BE(msg.length);
  return Buffer.concat([h, msg]);
}

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(isNoiseError(err), String(err)).to.equal(true);
    expect((err as { code: string }).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe('net framing', () => {
  it('encodes 0, 1, 255, 256 and 65535 byte messages with a big-endian length', () => {
    for (const n of [0, 1, 255, 256, 65535]) {
      const msg = randomBytes(n);
      expect(Buffer.from(encodeFrame(msg)).equals(reference(msg)), `length ${n}`).to.equal(true);
    }
  });

  it('refuses a message over 65535 bytes', () => {
    expectCode(() => encodeFrame(new Uint8Array(65536)), 'ERR_NOISE_MESSAGE_TOO_LONG');
  });

  for (const views of [false, true]) {
  it(`decodes frames merged into one chunk and split at every possible byte boundary${views ? ' (views)' : ''}`, () => {
    const msgs = [0, 1, 2, 100, 65535, 0, 17].map((n) => new Uint8Array(randomBytes(n)));
    const wire = Buffer.concat(msgs.map(reference));
    // merged
    const merged = new FrameDecoder(undefined, { views }).push(wire);
    expect(merged.map((m) => Buffer.from(m).toString('hex'))).to.deep.equal(msgs.map((m) => Buffer.from(m).toString('hex')));
    // one byte at a time, and random splits
    for (const split of ['bytes', 'random', 'random', 'random']) {
      const dec = new FrameDecoder(undefined, { views });
      const out: Uint8Array[] = [];
      for (let off = 0; off < wire.length; ) {
        const n = split === 'bytes' ? 1 : 1 + Math.floor(Math.random() * 5000);
        out.push(...dec.push(wire.subarray(off, off + n)));
        expect(dec.buffered).to.be.at.most(2 + 65535);
        off += n;
      }
      expect(out.length).to.equal(msgs.length);
      out.forEach((m, i) => expect(Buffer.from(m).equals(Buffer.from(msgs[i]!))).to.equal(true));
      expect(dec.buffered).to.equal(0);
    }
  });
  }

  it('holds at most one partial frame and reports exactly what it holds', () => {
    const dec = new FrameDecoder();
    expect(dec.push(Uint8Array.of(0x01))).to.deep.equal([]);
    expect(dec.buffered).to.equal(1);
    expect(dec.push(Uint8Array.of(0x00, 7, 7, 7))).to.deep.equal([]); // announces 256 bytes
    expect(dec.buffered).to.equal(5);
    const done = dec.push(new Uint8Array(253 + 3).fill(0xff)); // completes it, then 3 bytes of the next one (announcing 65535)
    expect(done.length).to.equal(1);
    expect(done[0]!.length).to.equal(256);
    expect(dec.buffered).to.equal(3);
  });

  it('returns copies, not views of the input chunk', () => {
    const wire = reference(Uint8Array.of(1, 2, 3));
    const [m] = new FrameDecoder().push(wire);
    wire.fill(0);
    expect(Array.from(m!)).to.deep.equal([1, 2, 3]);
  });

  it('with views, returns frames that lie whole in a chunk as views of it, and assembles split ones in arrays of their own', () => {
    const wire = Buffer.concat([reference(Uint8Array.of(1, 2, 3)), reference(Uint8Array.of(4, 5, 6, 7))]);
    const dec = new FrameDecoder(undefined, { views: true });
    const [a, b] = dec.push(wire.subarray(0, 8)); // the first frame whole, 3 bytes of the second
    expect(b).to.equal(undefined);
    expect(a!.buffer).to.equal(wire.buffer);
    expect(a!.byteOffset).to.equal(wire.byteOffset + 2);
    const [c] = dec.push(wire.subarray(8));
    expect(c!.buffer).to.not.equal(wire.buffer);
    wire.fill(0);
    expect(Array.from(a!)).to.deep.equal([0, 0, 0]); // a view: changes with the chunk
    expect(Array.from(c!)).to.deep.equal([4, 5, 6, 7]); // assembled: its own bytes
  });

  it('writeFrame writes small messages as one frame and large ones as length then message, uncopied', () => {
    for (const n of [0, 1, FRAME_GATHER_MIN - 1, FRAME_GATHER_MIN, 65535]) {
      const msg = new Uint8Array(randomBytes(n));
      const chunks: Uint8Array[] = [];
      const sink = new Writable({ write: (c: Uint8Array, _e, cb) => (chunks.push(c), cb()) });
      expect(writeFrame(sink, msg)).to.equal(true);
      expect(Buffer.concat(chunks).equals(reference(msg)), `${n} bytes`).to.equal(true);
      expect(chunks.length).to.equal(n < FRAME_GATHER_MIN ? 1 : 2);
      if (n >= FRAME_GATHER_MIN) expect(chunks[1]!.buffer).to.equal(msg.buffer);
    }
    const sink = new Writable({ write: (_c, _e, cb) => expect.fail('nothing may be written') });
    expectCode(() => writeFrame(sink, new Uint8Array(65536)), 'ERR_NOISE_MESSAGE_TOO_LONG');
    expectCode(() => writeFrame(sink, 'text' as unknown as Uint8Array), 'ERR_NOISE_INVALID_ARGUMENT');
  });

  it('refuses a header above maxFrameLength at once, then refuses further use', () => {
    const dec = new FrameDecoder(100);
    expect(dec.push(reference(new Uint8Array(100))).length).to.equal(1);
    expectCode(() => dec.push(Uint8Array.of(0, 101)), 'ERR_NOISE_MESSAGE_TOO_LONG');
    expectCode(() => dec.push(Uint8Array.of(0)), 'ERR_NOISE_INVALID_STATE');
    expectCode(() => new FrameDecoder(65536), 'ERR_NOISE_INVALID_ARGUMENT');
  });
});

describe('FrameReader (Pipes handshake, relay early bytes)', () => {
  it('reads frames split at every byte and merged, keeps what follows them, and returns copies', () => {
    const frames = [randomBytes(0), randomBytes(1), randomBytes(300), randomBytes(65535)];
    const tail = randomBytes(5);
    const stream = Buffer.concat([...frames.map(reference), tail]);
    for (const step of [1, 2, 3, 1000, stream.length]) {
      const r = new FrameReader();
      const got: Uint8Array[] = [];
      for (let off = 0; off < stream.length; off += step) {
        r.push(stream.subarray(off, off + step));
        for (let f = r.next(); f; f = r.next()) got.push(f);
      }
      expect(got.map((g) => Buffer.from(g).toString('hex')), `step ${step}`).to.deep.equal(frames.map((f) => f.toString('hex')));
      expect(got.every((g) => g.constructor === Uint8Array && g.buffer !== stream.buffer), 'copies').to.equal(true);
      // what it holds is its own copy: a chunk changed after push() changes nothing
      const held = new FrameReader();
      const chunk = Uint8Array.from(reference(Uint8Array.of(1, 2, 3)).subarray(0, 4));
      held.push(chunk);
      chunk.fill(0);
      held.push(Uint8Array.of(3));
      expect([...held.next()!]).to.deep.equal([1, 2, 3]);
      expect(r.size).to.equal(tail.length);
      expect(Buffer.from(r.rest).equals(tail)).to.equal(true);
    }
  });

  it('a 65,535-byte frame pushed a byte at a time is joined once, not once per byte (linear copying)', () => {
    const stream = reference(randomBytes(65535));
    const r = new FrameReader();
    let frame: Uint8Array | undefined;
    const made = bytesAllocatedBy(() => {
      for (let i = 0; i < stream.length; i++) {
        r.push(stream.subarray(i, i + 1));
        frame = r.next() ?? frame;
      }
    });
    expect(frame && Buffer.from(frame).equals(stream.subarray(2))).to.equal(true);
    expect(made).to.be.below(8 * stream.length); // doubling growth and the frame itself; per byte it was stream²/2
  });
});
