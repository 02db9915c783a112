/**
 * One datagram-mode session without sockets or timers (spec section 11.4): the handshake over
 * lossy, duplicating, reordering datagrams, then a DatagramTransport.
 *
 * Retransmission is driven by the initiator only: on a timer it resends its last handshake
 * message until the reply comes (and, when it wrote the last handshake message, until the first
 * authentic transport packet, its acknowledgement). When it finished by reading (NN, IK, ...),
 * it sends an acknowledgement, a fresh one on every timer tick, until an authentic transport
 * packet comes back: the responder answers every authentic acknowledgement with one of its own,
 * so one lost acknowledgement never leaves a session that only the initiator believes in. The
 * responder never resends on a timer; it answers an exact duplicate of the message it last read
 * with the reply it already wrote (never a second, different reply), or with an acknowledgement
 * once it is finished. A handshake message that fails to authenticate is dropped and changes
 * nothing.
 */
import type { HandshakeAction } from '../engine/handshake-state.js';
import type { TransportState } from '../engine/transport-state.js';
import { NoiseError, isNoiseError } from '../errors.js';
import { copyBytes, equalBytes, EMPTY } from '../bytes.js';
import { checkDatagramOptions, DatagramTransport, type DatagramOptions, type DatagramStats } from './datagram-transport.js';
import { cookieTag } from './cookie.js';
import { decodePacket, encodeCookieEcho, encodeHandshake, encodeTransport, type Packet } from './packet.js';

/**
 * Most times a handshake resends message 1 at once for a new cookie (later cookies wait for the
 * retransmission timer): cookie replies are unauthenticated, and forged ones must not make the
 * client send message 1s at the forger's pace.
 */
const MAX_COOKIE_RESENDS = 4;

/**
 * Most duplicates of a handshake message a session answers (with the reply it already wrote, or
 * an acknowledgement). An initiator retransmits about 8 times within the default 10 s handshake
 * timeout; past this, a duplicate is a replay, and answering each one would let whoever saw a
 * handshake message make this side send replies (larger than it, for message 1) at its pace.
 */
const MAX_DUPLICATE_ANSWERS = 16;

/** What a handshake object must offer: HandshakeState, PipesInitiator and PipesResponder all do. */
export interface HandshakeLike {
  readonly action: HandshakeAction;
  readonly isFinished: boolean;
  /** False once the peer's last handshake message has been read (needed for `verifyPeer`). */
  readonly readsRemain?: boolean;
  readonly handshakeHash: Uint8Array;
  readonly remoteStaticKey: Uint8Array | undefined;
  writeMessage(payload?: Uint8Array): Uint8Array;
  readMessage(message: Uint8Array): Uint8Array;
  split(): TransportState;
  destroy(): void;
}

/** The result of handling one received packet. */
export interface HandleResult {
  /** Packets to send back, in order. */
  reply: Uint8Array[];
  /** Application data to deliver (authentic, first and only time). */
  data?: Uint8Array;
  /** Why the packet was dropped, if it was. */
  dropped?: 'malformed' | 'handshake-rejected' | 'unexpected-handshake' | 'unexpected-cookie' | 'not-established' | 'replay' | 'forged';
  /**
   * With `verifyPeer`: the peer's last handshake message was read. Check `remoteStaticKey`, then
   * call accept() for what this side sends next (held until then), or destroy().
   */
  verify?: boolean;
  /** True when this packet completed the handshake. */
  established?: boolean;
}

/** Options of a DatagramSession beyond the transport's. */
export interface DatagramSessionOptions {
  /**
   * Hold what this side would send after the peer's last handshake message (the next handshake
   * message, or the acknowledgement) until accept(): the peer is checked before this side
   * reveals more, e.g. its identity in XX message 3 (as NoiseSocket's verifyRemote).
   */
  verifyPeer?: boolean;
}

/** Counters of a session. */
export interface SessionStats extends DatagramStats {
  handshakeRetransmits: number;
  duplicateHandshakes: number;
  droppedHandshakes: number;
  earlyTransport: number;
  /** Initiator: cookie replies taken (message 1 resent with the server's cookie). */
  cookies: number;
}

/**
 * One end of a datagram-mode session. Give it a HandshakeState made with
 * `retryAfterFailedRead: true` (as src/net/udp.ts does): a handshake packet that fails to read is
 * then dropped ('handshake-rejected') and the handshake goes on; without it, one forged packet
 * ends the handshake (section 5.3) and the session can only time out.
 */
export class DatagramSession {
  readonly initiator: boolean;
  readonly #hs: HandshakeLike;
  readonly #options: DatagramOptions;
  #index = 0;
  #lastSent: { index: number; packet: Uint8Array } | undefined;
  #lastRead: { index: number; message: Uint8Array } | undefined;
  #dt: DatagramTransport | undefined;
  #confirmed = false;
  #remoteStatic: Uint8Array | undefined;
  #hash: Uint8Array | undefined;
  readonly #verifyPeer: boolean;
  /** 'waiting': the peer's last message was read and accept() has not been called yet. */
  #verify: 'no' | 'waiting' | 'accepted' = 'no';
  readonly #stats = { handshakeRetransmits: 0, duplicateHandshakes: 0, droppedHandshakes: 0, earlyTransport: 0, cookies: 0 };
  /** Initiator: message 1 as first written (a cookie reply wraps it), and the cookie in use. */
  #first: Uint8Array | undefined;
  #cookie: Uint8Array | undefined;
  #cookieResends = 0;
  #firstTag: Uint8Array | undefined;
  #duplicateAnswers = 0;

  /** Wraps a fresh handshake object (it is owned and destroyed by this session). */
  constructor(hs: HandshakeLike, initiator: boolean, options: DatagramOptions = {}, sessionOptions: DatagramSessionOptions = {}) {
    if (typeof hs !== 'object' || hs === null || typeof hs.writeMessage !== 'function' || typeof hs.readMessage !== 'function') {
      throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'a DatagramSession runs a handshake (HandshakeState, PipesInitiator or PipesResponder)');
    }
    checkDatagramOptions(options);
    this.#hs = hs;
    this.initiator = initiator;
    this.#options = options;
    this.#verifyPeer = sessionOptions?.verifyPeer === true;
  }

  /** Initiator: the first handshake packet. */
  start(): Uint8Array {
    if (!this.initiator || this.#index !== 0) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'only a new initiator starts a session');
    this.#first = this.#write();
    return this.#first;
  }

  /** True once the handshake is complete on this side. */
  get established(): boolean {
    return this.#dt !== undefined;
  }

  /**
   * True once this side knows the peer has finished too and knows that it finished: it received an
   * authentic transport packet, or (responder) read the last handshake message.
   */
  get confirmed(): boolean {
    return this.#confirmed;
  }

  /** The peer's static key, once known. */
  get remoteStaticKey(): Uint8Array | undefined {
    return this.#remoteStatic ?? this.#hs.remoteStaticKey;
  }

  /** The handshake hash (section 11.2), once established. */
  get handshakeHash(): Uint8Array | undefined {
    return this.#hash && copyBytes(this.#hash);
  }

  /** Counters. */
  get stats(): SessionStats {
    const d = this.#dt?.stats ?? { sent: 0, received: 0, replayed: 0, tooOld: 0, forged: 0 };
    return { ...d, ...this.#stats };
  }

  /** The DatagramTransport, once established. */
  get transport(): DatagramTransport | undefined {
    return this.#dt;
  }

  /** Initiator: the packet to resend when the retransmission timer fires, if any. */
  retransmit(): Uint8Array | undefined {
    // While the peer is checked there is nothing to resend: its last message is here.
    if (!this.initiator || this.#confirmed || !this.#lastSent || this.#verify === 'waiting') return undefined;
    this.#stats.handshakeRetransmits++;
    // Finished by reading: a fresh acknowledgement (a resent copy would be a replay to a
    // responder that got the first one and whose answer was lost).
    if (this.#dt && this.#lastSent.index !== this.#index - 1) return this.#ack();
    return this.#lastSent.packet;
  }

  /** Encrypts application data into a transport packet. */
  send(data: Uint8Array): Uint8Array {
    if (!this.#dt) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'the handshake is not finished');
    if (data.length === 0) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'an empty datagram is reserved for acknowledgements');
    return encodeTransport(this.#dt.encrypt(data));
  }

  /** Handles one received packet: never throws for anything the network can send. */
  handle(packet: Uint8Array): HandleResult {
    let p: Packet;
    try {
      p = decodePacket(packet);
    } catch {
      return { reply: [], dropped: 'malformed' };
    }
    if (p.kind === 'handshake') return this.#handshake(p.index, p.message);
    // Cookies are the server's business (net/udp.ts checks them before a session exists); the
    // session reads the handshake packet inside (decodePacket checked that it is one).
    if (p.kind === 'cookie-echo') {
      if (this.initiator) return { reply: [], dropped: 'unexpected-cookie' }; // only ever sent to a responder
      return this.#handshake(p.inner[1]!, p.inner.subarray(2));
    }
    if (p.kind === 'cookie') return this.#cookieReply(p.cookie, p.tag);
    if (!this.#dt) {
      this.#stats.earlyTransport++;
      return { reply: [], dropped: 'not-established' };
    }
    let pt: Uint8Array;
    try {
      pt = this.#dt.decrypt(p.datagram);
    } catch (err) {
      return { reply: [], dropped: isNoiseError(err, 'ERR_NOISE_REPLAY') ? 'replay' : 'forged' };
    }
    this.#confirmed = true;
    if (pt.length > 0) return { reply: [], data: pt };
    // The responder answers an acknowledgement with one of its own: the initiator of a pattern
    // it finished by reading resends acknowledgements until it hears from the responder.
    return { reply: this.initiator ? [] : [this.#ack()] };
  }

  /**
   * Initiator, while message 1 has no answer: a server asks for return routability. Message 1 is
   * sent again wrapped with the cookie, and so are its retransmissions. A reply counts only when
   * its tag is that of our own message 1: forging one takes having seen message 1. A forged reply
   * from someone who did costs a resend (at most MAX_COOKIE_RESENDS at once) and can hold the
   * handshake up while it keeps coming (docs/datagram.md).
   */
  #cookieReply(cookie: Uint8Array, tag: Uint8Array): HandleResult {
    if (!this.initiator || !this.#first || this.#index !== 1 || this.#lastRead) return { reply: [], dropped: 'unexpected-cookie' };
    this.#firstTag ??= cookieTag(this.#first);
    if (!equalBytes(tag, this.#firstTag)) return { reply: [], dropped: 'unexpected-cookie' };
    if (this.#cookie && equalBytes(cookie, this.#cookie)) return { reply: [], dropped: 'unexpected-cookie' };
    this.#cookie = copyBytes(cookie);
    this.#stats.cookies++;
    const packet = encodeCookieEcho(this.#cookie, this.#first);
    this.#lastSent = { index: 0, packet };
    if (this.#cookieResends >= MAX_COOKIE_RESENDS) return { reply: [] };
    this.#cookieResends++;
    return { reply: [packet] };
  }

  #handshake(index: number, message: Uint8Array): HandleResult {
    const last = this.#lastRead;
    if (last && index === last.index && equalBytes(message, last.message)) {
      this.#stats.duplicateHandshakes++;
      if (this.#duplicateAnswers >= MAX_DUPLICATE_ANSWERS) return { reply: [] };
      this.#duplicateAnswers++;
      if (this.#lastSent && this.#lastSent.index === index + 1) return { reply: [this.#lastSent.packet] };
      if (this.#dt) return { reply: [this.#ack()] };
      return { reply: [] };
    }
    if (this.#dt || index !== this.#index || this.#hs.action !== 'read') {
      this.#stats.droppedHandshakes++;
      return { reply: [], dropped: 'unexpected-handshake' };
    }
    try {
      this.#hs.readMessage(message);
    } catch {
      this.#stats.droppedHandshakes++;
      return { reply: [], dropped: 'handshake-rejected' };
    }
    this.#lastRead = { index, message: copyBytes(message) };
    this.#index++;
    if (this.#verifyPeer && this.#verify === 'no' && this.#hs.readsRemain === false) {
      this.#verify = 'waiting';
      return { reply: [], verify: true };
    }
    const reply = this.#afterRead();
    return this.#dt ? { reply, established: true } : { reply };
  }

  /**
   * With `verifyPeer`, after handle() returned `verify`: the peer is accepted. Returns the packets
   * to send now (the next handshake message, or the acknowledgement when this side finished).
   */
  accept(): Uint8Array[] {
    if (this.#verify !== 'waiting') throw new NoiseError('ERR_NOISE_INVALID_STATE', 'accept() follows a handle() that returned verify');
    this.#verify = 'accepted';
    return this.#afterRead();
  }

  /** What follows a read: the next message, or (finished by reading) the acknowledgement. */
  #afterRead(): Uint8Array[] {
    const next = this.#action();
    if (next === 'write') return [this.#write()];
    if (next !== 'split') return [];
    // Finished by reading: acknowledge, so the peer stops retransmitting its last message. The
    // responder now knows that both sides finished; the initiator knows only once the
    // responder answers its acknowledgement (retransmit() resends it until then).
    this.#finish();
    if (!this.initiator) this.#confirmed = true;
    return [this.#ack()];
  }

  #action(): HandshakeAction {
    return this.#hs.action;
  }

  #write(): Uint8Array {
    const packet = encodeHandshake(this.#index, this.#hs.writeMessage(EMPTY));
    this.#lastSent = { index: this.#index, packet };
    this.#index++;
    if (this.#action() === 'split') this.#finish();
    return packet;
  }

  #finish(): void {
    if (this.#dt) return;
    this.#remoteStatic = this.#hs.remoteStaticKey;
    this.#hash = this.#hs.handshakeHash;
    const transport = this.#hs.split();
    try {
      this.#dt = new DatagramTransport(transport, this.#options);
    } catch (err) {
      transport.destroy(); // never leave its keys behind
      throw err;
    }
  }

  #ack(): Uint8Array {
    return encodeTransport(this.#dt!.encrypt(EMPTY));
  }

  /** Wipes every secret. */
  destroy(): void {
    this.#dt?.destroy();
    this.#hs.destroy();
  }
}
