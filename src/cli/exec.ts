/**
 * `serve --exec CMD`: one command per connection, with the decrypted stream as its stdin and its
 * stdout as the stream back (the connection ends, authenticated, when that output ends).
 *
 * - The command runs in a process group of its own, and the whole group is signalled: the
 *   shell's children (pipelines, `sleep`, ...) never outlive their connection or the server.
 * - A command that stops reading (exits, closes its stdin) does not stall the connection: the
 *   rest of the client's input is read and dropped, so the client's end still arrives.
 * - After a clean end (both authenticated ends exchanged) the command has its whole input and
 *   EOF and is left to finish; a connection that failed, and stopCommands() at shutdown, end it
 *   (SIGTERM, then SIGKILL after 5 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { NoiseSocket } from '../net/noise-socket.js';

const running = new Set<ChildProcess>();

/** SIGTERM to the command's process group, SIGKILL 5 s later if it is still there. */
function stop(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig); // the group: the shell and everything it started
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const hard = setTimeout(() => signal('SIGKILL'), 5_000);
  hard.unref();
  child.once('exit', () => clearTimeout(hard));
}

/** Runs `cmd` (through the shell) for one connection. `log` gets `exec-error` lines. */
export function runCommand(cmd: string, s: NoiseSocket, log: (line: string) => void, peer: string): void {
  const child = spawn(cmd, { shell: true, stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  running.add(child);
  child.on('exit', () => running.delete(child));
  child.on('error', (err) => {
    running.delete(child);
    log(`exec-error ${peer}: ${err.message}`);
    s.destroy();
  });
  // The command stopped reading: drop the rest of the input instead of stalling the client.
  const discard = () => {
    s.unpipe(child.stdin);
    s.resume();
  };
  child.stdin.on('error', discard); // EPIPE: the command exited or closed its stdin
  child.stdin.on('close', discard);
  s.pipe(child.stdin);
  child.stdout.pipe(s);
  s.on('close', () => {
    if (!s.readableEnded || !s.writableFinished) stop(child); // the connection failed
  });
}

/** Ends every command still running (the server is shutting down). */
export function stopCommands(): void {
  for (const child of running) stop(child);
}
