/**
 * Half-duplex transport (Noise spec section 11.5): the first CipherState of Split() encrypts the
 * messages of both parties, the second is wiped, and one nonce counts every message in both
 * directions. This is only safe if the parties strictly alternate, so it needs an explicit
 * opt-in, and this wrapper enforces the alternation on each side: sending out of turn, or
 * receiving when it is our turn to send, is ERR_NOISE_INVALID_STATE and changes nothing.
 *
 * It wraps a TransportState (which is not changed) and takes it over.
 */
import { CipherState } from './cipher-state.js';
import { MAX_PLAINTEXT_LENGTH, TransportState } from './transport-state.js';
import { MAX_MESSAGE_LENGTH } from './cipher-state.js';
import { NoiseError } from '../errors.js';
import { checkBytes, EMPTY } from '../bytes.js';

/** Options of a HalfDuplexTransport. */
export interface HalfDuplexOptions {
  /**
   * Must be `true`: both parties strictly alternate. Spec 11.5: if both ever encrypt with the same
   * nonce, it is "a catastrophic security failure".
   */
  acknowledgeStrictAlternation: true;
  /** This party's role in the handshake (the initiator's sending CipherState is the first one). */
  initiator: boolean;
  /** Who sends the first transport message (default `initiator`). Both parties must agree. */
  firstSender?: 'initiator' | 'responder';
}

/** Strictly alternating transport with one CipherState (section 11.5). */
export class HalfDuplexTransport {
  readonly #c1: CipherState;
  readonly #handshakeHash: Uint8Array;
  #myTurn: boolean;

  /** Takes over `transport`: its second CipherState is wiped at once. */
  constructor(transport: TransportState, options: HalfDuplexOptions) {
    if (!options || options.acknowledgeStrictAlternation !== true) {
      throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'half-duplex mode needs { acknowledgeStrictAlternation: true } (spec 11.5: nonce reuse if the parties do not strictly alternate)');
    }
    if (!(transport instanceof TransportState)) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'half-duplex wraps a TransportState (from split())');
    if (!transport.canSend || !transport.canReceive) {
      throw new NoiseError('ERR_NOISE_ONE_WAY', 'a one-way pattern\'s transport only goes from sender to recipient; it cannot be half-duplex');
    }
    if (typeof options.initiator !== 'boolean') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options.initiator must be a boolean');
    const first = options.firstSender ?? 'initiator';
    if (first !== 'initiator' && first !== 'responder') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'firstSender must be "initiator" or "responder"');
    const [c1, c2] = options.initiator ? [transport.send, transport.receive] : [transport.receive, transport.send];
    if (!c1.hasKey() || c1.nonce !== 0n || c2.nonce !== 0n) {
      throw new NoiseError('ERR_NOISE_INVALID_STATE', 'half-duplex needs a fresh TransportState (straight from split())');
    }
    c2.wipe();
    this.#c1 = c1;
    this.#handshakeHash = transport.handshakeHash;
    this.#myTurn = (first === 'initiator') === options.initiator;
  }

  /** True when this party sends next. */
  get myTurn(): boolean {
    return this.#myTurn;
  }

  /** The shared nonce: the number of messages so far, in both directions. */
  get nonce(): bigint {
    return this.#c1.nonce;
  }

  /** The handshake hash (section 11.2). */
  get handshakeHash(): Uint8Array {
    return this.#handshakeHash.slice();
  }

  /** Encrypts our message; refused (ERR_NOISE_INVALID_STATE) when it is the peer's turn. */
  encrypt(plaintext: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
    checkBytes('plaintext', plaintext);
    if (!this.#myTurn) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'half-duplex: it is the peer\'s turn to send; sending now would reuse its nonce');
    if (plaintext.length > MAX_PLAINTEXT_LENGTH) throw new NoiseError('ERR_NOISE_MESSAGE_TOO_LONG', `transport plaintext of ${plaintext.length} bytes (max ${MAX_PLAINTEXT_LENGTH})`);
    const ct = this.#c1.encryptWithAd(ad, plaintext);
    this.#myTurn = false;
    return ct;
  }

  /** Decrypts the peer's message; refused when it is our turn. A failed decryption changes nothing. */
  decrypt(ciphertext: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
    checkBytes('ciphertext', ciphertext);
    if (this.#myTurn) throw new NoiseError('ERR_NOISE_INVALID_STATE', 'half-duplex: it is our turn to send, not to receive');
    if (ciphertext.length > MAX_MESSAGE_LENGTH) throw new NoiseError('ERR_NOISE_MESSAGE_TOO_LONG');
    const pt = this.#c1.decryptWithAd(ad, ciphertext);
    this.#myTurn = true;
    return pt;
  }

  /** Rekey() of the one CipherState (section 11.3): both parties must do it at the same point. */
  rekey(): void {
    this.#c1.rekey();
  }

  /** Wipes the key; encrypt and decrypt then throw ERR_NOISE_INVALID_STATE. */
  destroy(): void {
    this.#c1.wipe();
  }
}
