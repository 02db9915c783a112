/**
 * The text table of `noisekit bench`: per group, each contender's median rate and time per
 * operation, and each noisekit backend's ratio to every floor of the group (median of the
 * per-round ratios).
 */
import type { BenchGroupResult, BenchOptions } from './run.js';
import { SOCKET_BENCH, type SocketRun } from './socket.js';

const pad = (s: string, n: number, right = false) => (right ? s.padEnd(n) : s.padStart(n));

/** One group as lines of text. */
export function renderGroup(g: BenchGroupResult): string[] {
  const handshake = g.spec.kind === 'handshake';
  const unit = handshake ? 'pairs/s' : 'MB/s';
  const per = handshake ? 'µs/pair' : 'µs/msg';
  const floors = g.rows.filter((r) => r.name.startsWith('floor ')).map((r) => r.name);
  const head = ['contender', unit, per, ...floors.map((f) => `vs ${f.slice('floor '.length)}`)];
  const body = g.rows.map((r) => {
    const perOp = handshake ? 1e6 / r.perSecond : (1e6 * (g.spec.kind === 'transport' ? g.spec.size : 1)) / r.perSecond;
    return [
      r.name,
      handshake ? r.perSecond.toFixed(0) : (r.perSecond / 1e6).toFixed(1),
      perOp.toFixed(1),
      ...floors.map((f) => (f in r.vsFloor ? `${r.vsFloor[f]!.toFixed(2)}×` : '')),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => pad(c, widths[i]!, i === 0)).join('  ').trimEnd();
  return [`${g.title} (floor: ${g.floorWork})`, line(head), ...body.map(line), ...g.notes.map((n) => `  note: ${n}`)];
}

/** The header line: what ran and how it was measured. */
export function renderHeader(o: BenchOptions, processPer: 'contender' | 'group'): string {
  const where = processPer === 'contender' ? 'each contender in a process of its own' : 'all contenders of a group in one process';
  return `noisekit bench: backends ${o.backends.join(', ')}; ${o.rounds} rounds × ${o.ms} ms per contender after ${o.warmCpuMs} ms of CPU warm-up, ${where}, interleaved round by round; medians, ratios the median of per-round ratios; every handshake and decryption checked`;
}

/** TCP loopback results (src/bench/socket.ts) as lines of text. */
export function renderSocket(protocol: string, results: readonly SocketRun[]): string[] {
  if (!results.length) return [];
  const rows = results.map(({ backend, kind, result }) => {
    const scale = kind === 'throughput' ? 1e6 : 1;
    const fmt = (x: number) => (x / scale).toFixed(0);
    return [kind === 'connections' ? 'connections/s' : 'MB/s one way', backend, fmt(result.noisekit.perSecond), fmt(result.tcp.perSecond), `${result.ratio.toFixed(2)}×`];
  });
  const head = ['measure', 'backend', 'noisekit', 'plain TCP', 'vs TCP'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => pad(c, widths[i]!, i < 2)).join('  ');
  const title = `TCP over loopback, ${protocol}: connections/s (connect, handshake, one message; ${SOCKET_BENCH.concurrency} in flight), one connection's MB/s (writes of ${SOCKET_BENCH.chunk} B); plain TCP carries the same messages or bytes without Noise`;
  return [title, line(head), ...rows.map(line)];
}
