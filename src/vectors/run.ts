/**
 * Runs one test vector through the public engine: both parties, every handshake message, every
 * transport message and the handshake hash where the vector has one. Byte-exact comparison.
 *
 * A vector whose algorithms the chosen backend lacks is `skipped` with the reason, never passed.
 */
import { HandshakeState, type HandshakeOptions } from '../engine/handshake-state.js';
import type { TransportState } from '../engine/transport-state.js';
import { kFixedEphemeral } from '../engine/internal.js';
import { resolveSuite, type BackendChoice } from '../crypto/resolve.js';
import type { Dh, KeyPair } from '../crypto/types.js';
import { parseProtocolName, formatProtocolName } from '../protocol-name.js';
import { isNoiseError } from '../errors.js';
import { equalBytes, toHex } from '../bytes.js';
import type { NoiseVector, VectorParty } from './format.js';

export type VectorStatus = 'passed' | 'failed' | 'skipped';

export interface VectorResult {
  vector: NoiseVector;
  status: VectorStatus;
  /** Why it failed or was skipped. */
  reason?: string;
  /** Messages checked (handshake + transport). */
  checked: number;
}

class Mismatch extends Error {}

function expectEqual(what: string, actual: Uint8Array, expected: Uint8Array): void {
  if (!equalBytes(actual, expected)) {
    throw new Mismatch(`${what}: expected ${toHex(expected).slice(0, 64)}..., got ${toHex(actual).slice(0, 64)}...`);
  }
}

function keyPair(dh: Dh, priv: Uint8Array | undefined): KeyPair | undefined {
  return priv ? dh.keyPairFromPrivate(priv) : undefined;
}

function options(protocol: string, initiator: boolean, p: VectorParty, dh: Dh, backend: BackendChoice): HandshakeOptions {
  return {
    protocol,
    initiator,
    prologue: p.prologue,
    psks: p.psks,
    staticKeyPair: keyPair(dh, p.staticKey),
    remoteStaticKey: p.remoteStaticKey,
    backend,
    [kFixedEphemeral]: keyPair(dh, p.ephemeralKey),
  };
}

/** Runs the handshake between two states from message `start`, checking every message. */
function runHandshake(v: NoiseVector, init: HandshakeState, resp: HandshakeState, start: number): number {
  let i = start;
  while (!init.isFinished || !resp.isFinished) {
    const msg = v.messages[i];
    if (!msg) throw new Mismatch(`the vector ends before the handshake does (message ${i})`);
    const [writer, reader] = init.action === 'write' ? [init, resp] : [resp, init];
    expectEqual(`handshake message ${i} ciphertext`, writer.writeMessage(msg.payload), msg.ciphertext);
    expectEqual(`handshake message ${i} payload`, reader.readMessage(msg.ciphertext), msg.payload);
    i++;
  }
  return i;
}

/** Transport messages alternate initiator, responder, ... from message `start` (one-way: initiator only). */
function runTransport(v: NoiseVector, start: number, first: TransportState, second: TransportState, oneWay: boolean): void {
  for (let i = start; i < v.messages.length; i++) {
    const msg = v.messages[i]!;
    const fromFirst = oneWay || i % 2 === 0;
    const [tx, rx] = fromFirst ? [first, second] : [second, first];
    expectEqual(`transport message ${i} ciphertext`, tx.encrypt(msg.payload), msg.ciphertext);
    expectEqual(`transport message ${i} payload`, rx.decrypt(msg.ciphertext), msg.payload);
  }
}

/** Runs one vector on one backend. */
export function runVector(v: NoiseVector, backend: BackendChoice = 'auto'): VectorResult {
  let dh: Dh;
  try {
    const name = parseProtocolName(v.protocolName);
    dh = resolveSuite(name, backend).dh;
  } catch (err) {
    if (isNoiseError(err, 'ERR_NOISE_UNSUPPORTED_ALGORITHM')) return { vector: v, status: 'skipped', reason: err.message, checked: 0 };
    return { vector: v, status: 'failed', reason: (err as Error).message, checked: 0 };
  }
  try {
    if (v.fallbackFrom) return runFallbackVector(v, dh, backend);
    const init = new HandshakeState(options(v.protocolName, true, v.init, dh, backend));
    const resp = new HandshakeState(options(v.protocolName, false, v.resp, dh, backend));
    const next = runHandshake(v, init, resp, 0);
    if (v.handshakeHash) {
      expectEqual('initiator handshake hash', init.handshakeHash, v.handshakeHash);
      expectEqual('responder handshake hash', resp.handshakeHash, v.handshakeHash);
    } else {
      expectEqual('handshake hashes of the two parties', init.handshakeHash, resp.handshakeHash);
    }
    runTransport(v, next, init.split(), resp.split(), init.pattern.messages.length === 1);
    return { vector: v, status: 'passed', checked: v.messages.length };
  } catch (err) {
    return { vector: v, status: 'failed', reason: err instanceof Error ? err.message : String(err), checked: 0 };
  }
}

/**
 * Noise Pipes (section 10.4): Alice (init) sends an IK message that Bob (resp) cannot decrypt;
 * Bob then initiates XXfallback with Alice's ephemeral as the pre-message.
 */
function runFallbackVector(v: NoiseVector, dh: Dh, backend: BackendChoice): VectorResult {
  const name = parseProtocolName(v.protocolName);
  const firstProtocol = formatProtocolName({ ...name, pattern: v.fallbackFrom!, modifiers: name.modifiers.filter((m) => m !== 'fallback') });
  const alice = new HandshakeState(options(firstProtocol, true, v.init, dh, backend));
  const bob = new HandshakeState(options(firstProtocol, false, { ...v.resp, remoteStaticKey: undefined }, dh, backend));
  const first = v.messages[0];
  if (!first) throw new Mismatch('no first message');
  expectEqual('initial message ciphertext', alice.writeMessage(first.payload), first.ciphertext);
  let rejected = false;
  try {
    bob.readMessage(first.ciphertext);
  } catch (err) {
    if (!isNoiseError(err, 'ERR_NOISE_DECRYPT')) throw err;
    rejected = true;
  }
  if (!rejected) throw new Mismatch(`the responder accepted the ${v.fallbackFrom} message, so there is no fallback to test`);
  // The public fallback API (section 10.2): Bob from the message he could not read, Alice from
  // her own state, which still holds the ephemeral of message 1.
  const bobFb = bob.fallback({ protocol: v.protocolName, failedMessage: first.ciphertext });
  const aliceFb = alice.fallback({ protocol: v.protocolName });
  const next = runHandshake(v, bobFb, aliceFb, 1);
  if (v.handshakeHash) {
    expectEqual('fallback initiator handshake hash', bobFb.handshakeHash, v.handshakeHash);
    expectEqual('fallback responder handshake hash', aliceFb.handshakeHash, v.handshakeHash);
  }
  // Transport keeps the file's alternation: even-numbered messages are Alice's (now the responder).
  runTransport(v, next, aliceFb.split(), bobFb.split(), false);
  return { vector: v, status: 'passed', checked: v.messages.length };
}
