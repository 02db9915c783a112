/**
 * Contenders measured each in a process of its own, interleaved by the parent: every round, the
 * parent asks each contender's process in turn (the order rotates from round to round) to run
 * for `ms`, and only one runs at a time. So a slow phase of a shared machine still hits all of
 * them alike, as in measureGroup, but no contender runs on a heap, JIT or allocator state that
 * another one left behind.
 *
 * Protocol on the child's stdin/stdout, one line each way: the child warms up (for a given CPU
 * time) and calibrates its batch size, then prints `ready`; for every `<ms>` line it runs one
 * slot and answers `<calls> <elapsed ms> <minor page faults>`; after the last round, to `note`
 * it answers `note` and a line for the report, if it has one (what it saw while measuring). A
 * result check that throws ends the child with an error, which fails the whole bench.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { calibrate, median, runSlot, warmUp, type Contender, type Rate } from './measure.js';

export interface IsolatedContender {
  readonly name: string;
  /** Operations (or bytes) per call of the work; default 1. */
  readonly opsPerCall?: number;
  /**
   * The node arguments that start this contender's process (after `--expose-gc`), e.g.
   * `['--import', 'tsx', 'bench/run.ts', ...]` or `['dist/cli/main.js', 'bench', ...]`.
   */
  readonly argv: readonly string[];
}

/** In a contender's process: warm up, then serve slots until stdin closes. */
export async function serveContender(c: Contender, ms: number, note?: () => string | undefined, warmCpuMs = 0): Promise<void> {
  // Warm-up (measure.ts warmUp) and calibration as in measureGroup.
  warmUp(c, warmCpuMs);
  const batch = calibrate(c, Math.max(100, ms), ms);
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'note') {
      const n = note?.()?.replace(/\s+/g, ' ');
      process.stdout.write(n ? `note ${n}\n` : 'note\n');
      continue;
    }
    const { calls, elapsedMs, pageFaults } = runSlot(c, batch, Number(line));
    process.stdout.write(`${calls} ${elapsedMs} ${pageFaults}\n`);
  }
}

interface Child {
  readonly contender: IsolatedContender;
  /** The next line the child prints. */
  next(): Promise<string>;
  send(line: string): void;
  kill(): void;
  readonly rounds: number[];
  readonly pageFaults: number[];
}

function startChild(contender: IsolatedContender): Child {
  const proc = spawn(process.execPath, ['--expose-gc', ...contender.argv], { stdio: ['pipe', 'pipe', 'pipe'] });
  // The child's stderr is kept (its tail) for the error message, not interleaved with the parent's.
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const lines: string[] = [];
  const waiting: { resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | undefined;
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w.resolve(l);
    else lines.push(l);
  });
  proc.on('close', (code, signal) => {
    // A child that ends while the parent still waits for a line (even with exit 0 or on
    // SIGTERM from elsewhere) fails the run instead of leaving it waiting forever; one we
    // stopped ourselves (kill() below) has nobody waiting.
    if ((code === 0 || signal === 'SIGTERM') && waiting.length === 0) {
      failure = new Error(`bench: contender ${contender.name} ended (exit ${code ?? signal})`);
      return;
    }
    const why = stderr.split('\n').filter((l) => /Error/.test(l)).slice(-1)[0] ?? stderr.trim().split('\n').slice(-1)[0];
    failure = new Error(`bench: contender ${contender.name} failed (exit ${code ?? signal}): ${why ?? 'no output'}`);
    for (const w of waiting.splice(0)) w.reject(failure);
  });
  proc.on('error', (e) => {
    failure = e;
    for (const w of waiting.splice(0)) w.reject(e);
  });
  return {
    contender,
    rounds: [],
    pageFaults: [],
    next: () => {
      const l = lines.shift();
      if (l !== undefined) return Promise.resolve(l);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    send: (line) => void proc.stdin!.write(line + '\n'),
    kill: () => {
      proc.stdin!.end();
      proc.kill('SIGTERM');
    },
  };
}

/** Measures the contenders, each in its own process, interleaved round by round. */
export async function measureIsolated(
  contenders: readonly IsolatedContender[],
  opts: { ms: number; rounds: number; onNote?: (note: string) => void },
): Promise<Map<string, Rate>> {
  const children = contenders.map(startChild);
  try {
    for (const c of children) {
      const l = await c.next();
      if (l !== 'ready') throw new Error(`bench: contender ${c.contender.name} said ${JSON.stringify(l)}`);
    }
    for (let r = 0; r < opts.rounds; r++) {
      for (let k = 0; k < children.length; k++) {
        const c = children[(k + r) % children.length]!;
        c.send(String(opts.ms));
        const [calls, elapsed, faults] = (await c.next()).split(' ').map(Number) as [number, number, number];
        c.rounds.push((calls * (c.contender.opsPerCall ?? 1) * 1000) / elapsed);
        c.pageFaults.push(faults);
      }
    }
    for (const c of children) {
      c.send('note');
      const l = await c.next();
      if (!l.startsWith('note')) throw new Error(`bench: contender ${c.contender.name} said ${JSON.stringify(l)}`);
      if (l.length > 5) opts.onNote?.(l.slice(5));
    }
  } finally {
    for (const c of children) c.kill();
  }
  return new Map(children.map((c) => [c.contender.name, { perSecond: median(c.rounds), rounds: c.rounds, pageFaults: c.pageFaults }]));
}
