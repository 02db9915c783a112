/**
 * Standard streams of `connect`, as netcat uses them in shell pipelines:
 * - what arrives goes to stdout with backpressure: a slow reader (`| pv -L 100k`) slows the
 *   connection down instead of piling the stream up in memory;
 * - a reader that goes away (`| head -c 10`: EPIPE) ends the session quietly with status 141, as
 *   a program killed by SIGPIPE (Node ignores that signal, so without this it would be an
 *   unhandled 'error' and a stack trace).
 */
import type { Readable } from 'node:stream';

/** Exit status when stdout's reader went away (128 + SIGPIPE). */
export const EXIT_STDOUT_CLOSED = 141;

/**
 * Copies `source` to stdout with backpressure. `onClosed` runs once if stdout's reader goes away
 * (the caller ends the session; process.exitCode is set to 141).
 */
export function toStdout(source: Readable, onClosed: () => void): { readonly closed: boolean } {
  const out = process.stdout;
  const state = { closed: false };
  const gone = () => {
    if (state.closed) return;
    state.closed = true;
    source.unpipe(out);
    process.exitCode = EXIT_STDOUT_CLOSED;
    onClosed();
  };
  out.on('error', gone); // EPIPE (or any failure to write: nothing more can be shown)
  source.pipe(out, { end: false });
  return state;
}

/** Writes one line to stdout unless it is full: a datagram for a full stdout is dropped (counted). */
export function lineToStdout(line: Buffer): boolean {
  const out = process.stdout;
  if (out.destroyed || out.writableNeedDrain) return false;
  out.write(line);
  return true;
}
