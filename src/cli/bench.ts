/**
 * `noisekit bench [--patterns NN,XX,IK,KK] [--suites S,...] [--backends node,...] [--sizes 64,...]
 * [--rounds N] [--ms N] [--warm N] [--quick] [--in-process] [--tcp XX] [--json FILE]`: noisekit's handshakes/s and transport
 * throughput on this machine, per backend, with the ratio to the raw primitives measured in the
 * same rounds. Argument parsing only; the work is in src/bench/. The comparison with the other
 * JavaScript Noise libraries is `npm run bench` in a checkout (they are devDependencies).
 */
import { Command, Option } from 'commander';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as os from 'node:os';
import { DEFAULT_BENCH, availableBackends, benchGroups, groupContenders, inProcess, runBenchGroup, type BenchBackend, type BenchGroupResult, type BenchGroupSpec, type BenchOptions, type Measure } from '../bench/run.js';
import { measureIsolated, serveContender } from '../bench/isolated.js';
import { renderGroup, renderHeader, renderSocket } from '../bench/table.js';
import { socketBench, type SocketRun } from '../bench/socket.js';
import { COMPARE_SUITE, keyNeeds } from '../bench/workloads.js';
import { action, progress } from './output.js';
import { wholeNumber } from './args.js';
import { NoiseError } from '../errors.js';
import { isOneWay } from '../patterns/types.js';
import { resolvePattern } from '../engine/handshake-state.js';
import { parseProtocolName } from '../protocol-name.js';

/** Refuses a --json path whose directory cannot be written, before minutes of measuring. */
function checkWritable(path: string): void {
  try {
    accessSync(dirname(resolve(path)), constants.W_OK);
  } catch (err) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `--json ${path}: cannot write there (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}

function writeOrFail(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `--json ${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const size = wholeNumber(0, 65519);

interface Flags {
  patterns: string[];
  suites: string[];
  backends: BenchBackend[];
  sizes: number[];
  rounds?: number;
  ms?: number;
  warm?: number;
  quick?: boolean;
  json?: string;
  tcp: string[];
  inProcess?: boolean;
  group?: string;
  contender?: string;
}

/** What a contender's process is told: its group and the run's options. */
interface ChildTask {
  spec: BenchGroupSpec;
  options: BenchOptions;
}

/**
 * Each contender in a process of its own (src/bench/isolated.ts), this command re-run with the
 * hidden --group/--contender: no contender runs on a heap or JIT state another one left.
 */
function isolated(o: BenchOptions, spec: BenchGroupSpec): Measure {
  const task = JSON.stringify({ spec, options: o } satisfies ChildTask);
  return (contenders) =>
    measureIsolated(
      contenders.map((c) => ({ name: c.name, opsPerCall: c.opsPerCall, argv: [...process.execArgv, process.argv[1]!, 'bench', '--group', task, '--contender', c.name] })),
      { ms: o.ms, rounds: o.rounds },
    );
}

/** In a contender's process: build that one contender and serve the parent's time slots. */
async function serveChild(taskJson: string, name: string): Promise<void> {
  const task = JSON.parse(taskJson) as ChildTask;
  const c = groupContenders(task.spec, task.options).contenders.find((x) => x.name === name);
  if (!c) throw new Error(`bench: no contender ${name} in this group`);
  await serveContender({ name, work: c.make() }, task.options.ms, undefined, task.options.warmCpuMs);
}

/** `noisekit bench`. */
export function benchCommand(): Command {
  const d = DEFAULT_BENCH;
  return new Command('bench')
    .description('measure handshakes/s and transport MB/s per backend on this machine, against the raw primitives')
    .addOption(new Option('--patterns <list>', 'handshake patterns, comma-separated (modifiers allowed, e.g. XXpsk3); empty for none').argParser(list).default([...d.patterns], d.patterns.join(',')))
    .addOption(new Option('--suites <list>', 'suites <dh>_<cipher>_<hash>, comma-separated; transport uses the first').argParser(list).default([...d.suites], d.suites.join(',')))
    .addOption(new Option('--backends <list>', 'backends, comma-separated').argParser(list).default([...d.backends], `all available: ${availableBackends().join(',')}`))
    .addOption(new Option('--sizes <list>', 'transport plaintext sizes in bytes (0-65519), comma-separated; empty for none').argParser((s: string) => list(s).map(size)).default([...d.sizes], d.sizes.join(',')))
    .option('--rounds <n>', `rounds per group (default ${d.rounds}; --quick 5)`, wholeNumber(1))
    .option('--ms <n>', `milliseconds per contender per round (default ${d.ms}; --quick 50)`, wholeNumber(1))
    .option('--warm <n>', `CPU milliseconds of warm-up per contender (default ${d.warmCpuMs}, also with --quick)`, wholeNumber(0))
    .option('--quick', 'fewer and shorter rounds: a rough figure in seconds')
    .addOption(new Option('--tcp <list>', "patterns for the TCP loopback benchmarks (connections/s, one connection's MB/s) on the first suite; empty for none").argParser(list).default(['XX'], 'XX'))
    .option('--json <file>', 'also write the results as JSON')
    .option('--in-process', 'time all contenders of a group in this process (they then share a heap and JIT state) instead of one process each')
    .addOption(new Option('--group <json>').hideHelp())
    .addOption(new Option('--contender <name>').hideHelp())
    .action(action(async (flags: Flags) => {
      if (flags.group !== undefined && flags.contender !== undefined) return serveChild(flags.group, flags.contender);
      const o: BenchOptions = {
        patterns: flags.patterns,
        suites: flags.suites,
        backends: flags.backends,
        sizes: flags.sizes,
        rounds: flags.rounds ?? (flags.quick ? 5 : d.rounds),
        ms: flags.ms ?? (flags.quick ? 50 : d.ms),
        // not shortened by --quick: auto XX needs 0.6-0.9 s of CPU to settle (bench/run.ts)
        warmCpuMs: flags.warm ?? d.warmCpuMs,
      };
      const groups = benchGroups(o, flags.tcp.length); // a typed error for any bad option, before measuring
      for (const p of flags.tcp) {
        keyNeeds(p);
        if (isOneWay(resolvePattern(parseProtocolName(`Noise_${p}_${COMPARE_SUITE}`)))) {
          throw new NoiseError('ERR_NOISE_ONE_WAY', `bench --tcp ${p}: a one-way pattern has no TCP round trip to measure`);
        }
      }
      if (flags.json) checkWritable(flags.json);
      console.log(renderHeader(o, flags.inProcess ? 'group' : 'contender'));
      const bar = progress(groups.length, 'bench');
      const results: BenchGroupResult[] = [];
      for (const spec of groups) {
        const g = await runBenchGroup(spec, o, flags.inProcess ? inProcess(o) : isolated(o, spec));
        results.push(g);
        bar.tick();
        // Printed as each group finishes; the bar (a terminal only) is redrawn below the lines.
        process.stdout.write(['', ...renderGroup(g), ''].join('\n'));
      }
      // TCP over loopback, in this process (client and server both).
      const socket: (SocketRun & { pattern: string })[] = [];
      for (const pattern of flags.tcp) {
        const protocol = `Noise_${pattern}_${o.suites[0] ?? COMPARE_SUITE}`;
        const part = (await socketBench(protocol, o.backends, o.rounds, o.ms)).map((x) => ({ ...x, pattern }));
        process.stdout.write(['', ...renderSocket(protocol, part), ''].join('\n'));
        socket.push(...part);
      }
      bar.stop();
      if (flags.json) {
        const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '?', node: process.version, load: os.loadavg() };
        const processPer = flags.inProcess ? 'group' : 'contender';
        writeOrFail(flags.json, JSON.stringify({ date: new Date().toISOString(), machine, options: o, processPer, groups: results, socket }, null, 2) + '\n');
        process.stderr.write(`noisekit: wrote ${flags.json}\n`);
      }
    }));
}
