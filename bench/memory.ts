/**
 * Memory per session (run by bench/run.ts as `node --expose-gc --import tsx bench/memory.ts`):
 * 10,000 XX handshake pairs (20,000 HandshakeStates and 20,000 TransportStates); heap deltas
 * after forced GC give the bytes each finished HandshakeState (after split) and each
 * TransportState retains, and what is left once both are dropped. WeakRefs to a sample check
 * that nothing of a finished handshake stays reachable, also while its TransportStates are kept
 * (bench/run.ts fails the run otherwise). Prints JSON on stdout.
 */
import { getHeapSnapshot } from 'node:v8';
import { HandshakeState, SymmetricState, TransportState, generateKeyPair, parseProtocolName, resolveSuite } from '../src/index.js';

const SESSIONS = Number(process.env.NOISEKIT_BENCH_SESSIONS ?? 10000);
/**
 * Test-only: each TransportState holds its HandshakeState (`1`), or only a finished handshake's
 * internals, a SymmetricState of its own (`internals`), so that the reachability checks must fail.
 */
const LEAK = process.env.NOISEKIT_BENCH_MEMORY_LEAK;
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

/** The engine's classes: what a finished handshake is made of (and a TransportState's parts). */
const ENGINE_CLASSES = ['HandshakeState', 'SymmetricState', 'CipherState', 'TransportState'] as const;
type ClassCounts = Record<(typeof ENGINE_CLASSES)[number], number>;

/**
 * Live instances of the engine's classes, counted in a V8 heap snapshot (after the heap() GCs):
 * unlike WeakRefs to the objects the API hands out, this also sees the internals a finished
 * handshake is made of (its SymmetricState and handshake CipherState) if anything kept them.
 */
async function liveInstances(): Promise<ClassCounts> {
  const chunks: string[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(String(chunk));
  const snap = JSON.parse(chunks.join('')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const objectType = snap.snapshot.meta.node_types[0].indexOf('object');
  const counts = Object.fromEntries(ENGINE_CLASSES.map((c) => [c, 0])) as ClassCounts;
  for (let i = 0; i < snap.nodes.length; i += width) {
    if (snap.nodes[i + typeAt] !== objectType) continue;
    const name = snap.strings[snap.nodes[i + nameAt]!]!;
    if (name in counts) counts[name as keyof ClassCounts]++;
  }
  return counts;
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
    if (LEAK === '1') Object.assign(a, { leaked: i });
    if (LEAK === 'internals') Object.assign(a, { leaked: new SymmetricState(resolveSuite(parseProtocolName(protocol), backend), protocol) });
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
  // The same, counted in a heap snapshot: 200 TransportStates and their 400 CipherStates, and not
  // one HandshakeState or SymmetricState (a finished handshake's internals) left.
  const live = await liveInstances();
  const internalsUnreachableWithTransportsKept = live.HandshakeState === 0 && live.SymmetricState === 0 && live.TransportState === 200 && live.CipherState === 2 * live.TransportState;
  transports = [];
  // TransportStates on their own, as an application keeps them (the handshakes dropped first):
  // above, a TransportState was measured next to its HandshakeState, so anything they shared
  // was counted for the HandshakeState.
  const base2 = await heap();
  for (let n = 0; n < SESSIONS; n++) run();
  states = [];
  const transportsAlone = await heap();
  transports = [];
  const count = SESSIONS * 2;
  process.stdout.write(
    JSON.stringify({
      sessions: SESSIONS,
      backend,
      bytesPerHandshakeState: Math.max(0, hsOnly - after) / count,
      bytesPerTransportState: Math.max(0, transportsAlone - base2) / count,
      bytesPerTransportStateNextToItsHandshake: Math.max(0, full - hsOnly) / count,
      bytesLeftAfterDrop: Math.max(0, after - base) / count,
      unreachable: unreachable && handshakesUnreachableWithTransportsKept && internalsUnreachableWithTransportsKept,
      handshakesUnreachableWithTransportsKept,
      internalsUnreachableWithTransportsKept,
      liveWithTransportsKept: live,
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
