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

/**
 * Commands whose process group may still have members: until the shell has exited and its
 * stdout pipe has closed (nothing it started holds the pipe any more), not just until the shell
 * exits (`cmd &` leaves `cmd` behind in the group).
 */
const running = new Set<ChildProcess>();

/**
 * SIGTERM to the command's whole process group, also after the shell itself exited, and SIGKILL
 * 5 s later to whatever of the group is left. Its pipes are let go at once, so a member that
 * ignores SIGTERM cannot hold the server open meanwhile.
 */
function stop(child: ChildProcess): void {
  if (!running.has(child) || child.pid === undefined) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig); // the group: the shell and everything it started
    } catch {
      // the group is gone
    }
  };
  signal('SIGTERM');
  setTimeout(() => signal('SIGKILL'), 5_000).unref();
  child.stdout?.destroy();
  child.stdin?.destroy();
}

/** Runs `cmd` (through the shell) for one connection. `log` gets `exec-error` lines. */
export function runCommand(cmd: string, s: NoiseSocket, log: (line: string) => void, peer: string): void {
  const child = spawn(cmd, { shell: true, stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  running.add(child);
  let exited = false;
  let drained = false;
  const settle = () => void (exited && drained && running.delete(child));
  child.once('exit', () => ((exited = true), settle()));
  child.stdout.once('close', () => ((drained = true), settle()));
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
