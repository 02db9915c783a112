/**
 * `serve --exec CMD`: one command per connection, with the decrypted stream as its stdin and its
 * stdout as the stream back (the connection ends, authenticated, when that output ends).
 *
 * - The command runs in a process group of its own, and the whole group is signalled: what the
 *   shell started (pipelines, `cmd &`, `cmd >log &`) never outlives its connection or the server.
 * - A command that stops reading (exits, closes its stdin) does not stall the connection: the
 *   rest of the client's input is read and dropped, so the client's end still arrives.
 * - After a clean end (both authenticated ends exchanged) the command has its whole input and
 *   EOF and is left to finish; a connection that failed gets its group SIGTERM, then SIGKILL
 *   5 s later; stopCommands() at shutdown does the same and waits for it.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { NoiseSocket } from '../net/noise-socket.js';

/** How long a group has after SIGTERM before SIGKILL. */
const GRACE_MS = 5_000;

/**
 * Process groups of the commands started, by group id (the shell's pid), for as long as they may
 * have members: an entry goes once the group is found empty (the shell's exit alone says
 * nothing: `cmd >/dev/null &` leaves cmd behind with no pipe of ours).
 */
const groups = new Set<number>();

/** True while the process group has a member (signal 0 only checks; zombies count). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The process groups that have a member other than a zombie, read from /proc (undefined where
 * there is none). A member that died but was never reaped (an orphan under an init that does
 * not reap, e.g. serve itself as PID 1 in a container) is not something to wait for.
 */
function liveGroups(): Set<number> | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const live = new Set<number>();
  for (const d of entries) {
    const c = d.charCodeAt(0);
    if (c < 48 || c > 57) continue; // not a pid
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z') live.add(Number(fields[2]));
  }
  return live;
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // the group is gone
  }
}

/** Forgets the groups that have no member left (zombies aside). */
function prune(): void {
  if (groups.size === 0) return;
  const live = liveGroups();
  for (const pgid of groups) if (live ? !live.has(pgid) : !groupAlive(pgid)) groups.delete(pgid);
}

/** SIGTERM to a group, SIGKILL after the grace period to what is left of it. */
function stopGroup(pgid: number): void {
  prune();
  if (!groups.has(pgid)) return;
  signalGroup(pgid, 'SIGTERM');
  setTimeout(() => {
    if (groups.has(pgid)) signalGroup(pgid, 'SIGKILL');
    prune();
  }, GRACE_MS).unref(); // the server stays up meanwhile; at shutdown stopCommands() waits
}

/**
 * Runs `cmd` (through the shell) for one connection. `log` gets `exec-error` lines (it could not
 * start) and `exec-exit ADDR status N` / `signal SIG` lines (it did not exit with status 0).
 */
export function runCommand(cmd: string, s: NoiseSocket, log: (line: string) => void, peer: string): void {
  prune();
  const child = spawn(cmd, { shell: true, stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  const pgid = child.pid;
  if (pgid !== undefined) groups.add(pgid);
  child.once('exit', (code, signal) => {
    prune();
    // The stream still ends authenticated when the output ends: say in the log that it failed.
    if (code !== 0 && code !== null) log(`exec-exit ${peer} status ${code}`);
    else if (signal) log(`exec-exit ${peer} signal ${signal}`);
  });
  child.on('error', (err) => {
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
    if (s.readableEnded && s.writableFinished) return; // a clean end: the command may finish
    if (pgid !== undefined) stopGroup(pgid); // the connection failed
    // Let go of the pipes at once: a member that ignores SIGTERM must not hold anything open.
    child.stdout.destroy();
    child.stdin.destroy();
  });
}

/**
 * Ends every command group still alive (the server is shutting down): SIGTERM, then SIGKILL to
 * what is left after the grace period. Resolves once every group is gone.
 */
export async function stopCommands(): Promise<void> {
  prune();
  if (groups.size === 0) return;
  for (const pgid of groups) signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while (Date.now() < deadline) {
    prune();
    if (groups.size === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
  prune();
}
