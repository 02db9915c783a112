/**
 * Standard output of `connect`, as netcat uses it in shell pipelines:
 * - what arrives goes to stdout with backpressure: a slow reader (`| pv -L 100k`) slows the
 *   connection down instead of piling the stream up in memory;
 * - a reader that goes away (`| head -c 10`: EPIPE) ends the session quietly with status 141, as
 *   a program killed by SIGPIPE (Node ignores that signal, so without this it would be an
 *   unhandled 'error' and a stack trace);
 * - any other failure to write (`> /dev/full`: ENOSPC) is an error line and status 1: data was
 *   lost, and saying nothing would hide it.
 */
import type { Readable } from 'node:stream';
import { NoiseError } from '../errors.js';

/** Exit status when stdout's reader went away (128 + SIGPIPE). */
export const EXIT_STDOUT_CLOSED = 141;

/** What became of stdout. */
export interface StdoutState {
  /** Its reader went away (EPIPE): end quietly, status 141. */
  readonly closed: boolean;
  /** Writing failed otherwise: the error to report. */
  readonly failure: NoiseError | undefined;
}

/** Watches stdout for errors; `onGone` runs once when nothing more can be written to it. */
export function watchStdout(onGone: () => void): StdoutState {
  const state = { closed: false, failure: undefined as NoiseError | undefined };
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (state.closed || state.failure) return;
    if (err.code === 'EPIPE') {
      state.closed = true;
      process.exitCode = EXIT_STDOUT_CLOSED;
    } else {
      state.failure = new NoiseError('ERR_NOISE_SOCKET', `cannot write to standard output: ${err.message}`, { cause: err });
    }
    onGone();
  });
  return state;
}

/** Copies `source` to stdout with backpressure; `onGone` as in watchStdout (it should end the session). */
export function toStdout(source: Readable, onGone: () => void): StdoutState {
  const state = watchStdout(() => {
    source.unpipe(process.stdout);
    onGone();
  });
  source.pipe(process.stdout, { end: false });
  return state;
}

/**
 * Writes one line to stdout unless it is full (its buffer above the high-water mark) or gone:
 * a datagram cannot be slowed down, so the caller drops (and counts) it instead.
 */
export function lineToStdout(line: Buffer, state: StdoutState): boolean {
  const out = process.stdout;
  if (state.closed || state.failure || out.writableNeedDrain) return false;
  out.write(line);
  return true;
}
