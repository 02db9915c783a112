/**
 * Noise Pipes negotiation bytes (spec sections 10.3 and 13).
 *
 * Noise leaves negotiation data to the application (section 13). Noise Pipes needs exactly two
 * bytes of it per handshake, one before each of the first two handshake messages, naming the
 * pattern that the message belongs to:
 *
 * | byte | message 1 (client -> server)        | message 2 (server -> client)                 |
 * | ---- | ----------------------------------- | -------------------------------------------- |
 * | 0x00 | `XX` (`-> e`), full handshake       | `XX` message 2 (answer to 0x00 only)         |
 * | 0x01 | `IK` (`-> e, es, s, ss`), zero-RTT  | `IK` message 2 (answer to 0x01 only)         |
 * | 0x02 | not allowed                         | `XXfallback` message 1 (answer to 0x01 only) |
 *
 * Message 3 (only in `XX` and `XXfallback`) and every transport message carry no negotiation
 * byte. Any other byte, or an answer that does not fit the question, is ERR_NOISE_NEGOTIATION.
 */
import { NoiseError } from '../errors.js';

/** The three protocols of a Noise Pipe (section 10.4). */
export type PipesMode = 'XX' | 'IK' | 'XXfallback';

/** The negotiation byte of each mode. */
export const PIPES_TYPE: Readonly<Record<PipesMode, number>> = { XX: 0x00, IK: 0x01, XXfallback: 0x02 };

/** Prefixes a handshake message with the negotiation byte of `mode`. */
export function withType(mode: PipesMode, message: Uint8Array): Uint8Array {
  const out = new Uint8Array(message.length + 1);
  out[0] = PIPES_TYPE[mode];
  out.set(message, 1);
  return out;
}

/**
 * Splits a received message into its mode and the Noise message proper (a view), checking that
 * the byte is one of `allowed`.
 */
export function readType(message: Uint8Array, allowed: readonly PipesMode[]): { mode: PipesMode; body: Uint8Array } {
  if (!(message instanceof Uint8Array)) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'message must be a Uint8Array');
  if (message.length === 0) throw new NoiseError('ERR_NOISE_MALFORMED_MESSAGE', 'empty Noise Pipes handshake message (no negotiation byte)');
  const byte = message[0]!;
  const mode = allowed.find((m) => PIPES_TYPE[m] === byte);
  if (!mode) {
    throw new NoiseError('ERR_NOISE_NEGOTIATION', `negotiation byte 0x${byte.toString(16).padStart(2, '0')} is not allowed here (expected ${allowed.map((m) => `0x0${PIPES_TYPE[m]} ${m}`).join(' or ')})`);
  }
  return { mode, body: message.subarray(1) };
}
