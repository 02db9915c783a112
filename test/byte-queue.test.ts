/**
 * ByteQueue (src/byte-queue.ts): the buffer under the readers that take attacker bytes a chunk
 * at a time (FrameReader, Bolt8Reader). Checked against a plain array of bytes as the model.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ByteQueue } from '../src/byte-queue.js';

describe('ByteQueue', () => {
  it('takes out exactly the bytes pushed, in order, for random chunk and take sizes (model: a plain array)', () => {
    const q = new ByteQueue();
    const model: number[] = [];
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let step = 0; step < 5000; step++) {
      if (rand(2) === 0) {
        const chunk = randomBytes(rand(3) === 0 ? rand(5000) : rand(20));
        q.push(chunk);
        model.push(...chunk);
      } else if (q.length > 0) {
        const n = 1 + rand(q.length);
        expect(q.at(0)).to.equal(model[0]);
        expect([...q.peek(n)]).to.deep.equal(model.slice(0, n));
        const out = rand(2) === 0 ? q.take(n) : (q.skip(n), undefined);
        const want = model.splice(0, n);
        if (out) expect([...out]).to.deep.equal(want);
      }
      expect(q.length).to.equal(model.length);
    }
  });

  it('copies what it is given: the caller may reuse a chunk at once', () => {
    const q = new ByteQueue();
    const chunk = Uint8Array.of(1, 2, 3);
    q.push(chunk);
    chunk.fill(9);
    const taken = q.take(3);
    expect([...taken]).to.deep.equal([1, 2, 3]);
    q.push(Uint8Array.of(4));
    expect([...taken], 'a taken array is its own').to.deep.equal([1, 2, 3]);
  });

  it('holds one array of about the bytes held, however they arrive: 65,537 one-byte chunks, and a long stream taken as it comes', () => {
    const q = new ByteQueue();
    for (let i = 0; i < 65537; i++) q.push(new Uint8Array(1).fill(i & 0xff));
    expect(q.length).to.equal(65537);
    expect(q.capacity).to.be.at.most(2 * 65537);
    expect(q.take(65537).every((b, i) => b === (i & 0xff))).to.equal(true);
    expect(q.capacity, 'released once empty').to.be.at.most(4096);
    // 4 MiB through, never more than ~100 bytes held: the array stays small
    let max = 0;
    for (let i = 0; i < 4 << 20; i += 37) {
      q.push(new Uint8Array(37));
      if (q.length > 60) q.skip(q.length - 20);
      max = Math.max(max, q.capacity);
    }
    expect(max).to.be.at.most(256);
  });
});
