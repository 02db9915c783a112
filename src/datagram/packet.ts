/**
 * UDP packet layout of noisekit's datagram mode (spec sections 11.4 and 13: framing and
 * negotiation are the application's job). One Noise message per UDP datagram:
 *
 * - `0x01 | index (1 byte) | handshake message`: handshake message number `index` (0-based), so
 *   a retransmitted or duplicated message is recognised;
 * - `0x02 | nonce (8 bytes, big-endian) | ciphertext`: a transport message (datagram-transport.ts).
 *   An empty plaintext is an acknowledgement/keepalive and is never delivered to the application;
 * - `0x03 | cookie (16 bytes) | tag (16 bytes)`: a server's cookie reply to a message 1 (cookie.ts);
 * - `0x04 | cookie (16 bytes) | handshake packet`: message 1 resent with the server's cookie.
 */
import { NoiseError } from '../errors.js';
import { COOKIE_LENGTH, COOKIE_TAG_LENGTH } from './cookie.js';

/** Packet kind of a handshake message: `0x01 | index | message`. */
export const PACKET_HANDSHAKE = 0x01;
/** Packet kind of a transport message: `0x02 | nonce | ciphertext`. */
export const PACKET_TRANSPORT = 0x02;

/** Packet kind of a cookie reply: `0x03 | cookie | tag`. */
export const PACKET_COOKIE = 0x03;
/** Packet kind of a message 1 with a cookie: `0x04 | cookie | handshake packet`. */
export const PACKET_COOKIE_ECHO = 0x04;

/** A decoded packet. */
export type Packet =
  | { kind: 'handshake'; index: number; message: Uint8Array }
  | { kind: 'transport'; datagram: Uint8Array }
  | { kind: 'cookie'; cookie: Uint8Array; tag: Uint8Array }
  | { kind: 'cookie-echo'; cookie: Uint8Array; inner: Uint8Array };

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

/** Length of a cookie reply packet. */
export const COOKIE_REPLY_LENGTH = 1 + COOKIE_LENGTH + COOKIE_TAG_LENGTH;

/** Encodes a cookie reply: the cookie, and the tag of the message 1 it answers (cookieTag()). */
export function encodeCookie(cookie: Uint8Array, tag: Uint8Array): Uint8Array {
  if (cookie.length !== COOKIE_LENGTH) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `a cookie is ${COOKIE_LENGTH} bytes`);
  if (tag.length !== COOKIE_TAG_LENGTH) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `a cookie tag is ${COOKIE_TAG_LENGTH} bytes`);
  const out = new Uint8Array(COOKIE_REPLY_LENGTH);
  out[0] = PACKET_COOKIE;
  out.set(cookie, 1);
  out.set(tag, 1 + COOKIE_LENGTH);
  return out;
}

/** Wraps handshake packet `packet` (message 1) with `cookie`. */
export function encodeCookieEcho(cookie: Uint8Array, packet: Uint8Array): Uint8Array {
  if (cookie.length !== COOKIE_LENGTH) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `a cookie is ${COOKIE_LENGTH} bytes`);
  const out = new Uint8Array(1 + COOKIE_LENGTH + packet.length);
  out[0] = PACKET_COOKIE_ECHO;
  out.set(cookie, 1);
  out.set(packet, 1 + COOKIE_LENGTH);
  return out;
}

/** Decodes a packet, or throws ERR_NOISE_MALFORMED_MESSAGE (views into `packet`, no copies). */
export function decodePacket(packet: Uint8Array): Packet {
  if (packet.length >= 2 && packet[0] === PACKET_HANDSHAKE) return { kind: 'handshake', index: packet[1]!, message: packet.subarray(2) };
  if (packet.length >= 1 && packet[0] === PACKET_TRANSPORT) return { kind: 'transport', datagram: packet.subarray(1) };
  if (packet.length === COOKIE_REPLY_LENGTH && packet[0] === PACKET_COOKIE) {
    return { kind: 'cookie', cookie: packet.subarray(1, 1 + COOKIE_LENGTH), tag: packet.subarray(1 + COOKIE_LENGTH) };
  }
  if (packet.length >= 3 + COOKIE_LENGTH && packet[0] === PACKET_COOKIE_ECHO && packet[1 + COOKIE_LENGTH] === PACKET_HANDSHAKE) {
    return { kind: 'cookie-echo', cookie: packet.subarray(1, 1 + COOKIE_LENGTH), inner: packet.subarray(1 + COOKIE_LENGTH) };
  }
  throw new NoiseError('ERR_NOISE_MALFORMED_MESSAGE', `unknown packet (${packet.length} bytes, kind 0x${(packet[0] ?? 0).toString(16)})`);
}
