/**
 * Memory per session (run by bench/run.ts as `node --expose-gc --import tsx bench/memory.ts`):
 * 10,000 XX handshake pairs (20,000 HandshakeStates and 20,000 TransportStates); heap deltas
 * after forced GC give the bytes each finished HandshakeState (after split) and each
 * TransportState retains, and what is left once both are dropped. WeakRefs to a sample check
 * that nothing of a finished handshake stays reachable, also while its TransportStates are kept
 * (bench/run.ts fails the run otherwise). Prints JSON on stdout.
 */
import { HandshakeState, TransportState, generateKeyPair } from '../src/index.js';

const SESSIONS = Number(process.env.NOISEKIT_BENCH_SESSIONS ?? 10000);
/** Test-only: each TransportState holds its HandshakeState, so that the reachability check must fail. */
const LEAK = process.env.NOISEKIT_BENCH_MEMORY_LEAK === '1';
const backend = 'auto';
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const tick = () => new Promise((r) => setImmediate(r));
async function heap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    await tick();
    gc!();
  }
  return process.memoryUsage().heapUsed;
}

async function main() {
  const protocol = 'Noise_XX_25519_ChaChaPoly_BLAKE2b';
  const si = generateKeyPair('25519', backend);
  const sr = generateKeyPair('25519', backend);
  const msg = new Uint8Array(64).fill(1);
  // Warm up everything (JIT, caches, lazily loaded modules) before the baseline.
  let states: HandshakeState[] = [];
  let transports: TransportState[] = [];
  const run = () => {
    const i = new HandshakeState({ protocol, initiator: true, backend, staticKeyPair: si });
    const r = new HandshakeState({ protocol, initiator: false, backend, staticKeyPair: sr });
    r.readMessage(i.writeMessage());
    i.readMessage(r.writeMessage());
    r.readMessage(i.writeMessage());
    const a = i.split();
    const b = r.split();
    if (LEAK) Object.assign(a, { leaked: i });
    const pt = b.decrypt(a.encrypt(msg));
    if (pt.length !== 64 || pt[63] !== 1) throw new Error('transport check failed');
    states.push(i, r);
    transports.push(a, b);
  };
  for (let n = 0; n < 200; n++) run();
  states = [];
  transports = [];
  const base = await heap();
  for (let n = 0; n < SESSIONS; n++) run();
  const weak = [...states.slice(0, 100), ...transports.slice(0, 100)].map((o) => new WeakRef(o));
  const full = await heap();
  transports = [];
  const hsOnly = await heap();
  states = [];
  const after = await heap();
  await tick();
  const unreachable = weak.every((w) => w.deref() === undefined);
  // The case an application meets: it keeps the TransportStates and drops the finished
  // HandshakeStates. Nothing (a transport holding its handshake, a cache) may keep those alive.
  for (let n = 0; n < 100; n++) run();
  const finished = states.map((o) => new WeakRef(o));
  states = [];
  await heap();
  await tick();
  const handshakesUnreachableWithTransportsKept = transports.length === 200 && finished.every((w) => w.deref() === undefined);
  transports = [];
  const count = SESSIONS * 2;
  process.stdout.write(
    JSON.stringify({
      sessions: SESSIONS,
      backend,
      bytesPerHandshakeState: Math.max(0, hsOnly - after) / count,
      bytesPerTransportState: Math.max(0, full - hsOnly) / count,
      bytesLeftAfterDrop: Math.max(0, after - base) / count,
      unreachable: unreachable && handshakesUnreachableWithTransportsKept,
      handshakesUnreachableWithTransportsKept,
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
