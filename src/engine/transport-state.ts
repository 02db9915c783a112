/**
 * TransportState: the two CipherStates returned by Split() (section 5.2), one for sending and
 * one for receiving, with the handshake hash for channel binding (section 11.2) and rekey
 * (section 11.3). Transport messages use zero-length associated data unless `ad` is given.
 */
import { CipherState, MAX_MESSAGE_LENGTH, TAG_LENGTH } from './cipher-state.js';
import { NoiseError } from '../errors.js';
import { checkBytes, copyBytes, EMPTY } from '../bytes.js';

/** Largest plaintext of one transport message: 65535 - 16. */
export const MAX_PLAINTEXT_LENGTH = MAX_MESSAGE_LENGTH - TAG_LENGTH;

export class TransportState {
  /** The sending CipherState. */
  readonly send: CipherState;
  /** The receiving CipherState. */
  readonly receive: CipherState;
  readonly #handshakeHash: Uint8Array;
  readonly #canSend: boolean;
  readonly #canReceive: boolean;

  constructor(init: { send: CipherState; receive: CipherState; handshakeHash: Uint8Array; canSend?: boolean; canReceive?: boolean }) {
    this.send = init.send;
    this.receive = init.receive;
    this.#handshakeHash = copyBytes(init.handshakeHash);
    this.#canSend = init.canSend ?? true;
    this.#canReceive = init.canReceive ?? true;
  }

  /** False for the recipient of a one-way pattern (section 7.4), which only receives. */
  get canSend(): boolean {
    return this.#canSend;
  }

  /** False for the sender of a one-way pattern, which only sends. */
  get canReceive(): boolean {
    return this.#canReceive;
  }

  /** The handshake hash (section 11.2): a unique, public identifier of this session. */
  get handshakeHash(): Uint8Array {
    return copyBytes(this.#handshakeHash);
  }

  /** Encrypts one transport message (plaintext at most 65519 bytes). */
  encrypt(plaintext: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
    checkBytes('plaintext', plaintext);
    if (!this.#canSend) throw new NoiseError('ERR_NOISE_ONE_WAY');
    if (plaintext.length > MAX_PLAINTEXT_LENGTH) {
      throw new NoiseError('ERR_NOISE_MESSAGE_TOO_LONG', `transport plaintext of ${plaintext.length} bytes (max ${MAX_PLAINTEXT_LENGTH})`);
    }
    return this.send.encryptWithAd(ad, plaintext);
  }

  /** Decrypts one transport message; ERR_NOISE_DECRYPT leaves the receive nonce unchanged. */
  decrypt(ciphertext: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
    checkBytes('ciphertext', ciphertext);
    if (!this.#canReceive) throw new NoiseError('ERR_NOISE_ONE_WAY', 'the sender of a one-way pattern cannot receive transport messages');
    if (ciphertext.length > MAX_MESSAGE_LENGTH) {
      throw new NoiseError('ERR_NOISE_MESSAGE_TOO_LONG', `transport message of ${ciphertext.length} bytes (max ${MAX_MESSAGE_LENGTH})`);
    }
    if (ciphertext.length < TAG_LENGTH) throw new NoiseError('ERR_NOISE_DECRYPT', 'transport message shorter than the tag');
    return this.receive.decryptWithAd(ad, ciphertext);
  }

  /** Rekey() of the sending CipherState (section 11.3). */
  rekeySend(): void {
    if (!this.#canSend) throw new NoiseError('ERR_NOISE_ONE_WAY');
    this.send.rekey();
  }

  /** Rekey() of the receiving CipherState (section 11.3). */
  rekeyRecv(): void {
    if (!this.#canReceive) throw new NoiseError('ERR_NOISE_ONE_WAY', 'the sender of a one-way pattern cannot receive transport messages');
    this.receive.rekey();
  }

  /** Wipes both keys; encrypt and decrypt then throw ERR_NOISE_INVALID_STATE. */
  destroy(): void {
    this.send.wipe();
    this.receive.wipe();
  }
}
