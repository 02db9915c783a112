/**
 * Runs a Node program (the CLI, an example) as a child process to completion, for the tests that
 * exercise what users run. Killed after `timeoutMs`; stdin gets `input` and is then closed.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** The CLI entry point, run through tsx so the tests need no build. */
export const CLI_MAIN = 'src/cli/main.ts';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to stdin, which is then closed (default: closed at once). */
  input?: string;
  /** Killed with SIGKILL after this long (default 20 s). */
  timeoutMs?: number;
  /** Running children are added here (and removed when they exit), so `after` hooks can kill them. */
  track?: Set<ChildProcess>;
  /** Added to (and overriding) this process's environment. */
  env?: Record<string, string>;
}

/** Runs `node --import tsx <args>` and resolves with its exit status and output. */
export function runNode(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: process.cwd(), env: { ...process.env, ...options.env } });
    options.track?.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      options.track?.delete(child);
      done({ status, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs `noisekit <args>` from the source tree. */
export function runCli(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runNode([CLI_MAIN, ...args], options);
}

/** A long-running CLI command that has said it is ready. */
export interface StartedCli {
  child: ChildProcess;
  /** The match of the ready line. */
  match: RegExpExecArray;
  /** Every complete line of the watched stream so far (it keeps growing). */
  log: string[];
  /** All of the watched stream so far, as one string. */
  output(): string;
}

/**
 * Starts `noisekit <args>` and resolves once a line of `stream` (default stderr) matches `ready`;
 * rejects if the command exits first or is not ready within `timeoutMs` (then it is killed).
 * The other output stream is ignored.
 */
export function startCli(
  args: string[],
  ready: RegExp,
  options: { stream?: 'stdout' | 'stderr'; timeoutMs?: number; track?: Set<ChildProcess> } = {},
): Promise<StartedCli> {
  const stream = options.stream ?? 'stderr';
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], {
      cwd: process.cwd(),
      stdio: ['ignore', stream === 'stdout' ? 'pipe' : 'ignore', stream === 'stderr' ? 'pipe' : 'ignore'],
    });
    options.track?.add(child);
    const log: string[] = [];
    let buf = '';
    let started = false;
    const output = () => [...log, buf].join('\n');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${args[0]} did not start: ${output()}`));
    }, options.timeoutMs ?? 20_000);
    child[stream]!.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        log.push(line);
        const m = started ? null : ready.exec(line);
        if (m) {
          started = true;
          clearTimeout(timer);
          done({ child, match: m, log, output });
        }
      }
    });
    child.on('close', () => {
      options.track?.delete(child);
      clearTimeout(timer);
      if (!started) fail(new Error(`${args[0]} exited: ${output()}`));
    });
  });
}
