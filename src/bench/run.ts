/**
 * noisekit's own benchmark (`noisekit bench`): handshake pairs per second per pattern, suite and
 * backend, and transport encrypt+decrypt throughput per message size, each group measured
 * interleaved with the raw primitives under it (src/bench/measure.ts measureGroup) so that the
 * ratios to the floor come from the same rounds. In one process; the side-by-side comparison
 * with the peer libraries, each in a process of its own, is `npm run bench` (bench/run.ts).
 */
import { parseProtocolName } from '../protocol-name.js';
import { resolveSuite, type BackendChoice } from '../crypto/resolve.js';
import { loadSodiumBackend } from '../crypto/sodium.js';
import { NoiseError } from '../errors.js';
import { measureGroup, ratio, type Rate } from './measure.js';
import { COMPARE_SUITE, aeadFloors, dhFloors, handshakePair, keyNeeds, transportRoundTrip } from './workloads.js';

export type BenchBackend = 'node' | 'stablelib' | 'sodium' | 'auto';

export interface BenchOptions {
  /** Handshake patterns, with modifiers (`XXpsk3`); default NN, XX, IK, KK. */
  readonly patterns: readonly string[];
  /** Suites (`25519_ChaChaPoly_BLAKE2b`); transport runs the first suite's cipher. */
  readonly suites: readonly string[];
  readonly backends: readonly BenchBackend[];
  /** Transport plaintext sizes, 0 to 65,519 bytes. */
  readonly sizes: readonly number[];
  readonly rounds: number;
  /** Milliseconds per contender per round. */
  readonly ms: number;
  /** CPU milliseconds of warm-up per contender (JIT compilation). */
  readonly warmCpuMs: number;
}

/** The backends this installation has (sodium only with the optional sodium-native). */
export function availableBackends(): BenchBackend[] {
  return loadSodiumBackend() ? ['node', 'stablelib', 'sodium', 'auto'] : ['node', 'stablelib', 'auto'];
}

export const DEFAULT_BENCH: BenchOptions = {
  patterns: ['NN', 'XX', 'IK', 'KK'],
  suites: [COMPARE_SUITE],
  backends: availableBackends(),
  sizes: [64, 1024, 16384, 65519],
  rounds: 7,
  ms: 100,
  // Measured (src/bench/measure.ts warmUp): engine pairs reach their settled rate after 0.5-0.9 s
  // of CPU time; a quick run with 100 ms showed auto XX at 0.57x of its floor against 0.9x settled.
  warmCpuMs: 1000,
};

export type BenchGroupSpec = { readonly kind: 'handshake'; readonly pattern: string; readonly suite: string } | { readonly kind: 'transport'; readonly size: number; readonly suite: string };

export interface BenchRow {
  /** `noisekit <backend>` or `floor <library>`. */
  readonly name: string;
  /** Median handshake pairs/s, or bytes/s encrypted and decrypted. */
  readonly perSecond: number;
  /** Every round's rate. */
  readonly rounds: readonly number[];
  /** noisekit rows: the median per-round ratio to each floor of the group, by floor name. */
  readonly vsFloor: Readonly<Record<string, number>>;
}

export interface BenchGroupResult {
  readonly spec: BenchGroupSpec;
  /** e.g. `Noise_XX_25519_ChaChaPoly_BLAKE2b`, or `transport 64 B, ChaChaPoly`. */
  readonly title: string;
  /** What one floor call does, e.g. `8 X25519 scalar multiplications (one pair's)`. */
  readonly floorWork: string;
  readonly rows: readonly BenchRow[];
  readonly notes: readonly string[];
}

/**
 * Checks the options (typed errors before any measuring) and lists the groups in run order.
 * `tcpPatterns`: how many TCP benchmarks run besides the groups (a run of those alone is fine).
 */
export function benchGroups(o: BenchOptions, tcpPatterns = 0): BenchGroupSpec[] {
  const bad = (msg: string) => new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `bench: ${msg}`);
  if (!o.suites.length) throw bad('no suite given');
  // A typed error for a malformed suite or an algorithm no backend has.
  for (const s of o.suites) resolveSuite(parseProtocolName(`Noise_NN_${s}`), 'auto');
  for (const p of o.patterns) keyNeeds(p); // and for an unknown or fallback pattern
  const have = availableBackends();
  for (const b of o.backends) if (!have.includes(b)) throw bad(`backend ${b} is not available here (have ${have.join(', ')})`);
  if (!o.backends.length) throw bad('no backend given');
  for (const n of o.sizes) if (!Number.isInteger(n) || n < 0 || n > 65519) throw bad(`transport size ${n}: sizes are 0 to 65519 bytes`);
  for (const [k, v, min] of [['rounds', o.rounds, 1], ['ms', o.ms, 1], ['warm', o.warmCpuMs, 0]] as const) {
    if (!Number.isFinite(v) || v < min) throw bad(`--${k} must be a number of at least ${min}, got ${v}`);
  }
  if (!o.patterns.length && !o.sizes.length && tcpPatterns === 0) throw bad('nothing to measure: no --patterns, --sizes or --tcp');
  return [
    ...o.suites.flatMap((suite) => o.patterns.map((pattern) => ({ kind: 'handshake' as const, pattern, suite }))),
    ...o.sizes.map((size) => ({ kind: 'transport' as const, size, suite: o.suites[0]! })),
  ];
}

/** A contender of a group; its work is built only where it runs (a transport one runs a handshake first). */
export interface BenchContender {
  readonly name: string;
  readonly floor: boolean;
  /** Bytes per call for transport, 1 for handshakes. */
  readonly opsPerCall: number;
  readonly make: () => () => void;
}

/** A group's contenders (noisekit's backends, then the floors), listed alike in every process. */
export function groupContenders(spec: BenchGroupSpec, o: BenchOptions): { title: string; floorWork: string; contenders: BenchContender[]; notes: string[] } {
  const names = parseProtocolName(`Noise_NN_${spec.suite}`);
  const notes: string[] = [];
  const contenders: BenchContender[] = [];
  const ops = spec.kind === 'transport' ? spec.size : 1;
  for (const backend of o.backends) {
    try {
      resolveSuite(names, backend as BackendChoice);
    } catch {
      notes.push(`backend ${backend} does not support ${spec.suite} (auto chains it with the others)`);
      continue;
    }
    const make = spec.kind === 'handshake' ? () => handshakePair(spec.pattern, spec.suite, backend) : () => transportRoundTrip(spec.size, backend, spec.suite);
    contenders.push({ name: `noisekit ${backend}`, make, opsPerCall: ops, floor: false });
  }
  let floorWork: string;
  if (spec.kind === 'handshake') {
    const need = keyNeeds(spec.pattern);
    floorWork = `${need.dhOps} X${names.dh} scalar multiplications, keys ready (one pair's ${need.keyGens} key generations and ${need.dhs} DHs)`;
    for (const f of dhFloors(names.dh, need.dhOps)) contenders.push({ name: `floor ${f.lib}`, make: () => f.work, opsPerCall: 1, floor: true });
  } else {
    floorWork = `raw ${names.cipher} seal+open of ${spec.size} B`;
    for (const f of aeadFloors(spec.size, names.cipher)) contenders.push({ name: `floor ${f.lib}`, make: () => f.work, opsPerCall: ops, floor: true });
  }
  const title = spec.kind === 'handshake' ? `Noise_${spec.pattern}_${spec.suite}` : `transport ${spec.size} B, ${names.cipher}`;
  return { title, floorWork, contenders, notes };
}

/** How a group's contenders are timed: all in this process, or each in a process of its own. */
export type Measure = (contenders: readonly BenchContender[]) => Promise<Map<string, Rate>>;

/** All contenders interleaved in this process (src/bench/measure.ts measureGroup). */
export function inProcess(o: BenchOptions): Measure {
  return async (contenders) => measureGroup(contenders.map((c) => ({ name: c.name, opsPerCall: c.opsPerCall, work: c.make() })), { ms: o.ms, rounds: o.rounds, warmCpuMs: o.warmCpuMs });
}

/** Measures one group: every backend that supports its suite, interleaved with the floors. */
export async function runBenchGroup(spec: BenchGroupSpec, o: BenchOptions, measure: Measure = inProcess(o)): Promise<BenchGroupResult> {
  const { title, floorWork, contenders, notes } = groupContenders(spec, o);
  const rates = await measure(contenders);
  const floors = contenders.filter((c) => c.floor).map((c) => c.name);
  const row = (c: BenchContender): BenchRow => {
    const rate = rates.get(c.name) as Rate;
    const vsFloor = c.floor ? {} : Object.fromEntries(floors.map((f) => [f, ratio(rate, rates.get(f))]));
    return { name: c.name, perSecond: rate.perSecond, rounds: [...rate.rounds], vsFloor };
  };
  return { spec, title, floorWork, rows: contenders.map(row), notes };
}
