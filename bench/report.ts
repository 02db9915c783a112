/**
 * Rendering of bench results: a plain-text table for the terminal, Markdown for docs/bench.md
 * and an SVG bar chart. Targets of issue #3 are evaluated here from the measured numbers only.
 */

export interface Results {
  date: string;
  command: string;
  machine: { cpus: number; cpu: string; node: string; loadAtStart: number[]; loadAtEnd: number[] };
  rounds: number;
  msPerRound: number;
  floor: { x25519OpsPerSecond: Record<string, number>; aeadMBps: Record<string, Record<number, number>> };
  handshakes: { library: string; backend: string; suite: string; pattern: string; perSecond: number; dhPerPair: number }[];
  transport: { library: string; backend: string; size: number; mbPerSecond: number }[];
  memory?: { sessions: number; bytesPerHandshakeState: number; bytesPerTransportState: number; bytesLeftAfterDrop: number; unreachable: boolean; backend: string };
  notes: string[];
}

const SUITE = '25519_ChaChaPoly_BLAKE2b';
const f0 = (x: number | undefined) => (x === undefined ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const r2 = (x: number | undefined) => (x === undefined || !isFinite(x) ? '-' : x.toFixed(2) + '×');
const FLOOR_LIB: Record<string, string> = { node: 'node:crypto', stablelib: '@stablelib/x25519', sodium: 'sodium-native', auto: 'sodium-native' };

interface Table {
  title: string;
  head: string[];
  rows: string[][];
}

function hs(r: Results, lib: string, pattern: string, backend = '-', suite = SUITE) {
  return r.handshakes.find((h) => h.library === lib && h.pattern === pattern && h.backend === backend && h.suite === suite)?.perSecond;
}
function tp(r: Results, lib: string, size: number, backend = '-') {
  return r.transport.find((t) => t.library === lib && t.size === size && t.backend === backend)?.mbPerSecond;
}
function floorHs(r: Results, backend: string, dhPerPair: number) {
  const ops = r.floor.x25519OpsPerSecond[FLOOR_LIB[backend] ?? 'node:crypto'] ?? r.floor.x25519OpsPerSecond['node:crypto']!;
  return ops / dhPerPair;
}

function tables(r: Results): Table[] {
  const out: Table[] = [];
  const peers = [...new Set(r.handshakes.filter((h) => h.library !== 'noisekit').map((h) => h.library))];
  const tpeers = [...new Set(r.transport.filter((h) => h.library !== 'noisekit').map((h) => h.library))];
  const ours = r.handshakes.filter((h) => h.library === 'noisekit');
  out.push({
    title: 'Handshakes per second (both sides in one process; floor = X25519 ops/s ÷ DH operations per handshake pair)',
    head: ['pattern', 'suite', 'backend', 'hs/s', 'floor hs/s', 'ours/floor', ...peers.flatMap((p) => [p, `ours/${p}`])],
    rows: ours.map((h) => {
      const fl = floorHs(r, h.backend, h.dhPerPair);
      return [
        h.pattern, h.suite, h.backend, f0(h.perSecond), f0(fl), r2(h.perSecond / fl),
        ...peers.flatMap((p) => {
          const v = h.suite === SUITE ? hs(r, p, h.pattern) : undefined;
          return [f0(v), r2(v && h.perSecond / v)];
        }),
      ];
    }),
  });
  const sizes = [...new Set(r.transport.map((t) => t.size))];
  out.push({
    title: 'Transport encrypt+decrypt, MB/s of plaintext (floor = raw node:crypto ChaCha20-Poly1305 seal+open)',
    head: ['size B', 'backend', 'MB/s', 'node:crypto floor', 'ours/floor', 'sodium floor', ...tpeers.flatMap((p) => [p, `ours/${p}`])],
    rows: r.transport.filter((t) => t.library === 'noisekit').map((t) => {
      const fl = r.floor.aeadMBps['node:crypto']?.[t.size];
      return [
        String(t.size), t.backend, f0(t.mbPerSecond), f0(fl), r2(fl && t.mbPerSecond / fl), f0(r.floor.aeadMBps['sodium-native']?.[t.size]),
        ...tpeers.flatMap((p) => {
          const v = tp(r, p, t.size);
          return [f0(v), r2(v && t.mbPerSecond / v)];
        }),
      ];
    }),
  });
  out.push({
    title: 'Primitive floor (same run)',
    head: ['primitive', 'library', 'ops/s', 'µs/op'],
    rows: [
      ...Object.entries(r.floor.x25519OpsPerSecond).map(([lib, v]) => ['X25519 scalar mult', lib, f0(v), (1e6 / v).toFixed(1)]),
      ...Object.entries(r.floor.aeadMBps).flatMap(([lib, bySize]) =>
        Object.entries(bySize).map(([size, mb]) => [`ChaCha20-Poly1305 seal+open ${size} B`, lib, `${f0(mb)} MB/s`, ((Number(size) / (mb * 1e6)) * 1e6).toFixed(2)]),
      ),
    ],
  });
  out.push({ title: 'Targets of issue #3', head: ['target', 'measured', 'status'], rows: targets(r).map((t) => [t.what, t.measured, t.met ? 'met' : 'NOT MET']) });
  if (r.memory) {
    const m = r.memory;
    out.push({
      title: `Memory (${m.sessions} sessions, ${m.backend} backend, heap delta with --expose-gc)`,
      head: ['what', 'bytes'],
      rows: [
        ['retained per finished HandshakeState (after split)', f0(m.bytesPerHandshakeState)],
        ['retained per TransportState', f0(m.bytesPerTransportState)],
        ['left per session after dropping everything', f0(m.bytesLeftAfterDrop)],
        ['finished handshakes unreachable once dropped (WeakRef check)', m.unreachable ? 'yes' : 'NO'],
      ],
    });
  }
  return out;
}

export function targets(r: Results): { what: string; measured: string; met: boolean }[] {
  const t: { what: string; measured: string; met: boolean }[] = [];
  const ratio = (what: string, a: number | undefined, b: number | undefined, min: number) => {
    const x = a !== undefined && b !== undefined ? a / b : NaN;
    t.push({ what: `${what} ≥ ${min}×`, measured: isFinite(x) ? x.toFixed(2) + '×' : 'n/a', met: isFinite(x) && x >= min });
  };
  for (const backend of ['node', 'auto']) {
    if (!r.handshakes.some((h) => h.backend === backend)) continue;
    for (const p of ['XX', 'IK', 'NN']) ratio(`${backend}: ${p} hs/s vs noise-handshake`, hs(r, 'noisekit', p, backend), hs(r, 'noise-handshake', p), 1.5);
    const xx = r.handshakes.find((h) => h.library === 'noisekit' && h.backend === backend && h.pattern === 'XX' && h.suite === SUITE);
    if (xx) ratio(`${backend}: XX hs/s vs its X25519 floor (1/(8 ops))`, xx.perSecond, floorHs(r, backend, 8), 0.7);
    ratio(`${backend}: transport 65519 B vs noise-handshake`, tp(r, 'noisekit', 65519, backend), tp(r, 'noise-handshake', 65519), 1.5);
    ratio(`${backend}: transport 65519 B vs raw node:crypto seal+open`, tp(r, 'noisekit', 65519, backend), r.floor.aeadMBps['node:crypto']?.[65519], 0.85);
    ratio(`${backend}: transport 64 B vs noise-handshake`, tp(r, 'noisekit', 64, backend), tp(r, 'noise-handshake', 64), 1.2);
    ratio(`${backend}: transport 1 KiB vs noise-handshake`, tp(r, 'noisekit', 1024, backend), tp(r, 'noise-handshake', 1024), 1.2);
  }
  const sl = r.handshakes.find((h) => h.library === 'noisekit' && h.backend === 'stablelib' && h.pattern === 'XX' && h.suite === SUITE);
  if (sl) ratio('stablelib: XX hs/s vs its X25519 floor (1/(8 ops))', sl.perSecond, floorHs(r, 'stablelib', 8), 0.8);
  return t;
}

function header(r: Results): string[] {
  return [
    `Command: \`${r.command}\``,
    `Date: ${r.date}; Node ${r.machine.node}; ${r.machine.cpus} × ${r.machine.cpu}; load average at start ${r.machine.loadAtStart.map((l) => l.toFixed(2)).join(' ')}, at end ${r.machine.loadAtEnd.map((l) => l.toFixed(2)).join(' ')}`,
    `Each figure: median of ${r.rounds} rounds of ${r.msPerRound} ms; every handshake and every decryption is checked. Peers run Noise_*_${SUITE}; ratios compare the same pattern and suite.`,
  ];
}

export function renderText(r: Results): string {
  const lines: string[] = ['', ...header(r).map((l) => l.replace(/`/g, '')), ''];
  for (const t of tables(r)) {
    lines.push(t.title);
    const w = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((row) => (row[i] ?? '').length)));
    const fmt = (row: string[]) => row.map((c, i) => (i < 3 && t.title.startsWith('Hand') ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
    lines.push(fmt(t.head), w.map((n) => '-'.repeat(n)).join('  '), ...t.rows.map(fmt), '');
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}

/** How the backends reach these numbers (static text; every figure above comes from the run). */
const BACKEND_NOTES = [
  '## How the backends are tuned',
  '',
  '- `sodium` (optional: `sodium-native` + `hmac-blake2b` in optionalDependencies, loaded on first use with a clean fallback): X25519 on raw bytes (no key import), public keys by the fixed-base multiplication, ChaCha20-Poly1305 written straight into the output array below 8 KiB and node:crypto (OpenSSL) from 8 KiB on, BLAKE2b hashing and HMAC-BLAKE2b in two native calls. Other algorithms fall through to `node`.',
  '- `auto` = `sodium` (when it loads), then `node`, then `stablelib`, per algorithm.',
  '- `node`: ephemeral keys generated as KeyObjects and kept with the key pair (WeakMap); the local static key is imported once per key pair object; peers\' public keys imported from JWK (the cheapest raw import) and cached per array, so `re` is imported once for `ee` and `es`; HKDF as the section 4.3 construction over `createHmac` (faster than `hkdfSync` here); ChaCha20-Poly1305 of at most 128 bytes through @stablelib (no OpenSSL context set-up), larger through OpenSSL with a per-key KeyObject and an output buffer that is not zero-filled first.',
  '- `stablelib`: pure JavaScript, X25519 from @stablelib/x25519; no caching is possible beyond the keyed cipher instances.',
  '- Key wiping: `CipherKey.wipe()` zero-fills the raw key copies of every backend and the expanded key state of the JavaScript ciphers. node:crypto KeyObjects (the node backend\'s X25519 private keys and its per-key ChaCha/AES KeyObjects) cannot be zeroed from JavaScript; they are dropped and freed by the garbage collector.',
];

export function renderMarkdown(r: Results): string {
  const out: string[] = [
    '# Benchmarks',
    '',
    'Generated by `npm run bench` (bench/run.ts) — do not edit by hand. Chart: [bench.svg](bench.svg).',
    '',
    ...header(r).map((l) => l + '  '),
    '',
  ];
  for (const t of tables(r)) {
    out.push(`## ${t.title}`, '', `| ${t.head.join(' | ')} |`, `|${t.head.map(() => '---').join('|')}|`, ...t.rows.map((row) => `| ${row.join(' | ')} |`), '');
  }
  out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '', ...BACKEND_NOTES, '');
  return out.join('\n');
}

export function renderSvg(r: Results): string {
  const panels: { title: string; unit: string; bars: { label: string; value: number }[] }[] = [];
  const xx = r.handshakes.filter((h) => h.pattern === 'XX' && h.suite === SUITE);
  panels.push({ title: 'Noise_XX_25519_ChaChaPoly_BLAKE2b handshakes/s', unit: 'hs/s', bars: xx.map((h) => ({ label: h.library === 'noisekit' ? `noisekit (${h.backend})` : h.library, value: h.perSecond })) });
  for (const size of [1024, 65519]) {
    const ts = r.transport.filter((t) => t.size === size);
    panels.push({ title: `Transport encrypt+decrypt ${size} B, MB/s`, unit: 'MB/s', bars: ts.map((t) => ({ label: t.library === 'noisekit' ? `noisekit (${t.backend})` : t.library, value: t.mbPerSecond })) });
  }
  const W = 760;
  const barH = 18;
  const labelW = 190;
  let y = 10;
  const parts: string[] = [];
  for (const p of panels) {
    parts.push(`<text x="10" y="${y + 14}" font-weight="bold">${esc(p.title)}</text>`);
    y += 24;
    const max = Math.max(...p.bars.map((b) => b.value), 1);
    for (const b of p.bars) {
      const w = Math.max(1, ((W - labelW - 90) * b.value) / max);
      const fill = b.label.startsWith('noisekit') ? '#2b6cb0' : '#a0aec0';
      parts.push(
        `<text x="${labelW - 6}" y="${y + 13}" text-anchor="end">${esc(b.label)}</text>`,
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 4}" fill="${fill}"/>`,
        `<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 13}">${esc(f0(b.value))} ${p.unit}</text>`,
      );
      y += barH;
    }
    y += 14;
  }
  parts.push(`<text x="10" y="${y + 4}" font-size="10" fill="#555">${esc(`${r.date} · ${r.machine.cpus} × ${r.machine.cpu} · Node ${r.machine.node} · median of ${r.rounds} rounds`)}</text>`);
  y += 14;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
