/**
 * CLI output conventions: errors are one line with the error code; long jobs show progress on a
 * terminal only (never in pipes or CI logs).
 */
import { SingleBar, Presets } from 'cli-progress';
import { isNoiseError } from '../errors.js';

/** Prints an error as one line (`noisekit: ERR_CODE: message`) and sets a failing exit code. */
export function reportError(err: unknown): void {
  const code = isNoiseError(err) ? err.code : (err as { code?: string })?.code;
  // One line: a message quoting a parser's error (e.g. JSON.parse) may hold line breaks.
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ').trim();
  const prefix = code && !message.startsWith(code) ? `${code}: ` : '';
  process.stderr.write(`noisekit: ${prefix}${message}\n`);
  process.exitCode = process.exitCode || 1;
}

/** Wraps a command action so that any error becomes one clear line. */
export function action<A extends unknown[]>(fn: (...args: A) => unknown): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      reportError(err);
    }
  };
}

/** A progress bar on stderr when it is a terminal; a no-op otherwise. */
export function progress(total: number, label: string): { tick(n?: number): void; stop(): void } {
  if (!process.stderr.isTTY || process.env.CI) return { tick() {}, stop() {} };
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true }, Presets.shades_classic);
  bar.start(total, 0);
  return { tick: (n = 1) => bar.increment(n), stop: () => bar.stop() };
}
