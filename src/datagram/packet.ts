/**
 * UDP packet layout of noisekit's datagram mode (spec sections 11.4 and 13: framing and
 * negotiation are the application's job). One Noise message per UDP datagram:
 *
 * - `0x01 | index (1 byte) | handshake message`: handshake message number `index` (0-based), so
 *   a retransmitted or duplicated message is recognised;
 * - `0x02 | nonce (8 bytes, big-endian) | ciphertext`: a transport message (datagram-transport.ts).
 *   An empty plaintext is an acknowledgement/keepalive and is never delivered to the application.
 */
import { NoiseError } from '../errors.js';

/** Packet kind of a handshake message: `0x01 | index | message`. */
export const PACKET_HANDSHAKE = 0x01;
/** Packet kind of a transport message: `0x02 | nonce | ciphertext`. */
export const PACKET_TRANSPORT = 0x02;

/** A decoded packet. */
export type Packet =
  | { kind: 'handshake'; index: number; message: Uint8Array }
  | { kind: 'transport'; datagram: Uint8Array };

/** Encodes handshake message `index`. */
export function encodeHandshake(index: number, message: Uint8Array): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index > 255) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'handshake index must be 0..255');
  const out = new Uint8Array(message.length + 2);
  out[0] = PACKET_HANDSHAKE;
  out[1] = index;
  out.set(message, 2);
  return out;
}

/** Encodes a transport datagram (`nonce || ciphertext`). */
export function encodeTransport(datagram: Uint8Array): Uint8Array {
  const out = new Uint8Array(datagram.length + 1);
  out[0] = PACKET_TRANSPORT;
  out.set(datagram, 1);
  return out;
}

/** Decodes a packet, or throws ERR_NOISE_MALFORMED_MESSAGE (views into `packet`, no copies). */
export function decodePacket(packet: Uint8Array): Packet {
  if (packet.length >= 2 && packet[0] === PACKET_HANDSHAKE) return { kind: 'handshake', index: packet[1]!, message: packet.subarray(2) };
  if (packet.length >= 1 && packet[0] === PACKET_TRANSPORT) return { kind: 'transport', datagram: packet.subarray(1) };
  throw new NoiseError('ERR_NOISE_MALFORMED_MESSAGE', `unknown packet (${packet.length} bytes, kind 0x${(packet[0] ?? 0).toString(16)})`);
}
