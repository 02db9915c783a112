/**
 * Message framing for Noise over a byte stream (Noise spec section 13, "Length fields"): every
 * Noise message, handshake or transport, is sent as a 16-bit big-endian length followed by the
 * message. Nothing else is on the wire.
 *
 * The decoder is incremental and bounded: it never holds more than one (partial) frame, and a
 * header that announces more than the allowed maximum is refused as soon as its two bytes arrive.
 */
import { NoiseError } from '../errors.js';
import { MAX_MESSAGE_LENGTH } from '../engine/cipher-state.js';
import { checkBytes } from '../bytes.js';

/** Bytes of the length prefix in front of every message (section 13). */
export const FRAME_HEADER_LENGTH = 2;

/**
 * Encodes one Noise message as a frame: 16-bit big-endian length, then the message.
 * Throws ERR_NOISE_MESSAGE_TOO_LONG over 65535 bytes (section 3).
 */
export function encodeFrame(message: Uint8Array): Uint8Array {
  checkBytes('message', message);
  if (message.length > MAX_MESSAGE_LENGTH) {
    throw new NoiseError('ERR_NOISE_MESSAGE_TOO_LONG', `a Noise message may be at most ${MAX_MESSAGE_LENGTH} bytes, got ${message.length}`);
  }
  const out = new Uint8Array(FRAME_HEADER_LENGTH + message.length);
  out[0] = message.length >>> 8;
  out[1] = message.length & 0xff;
  out.set(message, FRAME_HEADER_LENGTH);
  return out;
}

/**
 * Incremental decoder for the framing above. Feed it the stream's chunks in order with `push`;
 * it returns the complete messages found so far (each a fresh copy) and keeps at most one
 * incomplete frame. Once it has thrown, the stream is out of sync and the decoder must not be
 * used again.
 */
export class FrameDecoder {
  /** Largest message length accepted in a header (default 65535). */
  maxFrameLength: number;
  #header = new Uint8Array(FRAME_HEADER_LENGTH);
  #headerFill = 0;
  #frame: Uint8Array | undefined;
  #frameFill = 0;
  #failed = false;

  /** @param maxFrameLength largest message length to accept, at most 65535. */
  constructor(maxFrameLength: number = MAX_MESSAGE_LENGTH) {
    this.maxFrameLength = checkMax(maxFrameLength);
  }

  /**
   * Consumes a chunk and returns every message it completes, in order. Throws
   * ERR_NOISE_MESSAGE_TOO_LONG when a header announces more than `maxFrameLength`.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    checkBytes('chunk', chunk);
    if (this.#failed) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'the frame decoder failed earlier; the stream is out of sync');
    const out: Uint8Array[] = [];
    let off = 0;
    while (off < chunk.length || (this.#headerFill === FRAME_HEADER_LENGTH && this.#frame === undefined)) {
      if (this.#frame === undefined) {
        if (this.#headerFill < FRAME_HEADER_LENGTH) {
          this.#header[this.#headerFill++] = chunk[off++]!;
          if (this.#headerFill < FRAME_HEADER_LENGTH) continue;
        }
        const length = (this.#header[0]! << 8) | this.#header[1]!;
        if (length > this.maxFrameLength) {
          this.#failed = true;
          throw new NoiseError('ERR_NOISE_MESSAGE_TOO_LONG', `a frame announces ${length} bytes (max ${this.maxFrameLength})`);
        }
        this.#frame = new Uint8Array(length);
        this.#frameFill = 0;
      }
      const take = Math.min(this.#frame.length - this.#frameFill, chunk.length - off);
      this.#frame.set(chunk.subarray(off, off + take), this.#frameFill);
      this.#frameFill += take;
      off += take;
      if (this.#frameFill === this.#frame.length) {
        out.push(this.#frame);
        this.#frame = undefined;
        this.#headerFill = 0;
      }
    }
    return out;
  }

  /** Bytes held for the incomplete frame (header included); never more than one frame. */
  get buffered(): number {
    return this.#headerFill + (this.#frame ? this.#frameFill : 0);
  }

  /** True when no partial frame is held (a clean boundary between frames). */
  get atBoundary(): boolean {
    return this.#headerFill === 0;
  }
}

function checkMax(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_MESSAGE_LENGTH) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `maxFrameLength must be an integer in [0, ${MAX_MESSAGE_LENGTH}]`);
  }
  return n;
}
