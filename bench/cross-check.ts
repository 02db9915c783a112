/**
 * Before anything is timed, every noisekit contender is checked against an independent
 * implementation, the reference noise-c (compiled to WebAssembly, test/support/noise-c.ts).
 *
 * The timed work checks its own results (src/bench/workloads.ts: both sides finish with the same
 * handshake hash, a message decrypts to itself), but both sides of that work are noisekit: an
 * engine or cipher that is wrong the same way on both sides (a skipped DH, a cipher that copies
 * its input) passes those checks and is fast. Here one side is noise-c: a handshake each way
 * (noisekit initiator with noise-c responder, then the reverse) must end with the same handshake
 * hash on both sides, and a transport message each way must decrypt on the other side, the
 * ciphertext being 16 bytes longer than its plaintext. A mismatch fails the run.
 *
 * noise-c.wasm@0.4.0 knows no rev-34 psk names, and its psk build speaks one suite only: a
 * contender it cannot check is reported in the notes as not cross-checked, never as checked.
 */
import { randomBytes } from 'node:crypto';
import { HandshakeState, type BackendChoice } from '../src/index.js';
import { check, sameBytes } from '../src/bench/measure.js';
import { COMPARE_SUITE, pairOptions } from '../src/bench/workloads.js';
import { NOISE_C_SUITES, type NoiseC, type NoiseCError, type NoiseCHandshake, type NoiseCTransport } from '../test/support/noise-c.js';
import type { TransportState } from '../src/engine/transport-state.js';

/** Why `protocol` cannot be cross-checked with this noise-c build, or undefined when it can. */
function unsupported(lib: NoiseC | undefined, pattern: string, suite: string): string | undefined {
  if (!lib) return 'noise-c.wasm is not loaded';
  if (/psk|fallback/.test(pattern)) return 'noise-c.wasm@0.4.0 has no rev-34 psk or fallback names';
  if (!NOISE_C_SUITES.includes(suite)) return `noise-c.wasm@0.4.0 has no ${suite}`;
  try {
    lib.handshake({ protocol: `Noise_${pattern}_${suite}`, initiator: true }).free();
  } catch (e) {
    // Refused before any key is given: a name noise-c does not know (deferred patterns such as
    // NK1). Missing keys are not checked here; the real pairs below give them.
    if ((e as NoiseCError).code === 'NOISE_ERROR_UNKNOWN_NAME') return `noise-c.wasm@0.4.0 does not know ${pattern}`;
  }
  return undefined;
}

/** One handshake between noisekit (`backend`) and noise-c; returns both ends' transports. */
function pairWithNoiseC(lib: NoiseC, pattern: string, suite: string, backend: BackendChoice, noisekitInitiates: boolean): { ours: TransportState; theirs: NoiseCTransport } {
  const o = pairOptions(pattern, suite, backend);
  const mine = noisekitInitiates ? o.initiator : o.responder;
  const other = noisekitInitiates ? o.responder : o.initiator;
  const ours = new HandshakeState({ ...mine, initiator: noisekitInitiates });
  let theirs: NoiseCHandshake | undefined;
  try {
    theirs = lib.handshake({
      protocol: other.protocol,
      initiator: !noisekitInitiates,
      staticPrivateKey: other.staticKeyPair?.privateKey,
      remoteStaticKey: other.remoteStaticKey,
    });
    for (let n = 0; n < 8 && !ours.isFinished; n++) {
      if (ours.action === 'write') theirs.readMessage(ours.writeMessage());
      else ours.readMessage(theirs.writeMessage());
    }
    check(ours.isFinished && theirs.action === 'split', `${mine.protocol} (${String(backend)}) against noise-c: the handshake did not finish`);
    const t = theirs.split();
    check(sameBytes(ours.handshakeHash, t.handshakeHash), `${mine.protocol} (${String(backend)}) against noise-c: the handshake hashes differ`);
    return { ours: ours.split(), theirs: t };
  } catch (e) {
    ours.destroy();
    theirs?.free();
    throw e;
  }
}

/** One message of `size` bytes each way between a noisekit transport and a noise-c one. */
function exchange(ours: TransportState, theirs: NoiseCTransport, size: number, what: string): void {
  const pt = new Uint8Array(randomBytes(size));
  // A one-way pattern (section 7.4) has one direction only.
  if (ours.canSend) {
    const ct = ours.encrypt(pt);
    check(ct.length === size + 16, `${what}: a ${size}-byte message encrypted to ${ct.length} bytes, not ${size + 16}`);
    check(sameBytes(theirs.decrypt(ct), pt), `${what}: noise-c did not decrypt noisekit's message to its plaintext`);
  }
  if (ours.canReceive) check(sameBytes(ours.decrypt(theirs.encrypt(pt)), pt), `${what}: noisekit did not decrypt noise-c's message to its plaintext`);
}

/**
 * Checks noisekit's `backend` on `Noise_<pattern>_<suite>` against noise-c, both roles, with one
 * transport message of each of `sizes` each way. Returns a note when it cannot check (the caller
 * reports it); throws when a check fails.
 */
export function crossCheckHandshake(lib: NoiseC | undefined, pattern: string, suite: string, backend: BackendChoice, sizes: readonly number[] = [64]): string | undefined {
  const why = unsupported(lib, pattern, suite);
  if (why) return `noisekit:${String(backend)} ${pattern} ${suite}: not cross-checked (${why})`;
  for (const noisekitInitiates of [true, false]) {
    const { ours, theirs } = pairWithNoiseC(lib!, pattern, suite, backend, noisekitInitiates);
    try {
      for (const size of sizes) exchange(ours, theirs, size, `Noise_${pattern}_${suite} (${String(backend)}, transport)`);
    } finally {
      ours.destroy();
      theirs.free();
    }
  }
  return undefined;
}

/** The transport groups' check: an NN session of the compared suite, one message of `size` each way. */
export function crossCheckTransport(lib: NoiseC | undefined, size: number, backend: BackendChoice): string | undefined {
  return crossCheckHandshake(lib, 'NN', COMPARE_SUITE, backend, [size]);
}
