/**
 * `npm run bench`: noisekit's handshakes/s and transport throughput per backend, the raw
 * primitive floor (X25519, ChaCha20-Poly1305 seal+open) and the peer libraries, all in one run,
 * several rounds each, medians reported, every result checked. Each contender runs in a process
 * of its own and the parent interleaves their time slots (src/bench/isolated.ts); `--in-process`
 * runs each group's contenders in one shared process instead (src/bench/measure.ts measureGroup).
 * The work itself (handshake pairs, transport round trips, raw primitives) is src/bench/workloads.ts,
 * shared with `noisekit bench`.
 *
 *   npm run bench -- [--quick] [--rounds N] [--ms N] [--warm N] [--patterns NN,XX,IK,KK]
 *                    [--backends node,stablelib,sodium,auto] [--suites 25519_ChaChaPoly_BLAKE2b,...]
 *                    [--sizes 64,1024,16384,65519] [--json FILE] [--markdown FILE] [--svg FILE]
 *                    [--no-memory] [--in-process]        (--help lists them)
 */
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Command, InvalidArgumentError, Option } from 'commander';
import { generateKeyPair, parseProtocolName, resolveSuite, type BackendChoice } from '../src/index.js';
import { loadSodium, loadSodiumBackend } from '../src/crypto/sodium.js';
import { replay, replayOnNode, tracePair } from './primitive-trace.js';
import { AUTO_LARGE_MIN, autoLargeChoice } from '../src/crypto/auto.js';
import { RandomPool } from '../src/crypto/random-pool.js';
import { check, measureGroup, type Rate } from '../src/bench/measure.js';
import { COMPARE_SUITE, aeadFloors, dhFloors, handshakePair, keyNeeds, sodiumNative, transportRoundTrip, type Floor, type KeyNeeds } from '../src/bench/workloads.js';
import { measureIsolated, serveContender } from '../src/bench/isolated.js';
import { SOCKET_BENCH, socketBench } from '../src/bench/socket.js';
import { loadPeers, LIBP2P_NOISE_NOTE } from './peers.js';
import { crossCheckHandshake, crossCheckTransport } from './cross-check.js';
import { loadNoiseC, type NoiseC } from '../test/support/noise-c.js';
import { pageFaultNote, renderMarkdown, renderSvg, renderText, targets, type Results } from './report.js';

// ---- Options -------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
/** The options as given (for the children and the report), without the internal --group. */
const userArgv = ((): string[] => {
  const i = argv.indexOf('--group');
  return i >= 0 ? [...argv.slice(0, i), ...argv.slice(i + 2)] : argv;
})();
const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} takes a number, got ${JSON.stringify(v)}`);
  return n;
};
const list = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);
const cli = new Command('npm run bench --')
  .description('noisekit against the primitive floor and the peer libraries, every result checked (README, Speed)')
  .option('--quick', 'fewer rounds (5), one suite (the full warm-up: less leaves JIT compilation in the rounds)')
  .option('--rounds <n>', 'rounds per group (default 21)', num('--rounds'))
  .option('--ms <n>', 'milliseconds per contender per round', num('--ms'), 80)
  .option('--warm <n>', 'CPU milliseconds of warm-up per contender (default 1000)', num('--warm'))
  .addOption(new Option('--patterns <list>', 'handshake patterns, comma-separated').argParser(list).default(['NN', 'XX', 'IK', 'KK'], 'NN,XX,IK,KK'))
  .option('--backends <list>', 'noisekit backends, comma-separated (default: node,stablelib,sodium,auto; sodium when installed)', list)
  .option('--suites <list>', 'suites, comma-separated (default 25519_ChaChaPoly_BLAKE2b,25519_ChaChaPoly_SHA256)', list)
  .addOption(new Option('--sizes <list>', 'transport plaintext sizes in bytes, comma-separated').argParser((v: string) => list(v).map(Number)).default([64, 1024, 16384, 65519], '64,1024,16384,65519'))
  .addOption(new Option('--tcp <list>', "patterns for the TCP loopback benchmarks (connections/s, one connection's MB/s), comma-separated; empty for none").argParser(list).default(['XX'], 'XX'))
  .option('--json <file>', 'write the results as JSON')
  .option('--markdown <file>', 'write the tables as Markdown (and the chart next to it as .svg)')
  .option('--svg <file>', 'write the chart here')
  .option('--no-memory', 'skip the retained-memory measurement')
  .option('--in-process', "run each group's contenders in one process instead of one process each")
  .addOption(new Option('--group <json>').hideHelp())
  .addOption(new Option('--contender <name>').hideHelp())
  .parse(process.argv);
const options = cli.opts<{
  quick?: boolean; rounds?: number; ms: number; warm?: number; patterns: string[]; backends?: string[]; suites?: string[]; sizes: number[];
  tcp: string[]; json?: string; markdown?: string; svg?: string; memory: boolean; inProcess?: boolean; group?: string; contender?: string;
}>();
const quick = options.quick === true;
// 21 rounds of 80 ms take as long as 11 of 150 ms, but the slots a ratio pairs are closer in time
// and the median is over more per-round ratios: steadier on a shared machine whose speed moves by
// tens of percent within a second (per-round rates in bench/results/latest.json).
// Shorter slots with more rounds are not better: 84 rounds of 20 ms (same total time) measured
// noise-handshake's 1 KiB transport 30% faster (82 against 63 MB/s, per-slot medians) and ours 3%:
// a slot shorter than a library's garbage-collection period leaves its collections out of the
// median slot, so a slot must be long enough to pay for the garbage it makes.
const rounds = options.rounds ?? (quick ? 5 : 21);
const ms = options.ms;
// Each contender first runs for this much CPU time (ms), so that the rounds measure JIT-compiled
// code (src/bench/measure.ts warmUp).
// --quick keeps it: auto XX needs 0.6-0.9 s of CPU to settle, and less made a quick run report
// noisekit at a third of its speed.
const warmCpuMs = options.warm ?? 1000;
const patterns = options.patterns;
const backends = (options.backends ?? (loadSodiumBackend() ? ['node', 'stablelib', 'sodium', 'auto'] : ['node', 'stablelib', 'auto'])) as BackendChoice[];
const suites = options.suites ?? (quick ? [COMPARE_SUITE] : [COMPARE_SUITE, '25519_ChaChaPoly_SHA256']);
const SIZES = options.sizes;
if (SIZES.some((n) => !Number.isInteger(n) || n < 0 || n > 65519)) cli.error('bench: --sizes takes transport plaintext sizes of 0 to 65519 bytes, comma-separated');
if (rounds < 1 || ms <= 0) cli.error('bench: --rounds and --ms must be at least 1');

const log = (s: string) => process.stderr.write(s + '\n');

// ---- noisekit ----------------------------------------------------------------------------------------
/** Which ciphers auto chose for large ChaChaPoly messages, in the process that measured them. */
function autoLargeNote(size: number): () => string | undefined {
  return () => {
    // Reported even while undecided (a short run may end before the race has its samples).
    const choice = autoLargeChoice();
    if (!choice) return undefined;
    return `auto, transport ${size} B: ChaChaPoly messages of ${AUTO_LARGE_MIN} B and more: encryption by ${choice.encrypt}, decryption by ${choice.decrypt} (after the last round; raced in each process on its own messages, crypto/auto.ts)`;
  };
}

/** `library:backend` (the backend part may itself contain ':', as in `floor:node:crypto`). */
function splitName(name: string): [string, string] {
  const i = name.indexOf(':');
  return [name.slice(0, i), name.slice(i + 1)];
}

// ---- Floors (measured inside each interleaved group) ----------------------------------------------
/**
 * Work functions doing the X25519 work of one handshake pair per call: `ops` scalar
 * multiplications with the keys ready (the floor of issue #3, src/bench/workloads.ts dhFloors),
 * and, as `<lib>+keys`, the primitive calls a pair cannot avoid through that library
 * (sodium-native: RNG and a fixed-base multiplication per generated key, then the DHs;
 * node:crypto: a key created per generated key from pooled random bytes, one JWK import per
 * remote key, then the DHs), which bound what any implementation on that library can reach.
 */
function x25519Floors(need: KeyNeeds): Floor[] {
  const out = dhFloors('25519', need.dhOps);
  // KeyObjects imported from JWK, as the node backend does (see src/crypto/node.ts).
  const a = generateKeyPair('25519', 'node');
  const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64url');
  const privateKey = crypto.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(a.privateKey), x: b64(a.publicKey) }, format: 'jwk' });
  const pub = { kty: 'OKP', crv: 'X25519', x: b64(generateKeyPair('25519', 'node').publicKey) };
  const publicKey = crypto.createPublicKey({ key: pub, format: 'jwk' });
  // Private-key randomness as the node backend draws it (crypto/random-pool.ts).
  const random = new RandomPool();
  out.push({
    lib: 'node:crypto+keys',
    work: () => {
      for (let i = 0; i < need.keyGens; i++) {
        const d = Buffer.from(random.take(32)).toString('base64url');
        const ko = crypto.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: '' }, format: 'jwk' });
        // x from the private key's JWK export, the cheapest way out (bench/primitive-trace.ts replayOnNode).
        check(ko.export({ format: 'jwk' }).x?.length === 43, 'x25519 key');
      }
      for (let i = 0; i < need.imports; i++) crypto.createPublicKey({ key: pub, format: 'jwk' });
      for (let i = 0; i < need.dhs; i++) check(crypto.diffieHellman({ privateKey, publicKey }).length === 32, 'x25519');
    },
  });
  const na = sodiumNative();
  if (na) {
    // Off-heap arrays, as the sodium backend stages its arguments (src/crypto/sodium.ts).
    const q = new Uint8Array(new ArrayBuffer(32));
    const sk = new Uint8Array(new ArrayBuffer(32));
    const pk = new Uint8Array(new ArrayBuffer(32));
    pk.set(generateKeyPair('25519', 'stablelib').publicKey);
    out.push({
      lib: 'sodium-native+keys',
      work: () => {
        for (let i = 0; i < need.keyGens; i++) {
          na.randombytes_buf(sk);
          na.crypto_scalarmult_base(q, sk);
        }
        for (let i = 0; i < need.dhs; i++) na.crypto_scalarmult(q, sk, pk);
      },
    });
  }
  return out;
}

// ---- Memory (child process with --expose-gc) ---------------------------------------------------------
function memory(): Results['memory'] {
  let result: NonNullable<Results['memory']>;
  try {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', new URL('./memory.ts', import.meta.url).pathname], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    result = JSON.parse(out) as NonNullable<Results['memory']>;
  } catch (e) {
    throw new Error(`memory bench failed: ${(e as Error).message}`);
  }
  // A check, like every other one of the bench: a finished handshake that stays reachable fails the run.
  if (!result.unreachable) throw new Error('memory bench failed: finished HandshakeStates (or dropped TransportStates) stayed reachable');
  return result;
}

// ---- Main ----------------------------------------------------------------------------------------------
type GroupSpec = { kind: 'handshake'; pattern: string; suite: string } | { kind: 'transport'; size: number };
type GroupResult = Pick<Results, 'handshakes' | 'transport' | 'notes'>;

/** A contender of a group, built only where it runs (see measureSpec). */
interface Entry {
  readonly name: string;
  readonly opsPerCall?: number;
  readonly make: () => () => void;
  /** A line for the report, asked after the last round in the process that ran the work. */
  readonly note?: () => string | undefined;
}

/**
 * One group's contenders, listed the same way by the parent and by each contender's process.
 * noisekit's are built lazily: setting one up runs the engine (a transport group does a
 * handshake), which would otherwise warm the engine with every backend in every process.
 */
async function buildGroup(spec: GroupSpec): Promise<{ entries: Entry[]; notes: string[] }> {
  const notes: string[] = [];
  const peers = await loadPeers();
  const built = (work: () => void) => () => work;
  if (spec.kind === 'handshake') {
    // The X25519 floors (as many scalar multiplications as one handshake pair needs), every
    // backend, and (for the compared suite) every peer.
    const { pattern, suite } = spec;
    const need = keyNeeds(pattern);
    const withStablelib = backends.includes('stablelib') && suite === COMPARE_SUITE;
    const entries: Entry[] = x25519Floors(need)
      .filter((f) => withStablelib || f.lib !== '@stablelib/x25519')
      .map((f) => ({ name: `floor:${f.lib}`, make: built(f.work) }));
    // Every primitive call of one pair (bench/primitive-trace.ts), recorded through libsodium and
    // replayed on libsodium and on node:crypto, traced only in the process that measures it
    // (tracing runs the engine).
    const lib = suite === COMPARE_SUITE ? loadSodium() : undefined;
    if (lib) {
      const trace = () => tracePair(pattern, suite)!;
      entries.push({ name: 'floor:sodium-native+all', make: () => replay(trace(), lib) });
      entries.push({ name: 'floor:node:crypto+all', make: () => replayOnNode(trace(), need.imports) });
    }
    for (const backend of backends) {
      if (backend === 'stablelib' && suite !== COMPARE_SUITE) {
        // Slow, and its floor is the DH whatever the suite: measured for the compared suite only.
        notes.push(`noisekit backend stablelib: ${pattern} measured with ${COMPARE_SUITE} only, not ${suite}`);
        continue;
      }
      try {
        resolveSuite(parseProtocolName(`Noise_${pattern}_${suite}`), backend);
      } catch {
        notes.push(`noisekit backend ${String(backend)} alone does not support ${suite} (auto chains it with node)`);
        continue;
      }
      entries.push({ name: `noisekit:${String(backend)}`, make: () => handshakePair(pattern, suite, backend) });
    }
    if (suite === COMPARE_SUITE) {
      for (const peer of peers) {
        const work = peer.handshake(pattern);
        if (typeof work === 'string') notes.push(`${peer.name}: ${work}`);
        else entries.push({ name: `${peer.name}:-`, make: built(work) });
      }
    }
    return { entries, notes };
  }
  // Raw seal+open floors, every backend, the peers.
  const { size } = spec;
  const entries: Entry[] = aeadFloors(size).map((f) => ({ name: `floor:${f.lib}`, make: built(f.work), opsPerCall: size }));
  for (const backend of backends) {
    const note = backend === 'auto' && size >= AUTO_LARGE_MIN ? autoLargeNote(size) : undefined;
    entries.push({ name: `noisekit:${String(backend)}`, make: () => transportRoundTrip(size, backend), opsPerCall: size, note });
  }
  for (const peer of peers) {
    const work = peer.transport(size);
    if (typeof work === 'string') notes.push(`${peer.name} transport: ${work}`);
    else entries.push({ name: `${peer.name}:-`, make: built(work), opsPerCall: size });
  }
  return { entries, notes };
}

const groupName = (spec: GroupSpec) => (spec.kind === 'handshake' ? `handshakes ${spec.pattern} ${spec.suite}` : `transport ${spec.size} B`);

/**
 * Measures one group, each contender in a process of its own (default) or all in this one
 * (`--in-process`). Separate processes are the deployment case (a server runs one library) and
 * keep the contenders from sharing a heap: in one process, one library's garbage is collected in
 * another's time slot, and a major GC slows whoever runs next (measured: noise-handshake's XX
 * rate moved by ~15% with noise-protocol and noise-c.wasm in its process, noisekit's did not).
 */
async function measureSpec(spec: GroupSpec, entries: readonly Entry[], onNote: (note: string) => void): Promise<Map<string, Rate>> {
  if (options.inProcess === true) {
    const rates = measureGroup(entries.map((e) => ({ name: e.name, opsPerCall: e.opsPerCall, work: e.make() })), { ms, rounds, warmCpuMs });
    for (const e of entries) {
      const n = e.note?.();
      if (n) onNote(n);
    }
    return rates;
  }
  return measureIsolated(
    entries.map((e) => ({ name: e.name, opsPerCall: e.opsPerCall, argv: ['--import', 'tsx', new URL(import.meta.url).pathname, ...userArgv, '--group', JSON.stringify(spec), '--contender', e.name] })),
    { ms, rounds, onNote },
  );
}

/** In a contender's process (`--group SPEC --contender NAME`): builds that one and serves slots. */
async function runContender(spec: GroupSpec, name: string): Promise<void> {
  const { entries } = await buildGroup(spec);
  const e = entries.find((x) => x.name === name);
  if (!e) throw new Error(`bench: no contender ${name} in ${groupName(spec)}`);
  await serveContender({ name, work: e.make() }, ms, e.note, warmCpuMs);
}

let noiseC: Promise<NoiseC | undefined> | undefined;

/**
 * Checks each noisekit contender of a group against noise-c before it is timed (bench/cross-check.ts);
 * throws on a mismatch, notes which contenders were checked and which could not be.
 */
async function crossCheck(spec: GroupSpec, entries: readonly Entry[], notes: string[]): Promise<void> {
  noiseC ??= loadNoiseC('classic').catch((e: Error) => {
    notes.push(`noise-c.wasm did not load (${e.message}): no noisekit contender is cross-checked`);
    return undefined;
  });
  const lib = await noiseC;
  const checked: string[] = [];
  for (const e of entries) {
    const [library, backend] = splitName(e.name);
    if (library !== 'noisekit') continue;
    const note = spec.kind === 'handshake' ? crossCheckHandshake(lib, spec.pattern, spec.suite, backend as BackendChoice) : crossCheckTransport(lib, spec.size, backend as BackendChoice);
    if (note) notes.push(note);
    else checked.push(backend);
  }
  if (checked.length) notes.push(`${groupName(spec)}: noisekit ${checked.join(', ')} cross-checked against noise-c.wasm before timing (both roles, the handshake hash, one message each way)`);
}

/** Runs one group and returns its results. */
async function runGroup(spec: GroupSpec): Promise<GroupResult> {
  const { entries, notes } = await buildGroup(spec);
  const handshakes: Results['handshakes'] = [];
  const transport: Results['transport'] = [];
  await crossCheck(spec, entries, notes);
  log(`${groupName(spec)}: ${entries.map((c) => c.name).join(', ')}`);
  for (const [name, rate] of await measureSpec(spec, entries, (n) => notes.push(n))) {
    const [library, backend] = splitName(name);
    if (spec.kind === 'handshake') {
      handshakes.push({ library, backend, suite: spec.suite, pattern: spec.pattern, perSecond: rate.perSecond, rounds: [...rate.rounds], dhPerPair: keyNeeds(spec.pattern).dhOps });
      log(`  ${name.padEnd(24)} ${rate.perSecond.toFixed(0)} hs/s`);
    } else {
      transport.push({ library, backend, size: spec.size, mbPerSecond: rate.perSecond / 1e6, rounds: rate.rounds.map((x) => x / 1e6), pageFaults: rate.pageFaults && [...rate.pageFaults] });
      log(`  ${name.padEnd(24)} ${(rate.perSecond / 1e6).toFixed(1)} MB/s`);
    }
  }
  return { handshakes, transport, notes };
}

/**
 * A group in a child process of its own (`--in-process`): no group inherits another's heap, JIT
 * or allocator state (measured: 64 KiB throughput of every library fell by up to half after the
 * handshake groups had run in the same process). With separate contender processes (the
 * default), the parent only orchestrates and runs the groups itself.
 */
async function groupResult(spec: GroupSpec): Promise<GroupResult> {
  if (!options.inProcess === true) return runGroup(spec);
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', new URL(import.meta.url).pathname, ...userArgv, '--group', JSON.stringify(spec)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out) as GroupResult;
}

/**
 * TCP over loopback per pattern (`--tcp`) and backend, in this process: noisekit's connections/s
 * and one connection's throughput against plain TCP doing the same, in the same rounds
 * (src/bench/socket.ts socketBench).
 */
async function tcpBench(): Promise<NonNullable<Results['socket']>> {
  const plain = (x: Rate) => ({ perSecond: x.perSecond, rounds: [...x.rounds] });
  const { concurrency, chunk, bytes } = SOCKET_BENCH;
  const out: NonNullable<Results['socket']> = [];
  for (const pattern of options.tcp) {
    const protocol = `Noise_${pattern}_${COMPARE_SUITE}`;
    for (const { backend, kind, result } of await socketBench(protocol, backends, rounds, ms)) {
      const what = kind === 'connections' ? `${pattern} connections/s (TCP connect, handshake, one message; ${concurrency} in flight)` : `${pattern} one connection, MB/s one way (writes of ${chunk} B, ${bytes >> 20} MiB per round)`;
      out.push({ kind, protocol, backend, what, noisekit: plain(result.noisekit), tcp: plain(result.tcp), ratio: result.ratio });
      const unit = kind === 'connections' ? 1 : 1e6;
      log(`  tcp ${pattern} ${backend}: ${kind} ${(result.noisekit.perSecond / unit).toFixed(0)}, plain TCP ${(result.tcp.perSecond / unit).toFixed(0)}`);
    }
  }
  return out;
}

/** An argument as a POSIX shell needs it to pass it on unchanged (so the printed command reruns the run). */
function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/**
 * glibc malloc settings from the environment (MALLOC_TRIM_THRESHOLD_ and the like, GLIBC_TUNABLES):
 * every contender process inherits them, and they change large-message rates (bench/report.ts
 * pageFaultNote), so the report names them.
 */
function allocatorEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => /^(MALLOC_|GLIBC_TUNABLES$)/.test(e[0]) && e[1] !== undefined));
}

async function main() {
  const started = new Date();
  const load = os.loadavg();
  log(`noisekit bench: ${quick ? 'quick, ' : ''}${rounds} rounds × ${ms} ms after ${warmCpuMs} ms of warm-up, patterns ${patterns.join(',')}, backends ${backends.join(',')}; load ${load.map((l) => l.toFixed(2)).join(' ')}`);

  const specs: GroupSpec[] = [
    ...suites.flatMap((suite) => patterns.map((pattern) => ({ kind: 'handshake' as const, pattern, suite }))),
    ...SIZES.map((size) => ({ kind: 'transport' as const, size })),
  ];
  const notes = new Set<string>([LIBP2P_NOISE_NOTE]);
  const handshakes: Results['handshakes'] = [];
  const transport: Results['transport'] = [];
  for (const spec of specs) {
    const part = await groupResult(spec);
    handshakes.push(...part.handshakes);
    transport.push(...part.transport);
    for (const n of part.notes) notes.add(n);
  }

  const socket = await tcpBench();

  const faults = pageFaultNote({ transport, msPerRound: ms }, 65519);
  if (faults) notes.add(faults);

  const mem = options.memory ? memory() : undefined;

  const results: Results = {
    date: started.toISOString(),
    command: `npm run bench${argv.length ? ' -- ' + argv.map(shellQuote).join(' ') : ''}`,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '?', node: process.version, loadAtStart: load, loadAtEnd: os.loadavg(), allocatorEnv: allocatorEnv() },
    rounds,
    msPerRound: ms,
    warmCpuMs,
    processPer: options.inProcess === true ? 'group' : 'contender',
    handshakes,
    transport,
    socket,
    memory: mem,
    notes: [...notes],
  };
  process.stdout.write(renderText(results));
  const json = options.json;
  // The targets table as computed from these results (ratios, bounds, status), for machines too.
  if (json) write(json, JSON.stringify({ ...results, targets: targets(results) }, null, 2) + '\n');
  const md = options.markdown;
  if (md) write(md, renderMarkdown(results));
  const svg = options.svg ?? (md ? md.replace(/\.md$/, '.svg') : undefined);
  if (svg) write(svg, renderSvg(results));
}

function write(file: string, text: string) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  log(`wrote ${file}`);
}

const groupArg = options.group;
const contenderArg = options.contender;
const entry = !groupArg ? main() : contenderArg ? runContender(JSON.parse(groupArg) as GroupSpec, contenderArg) : runGroup(JSON.parse(groupArg) as GroupSpec).then((r) => void process.stdout.write(JSON.stringify(r)));
entry.catch((e) => {
  console.error(e);
  process.exit(1);
});
