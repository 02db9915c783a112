/**
 * Options shared by the two ends of a Noise Pipe (spec section 10.4) and the protocol names of
 * its three patterns.
 */
import type { KeyPair } from '../crypto/types.js';
import type { BackendChoice } from '../crypto/resolve.js';
import { NoiseError } from '../errors.js';
import { kFixedEphemeral } from '../engine/internal.js';
import type { HandshakeOptions } from '../engine/handshake-state.js';
import { formatProtocolName, parseProtocolName } from '../protocol-name.js';
import type { PipesMode } from './negotiation.js';

/** Options for either end of a Noise Pipe. */
export interface PipesOptions {
  /** `<dh>_<cipher>_<hash>`, default `25519_ChaChaPoly_BLAKE2s`. */
  suite?: string;
  /** `Noise` (default) or the legacy `NoisePSK` prefix (one psk mixed in first, as noise-c). */
  prefix?: 'Noise' | 'NoisePSK';
  /** The local static key pair (both ends of a Noise Pipe have one). */
  staticKeyPair: KeyPair;
  /** Prologue (section 6), the same on both ends. */
  prologue?: Uint8Array;
  /** With prefix `NoisePSK`: the one 32-byte psk. */
  psks?: readonly Uint8Array[];
  /** Crypto backend. */
  backend?: BackendChoice;
  /** See HandshakeOptions.retryAfterFailedRead (datagram transports set it). */
  retryAfterFailedRead?: boolean;
  /** Test-only (vectors): fixed ephemeral. */
  [kFixedEphemeral]?: KeyPair;
}

/** The full protocol name of `mode` in this pipe, e.g. `Noise_XXfallback_25519_ChaChaPoly_BLAKE2s`. */
export function pipesProtocol(options: Pick<PipesOptions, 'suite' | 'prefix'>, mode: PipesMode): string {
  if (typeof options !== 'object' || options === null) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
  const suite: unknown = options.suite ?? '25519_ChaChaPoly_BLAKE2s';
  if (typeof suite !== 'string' || suite.split('_').length !== 3) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `suite must be "<dh>_<cipher>_<hash>", got "${String(suite)}"`);
  }
  const name = parseProtocolName(`${options.prefix ?? 'Noise'}_XX_${suite}`);
  return formatProtocolName({ ...name, pattern: mode === 'IK' ? 'IK' : 'XX', modifiers: mode === 'XXfallback' ? ['fallback'] : [] });
}

/** The HandshakeState options of the first pattern of a pipe. */
export function handshakeOptions(options: PipesOptions, mode: PipesMode, initiator: boolean, remoteStaticKey?: Uint8Array): HandshakeOptions {
  if (!options || typeof options !== 'object') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'options are required');
  if (!options.staticKeyPair) throw new NoiseError('ERR_NOISE_MISSING_KEY', 'both ends of a Noise Pipe need a static key pair (staticKeyPair)');
  return {
    protocol: pipesProtocol(options, mode),
    initiator,
    prologue: options.prologue,
    staticKeyPair: options.staticKeyPair,
    remoteStaticKey,
    psks: options.psks,
    backend: options.backend,
    retryAfterFailedRead: options.retryAfterFailedRead,
    [kFixedEphemeral]: options[kFixedEphemeral],
  };
}
