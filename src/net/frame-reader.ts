import { concat, copyBytes, EMPTY } from '../bytes.js';

/**
 * Reads 16-bit-length frames (spec section 13) off a stream, keeping what follows them: the
 * handshake of a Noise Pipe (net/pipes.ts), and the bytes a relay holds for a client still
 * waiting (net/relay-server.ts). Chunks are held as received and joined once a frame is complete:
 * joining on every chunk would copy up to a frame per byte for a peer that sends a byte at a time.
 */
export class FrameReader {
  #chunks: Uint8Array[] = [];
  #size = 0;
  /** Adds received bytes (held, not copied: the caller must not change them). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }
  /** The bytes held, as one array (joined at most once per frame). */
  #joined(): Uint8Array {
    if (this.#chunks.length > 1) this.#chunks = [concat(...this.#chunks)];
    return this.#chunks[0] ?? EMPTY;
  }
  /** The next whole frame's body (a copy of its own), or undefined until it is complete. */
  next(): Uint8Array | undefined {
    if (this.#size < 2) return undefined;
    const head = this.#chunks[0]!.length >= 2 ? this.#chunks[0]! : this.#joined();
    const len = (head[0]! << 8) | head[1]!;
    if (this.#size < 2 + len) return undefined;
    const buf = this.#joined();
    const frame = copyBytes(buf, 2, 2 + len); // a copy even when buf is a Buffer (whose slice() is a view)
    const rest = buf.subarray(2 + len);
    this.#chunks = rest.length ? [rest] : [];
    this.#size = rest.length;
    return frame;
  }
  /** A copy of every byte held (what follows the frames read). */
  get rest(): Uint8Array {
    return new Uint8Array(this.#joined());
  }
  /** How many bytes are held. */
  get size(): number {
    return this.#size;
  }
}
