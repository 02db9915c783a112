import { ByteQueue } from '../byte-queue.js';

/**
 * Reads 16-bit-length frames (spec section 13) off a stream, keeping what follows them: the
 * handshake of a Noise Pipe (net/pipes.ts), and the bytes a relay holds for a client still
 * waiting (net/relay-server.ts). The bytes go into one growable array (ByteQueue): a peer that
 * sends a frame a byte at a time costs linear copying and about the bytes it sent in memory.
 */
export class FrameReader {
  readonly #queue = new ByteQueue();

  /** Adds received bytes (copied: the caller may reuse the chunk). */
  push(chunk: Uint8Array): void {
    this.#queue.push(chunk);
  }

  /** The next whole frame's body (an array of its own), or undefined until it is complete. */
  next(): Uint8Array | undefined {
    const q = this.#queue;
    if (q.length < 2) return undefined;
    const len = (q.at(0) << 8) | q.at(1);
    if (q.length < 2 + len) return undefined;
    q.skip(2);
    return q.take(len);
  }

  /** A copy of every byte held (what follows the frames read). */
  get rest(): Uint8Array {
    return this.#queue.peek(this.#queue.length).slice();
  }

  /** How many bytes are held. */
  get size(): number {
    return this.#queue.length;
  }
}
