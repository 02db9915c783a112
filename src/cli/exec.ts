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
import { readdir, readFile } from 'node:fs/promises';
import type { NoiseSocket } from '../net/noise-socket.js';

/** How long a group has after SIGTERM before SIGKILL. */
const GRACE_MS = 5_000;

/** How often the groups whose shell has exited are checked for members left. */
const SWEEP_MS = 1_000;

/**
 * Process groups of the commands started, by group id (the shell's pid), for as long as they may
 * have members: an entry goes once the group is found empty (the shell's exit alone says
 * nothing: `cmd >/dev/null &` leaves cmd behind with no pipe of ours).
 *
 * Nothing here looks at all of /proc per connection: a connection costs the same whether 1 or
 * 1,000 commands run. A group is checked on its own (kill(-pgid, 0)) when its shell exits;
 * groups that outlive their shell are swept once a second (`lingering`), and only when one of
 * them still seems to have a member is /proc read, asynchronously, to tell members that are
 * only zombies apart.
 */
const groups = new Map<number, object>(); // the value tells a group from a later one with the same id

/** The groups whose shell has exited but which had a member left when last checked. */
const lingering = new Set<number>();

let sweepTimer: NodeJS.Timeout | undefined;
let sweeping: Promise<void> | undefined;

/** How many command groups are tracked (running, or not yet found empty). */
export function commandGroups(): number {
  return groups.size;
}

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
 * The process groups among `wanted` that have a member other than a zombie, read from /proc
 * without blocking the event loop (undefined where there is no /proc). A member that died but
 * was never reaped (an orphan under an init that does not reap, e.g. serve itself as PID 1 in a
 * container) is not something to wait for.
 */
async function liveGroups(wanted: ReadonlySet<number>): Promise<Set<number> | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  const live = new Set<number>();
  for (const d of entries) {
    const c = d.charCodeAt(0);
    if (c < 48 || c > 57) continue; // not a pid
    let stat: string;
    try {
      stat = await readFile(`/proc/${d}/stat`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    if (fields[0] !== 'Z' && wanted.has(pgrp)) {
      live.add(pgrp);
      if (live.size === wanted.size) break; // nothing left to learn
    }
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

function forget(pgid: number): void {
  groups.delete(pgid);
  lingering.delete(pgid);
}

/**
 * Forgets the groups among `which` that have no member left (zombies aside): kill(-pgid, 0)
 * for each, then one read of /proc for those that still answer, if any do.
 */
async function prune(which: Iterable<number>): Promise<void> {
  const maybe = new Map<number, object>();
  for (const pgid of which) {
    const entry = groups.get(pgid);
    if (entry === undefined) continue;
    if (groupAlive(pgid)) maybe.set(pgid, entry);
    else forget(pgid);
  }
  if (maybe.size === 0) return;
  const live = await liveGroups(new Set(maybe.keys()));
  // (a group forgotten meanwhile, and its id reused by a new command, is not this one)
  if (live) for (const [pgid, entry] of maybe) if (!live.has(pgid) && groups.get(pgid) === entry) forget(pgid);
}

/** Checks the lingering groups once a second, while there are any (one sweep at a time). */
function scheduleSweep(): void {
  if (sweepTimer || sweeping || lingering.size === 0) return;
  sweepTimer = setTimeout(() => {
    sweepTimer = undefined;
    sweeping = prune([...lingering]).finally(() => {
      sweeping = undefined;
      scheduleSweep();
    });
  }, SWEEP_MS);
  sweepTimer.unref();
}

/** The shell of a group has exited: forget the group if that was its last member, else sweep it. */
function shellExited(pgid: number): void {
  if (!groups.has(pgid)) return;
  if (!groupAlive(pgid)) {
    forget(pgid);
    return;
  }
  lingering.add(pgid);
  scheduleSweep();
}

/** SIGTERM to a group, SIGKILL after the grace period to what is left of it. */
function stopGroup(pgid: number): void {
  const entry = groups.get(pgid);
  if (entry === undefined) return;
  signalGroup(pgid, 'SIGTERM');
  setTimeout(() => {
    if (groups.get(pgid) === entry && groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
  }, GRACE_MS).unref(); // the server stays up meanwhile; at shutdown stopCommands() waits
}

/**
 * Runs `cmd` (through the shell) for one connection. `log` gets `exec-error` lines (it could not
 * start) and `exec-exit ADDR status N` / `signal SIG` lines (it did not exit with status 0).
 */
export function runCommand(cmd: string, s: NoiseSocket, log: (line: string) => void, peer: string): void {
  const child = spawn(cmd, { shell: true, stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  const pgid = child.pid;
  if (pgid !== undefined) groups.set(pgid, {});
  child.once('exit', (code, signal) => {
    if (pgid !== undefined) shellExited(pgid);
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
  clearTimeout(sweepTimer);
  sweepTimer = undefined;
  await sweeping;
  await prune([...groups.keys()]);
  if (groups.size === 0) return;
  for (const pgid of groups.keys()) signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    await prune([...groups.keys()]);
    if (groups.size === 0) return;
  }
  for (const pgid of groups.keys()) signalGroup(pgid, 'SIGKILL');
  await prune([...groups.keys()]);
}
