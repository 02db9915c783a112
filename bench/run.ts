/**
 * `npm run bench`: noisekit's handshakes/s and transport throughput per backend, the raw
 * primitive floor (X25519, ChaCha20-Poly1305 seal+open) and the peer libraries, all in one run,
 * several rounds each, medians reported, every result checked.
 *
 *   npm run bench -- [--quick] [--rounds N] [--ms N] [--patterns NN,XX,IK,KK]
 *                    [--backends node,stablelib,sodium,auto] [--suites 25519_ChaChaPoly_BLAKE2b,...]
 *                    [--json FILE] [--markdown FILE] [--svg FILE] [--no-memory]
 */
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as sx25519 from '@stablelib/x25519';
import { HandshakeState, TransportState, builtinPatterns, generateKeyPair, parseProtocolName, resolveSuite, type BackendChoice, type KeyPair } from '../src/index.js';
import { loadSodiumBackend } from '../src/crypto/sodium.js';
import { check, measure, sameBytes } from './measure.js';
import { loadPeers, LIBP2P_NOISE_NOTE } from './peers.js';
import { renderMarkdown, renderSvg, renderText, type Results } from './report.js';

const require = createRequire(import.meta.url);

// ---- Options -------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag('quick');
const rounds = Number(opt('rounds') ?? (quick ? 3 : 5));
const ms = Number(opt('ms') ?? (quick ? 150 : 400));
const patterns = (opt('patterns') ?? 'NN,XX,IK,KK').split(',');
const backends = (opt('backends') ?? (loadSodiumBackend() ? 'node,stablelib,sodium,auto' : 'node,stablelib,auto')).split(',') as BackendChoice[];
const suites = (opt('suites') ?? (quick ? '25519_ChaChaPoly_BLAKE2b' : '25519_ChaChaPoly_BLAKE2b,25519_ChaChaPoly_SHA256')).split(',');
const SIZES = [64, 1024, 16384, 65519];
const COMPARE_SUITE = '25519_ChaChaPoly_BLAKE2b';

const log = (s: string) => process.stderr.write(s + '\n');

// ---- noisekit --------------------------------------------------------------------------------
type Side = '->' | '<-';
function keyNeeds(pattern: string) {
  const p = builtinPatterns().get(pattern, []);
  const pre = (side: Side) => p.preMessages.some((m) => m.direction === side && m.tokens.includes('s'));
  const uses = (side: Side) =>
    pre(side) || p.messages.some((m) => (m.direction === side && m.tokens.includes('s')) || m.tokens.includes('ss') || m.tokens.includes(side === '->' ? 'se' : 'es'));
  // X25519 operations per handshake pair: each DH token costs one on each side, each `e` one
  // (the key generation). XX: 3 × 2 + 2 = 8, as in issue #3.
  const dhOps = p.messages.reduce((n, m) => n + m.tokens.filter((t) => t.length === 2).length * 2 + m.tokens.filter((t) => t === 'e').length, 0);
  return { iStatic: uses('->'), rStatic: uses('<-'), iKnowsR: pre('<-'), rKnowsI: pre('->'), dhOps };
}

function oursHandshake(pattern: string, suite: string, backend: BackendChoice): () => TransportState[] {
  const protocol = `Noise_${pattern}_${suite}`;
  const dh = suite.split('_')[0]!;
  const need = keyNeeds(pattern);
  const si: KeyPair = generateKeyPair(dh, backend);
  const sr: KeyPair = generateKeyPair(dh, backend);
  return () => {
    const i = new HandshakeState({ protocol, initiator: true, backend, staticKeyPair: need.iStatic ? si : undefined, remoteStaticKey: need.iKnowsR ? sr.publicKey : undefined });
    const r = new HandshakeState({ protocol, initiator: false, backend, staticKeyPair: need.rStatic ? sr : undefined, remoteStaticKey: need.rKnowsI ? si.publicKey : undefined });
    let a = i;
    let b = r;
    for (let n = 0; n < 8 && !(i.isFinished && r.isFinished); n++) {
      b.readMessage(a.writeMessage());
      [a, b] = [b, a];
    }
    check(i.isFinished && r.isFinished && sameBytes(i.handshakeHash, r.handshakeHash), `${protocol} handshake (${String(backend)})`);
    return [i.split(), r.split()];
  };
}

function oursTransport(size: number, backend: BackendChoice): () => void {
  const [a, b] = oursHandshake('NN', COMPARE_SUITE, backend)();
  const msg = crypto.randomBytes(size);
  const pt = new Uint8Array(msg.buffer, msg.byteOffset, size);
  return () => check(sameBytes(b!.decrypt(a!.encrypt(pt)), pt), `transport ${size} B (${String(backend)})`);
}

// ---- Floor -----------------------------------------------------------------------------------------
function floors() {
  const a = crypto.generateKeyPairSync('x25519');
  const b = crypto.generateKeyPairSync('x25519');
  const ref = crypto.diffieHellman({ privateKey: a.privateKey, publicKey: b.publicKey });
  const x25519: Record<string, number> = {};
  x25519['node:crypto'] = measure(() => check(crypto.diffieHellman({ privateKey: a.privateKey, publicKey: b.publicKey }).length === 32, 'x25519'), { ms, rounds }).perSecond;
  const ska = new Uint8Array(32).fill(3);
  const pkb = sx25519.scalarMultBase(new Uint8Array(32).fill(5));
  x25519['@stablelib/x25519'] = measure(() => check(sx25519.scalarMult(ska, pkb).length === 32, 'x25519'), { ms: ms * 2, rounds }).perSecond;
  let na: any;
  try {
    na = require('sodium-native');
    const q = new Uint8Array(32);
    x25519['sodium-native'] = measure(() => na.crypto_scalarmult(q, ska, pkb), { ms, rounds }).perSecond;
  } catch {
    /* optional */
  }
  check(ref.length === 32, 'x25519 reference');

  const key = crypto.randomBytes(32);
  const ko = crypto.createSecretKey(key);
  const iv = Buffer.alloc(12);
  const aead: Record<string, Record<number, number>> = { 'node:crypto': {}, 'sodium-native': {} };
  for (const size of SIZES) {
    const m = crypto.randomBytes(size);
    aead['node:crypto']![size] = measure(() => {
      const c = crypto.createCipheriv('chacha20-poly1305', ko, iv, { authTagLength: 16 });
      const ct = c.update(m);
      c.final();
      const tag = c.getAuthTag();
      const d = crypto.createDecipheriv('chacha20-poly1305', ko, iv, { authTagLength: 16 });
      d.setAuthTag(tag);
      const pt = d.update(ct);
      d.final();
      check(pt.length === size, 'node aead');
    }, { ms, rounds, opsPerCall: size }).perSecond / 1e6;
    if (na) {
      const ct = new Uint8Array(size + 16);
      const pt = new Uint8Array(size);
      aead['sodium-native']![size] = measure(() => {
        na.crypto_aead_chacha20poly1305_ietf_encrypt(ct, m, null, null, iv, key);
        na.crypto_aead_chacha20poly1305_ietf_decrypt(pt, null, ct, null, iv, key);
      }, { ms, rounds, opsPerCall: size }).perSecond / 1e6;
    }
  }
  return { x25519OpsPerSecond: x25519, aeadMBps: aead };
}

// ---- Memory (child process with --expose-gc) ---------------------------------------------------------
function memory(): Results['memory'] {
  try {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', new URL('./memory.ts', import.meta.url).pathname], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return JSON.parse(out);
  } catch (e) {
    throw new Error(`memory bench failed: ${(e as Error).message}`);
  }
}

// ---- Main ----------------------------------------------------------------------------------------------
async function main() {
  const started = new Date();
  const load = os.loadavg();
  log(`noisekit bench: ${quick ? 'quick, ' : ''}${rounds} rounds × ${ms} ms, patterns ${patterns.join(',')}, backends ${backends.join(',')}; load ${load.map((l) => l.toFixed(2)).join(' ')}`);

  log('floor: X25519 and ChaCha20-Poly1305...');
  const floor = floors();

  const notes: string[] = [LIBP2P_NOISE_NOTE];
  const handshakes: Results['handshakes'] = [];
  for (const suite of suites) {
    for (const pattern of patterns) {
      for (const backend of backends) {
        if (backend === 'stablelib' && suite !== COMPARE_SUITE) continue; // slow, and its floor is the DH
        try {
          resolveSuite(parseProtocolName(`Noise_${pattern}_${suite}`), backend);
        } catch {
          if (pattern === patterns[0]) notes.push(`noisekit backend ${String(backend)} alone does not support ${suite} (auto chains it with node)`);
          continue;
        }
        const run = oursHandshake(pattern, suite, backend);
        const slow = backend === 'stablelib';
        const rate = measure(run, { ms: slow ? ms * 2 : ms, rounds });
        handshakes.push({ library: 'noisekit', backend: String(backend), suite, pattern, perSecond: rate.perSecond, dhPerPair: keyNeeds(pattern).dhOps });
        log(`  ${pattern.padEnd(4)} ${suite} ${String(backend).padEnd(9)} ${rate.perSecond.toFixed(0)} hs/s`);
      }
    }
  }

  const transport: Results['transport'] = [];
  for (const size of SIZES) {
    for (const backend of backends) {
      const rate = measure(oursTransport(size, backend), { ms, rounds, opsPerCall: size });
      transport.push({ library: 'noisekit', backend: String(backend), size, mbPerSecond: rate.perSecond / 1e6 });
      log(`  transport ${String(size).padStart(5)} B ${String(backend).padEnd(9)} ${(rate.perSecond / 1e6).toFixed(1)} MB/s`);
    }
  }

  log('peers...');
  for (const peer of await loadPeers()) {
    for (const pattern of patterns) {
      const work = peer.handshake(pattern);
      if (typeof work === 'string') {
        notes.push(`${peer.name}: ${work}`);
        continue;
      }
      const rate = measure(work, { ms, rounds });
      handshakes.push({ library: peer.name, backend: '-', suite: COMPARE_SUITE, pattern, perSecond: rate.perSecond, dhPerPair: keyNeeds(pattern).dhOps });
      log(`  ${peer.name} ${pattern} ${rate.perSecond.toFixed(0)} hs/s`);
    }
    for (const size of SIZES) {
      const work = peer.transport(size);
      if (typeof work === 'string') {
        if (size === SIZES[0]) notes.push(`${peer.name} transport: ${work}`);
        continue;
      }
      const rate = measure(work, { ms, rounds, opsPerCall: size });
      transport.push({ library: peer.name, backend: '-', size, mbPerSecond: rate.perSecond / 1e6 });
      log(`  ${peer.name} transport ${size} B ${(rate.perSecond / 1e6).toFixed(1)} MB/s`);
    }
  }

  const mem = flag('no-memory') ? undefined : memory();

  const results: Results = {
    date: started.toISOString(),
    command: `npm run bench${argv.length ? ' -- ' + argv.join(' ') : ''}`,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '?', node: process.version, loadAtStart: load, loadAtEnd: os.loadavg() },
    rounds,
    msPerRound: ms,
    floor,
    handshakes,
    transport,
    memory: mem,
    notes,
  };
  process.stdout.write(renderText(results));
  const json = opt('json');
  if (json) write(json, JSON.stringify(results, null, 2) + '\n');
  const md = opt('markdown');
  if (md) write(md, renderMarkdown(results));
  const svg = opt('svg') ?? (md ? md.replace(/\.md$/, '.svg') : undefined);
  if (svg) write(svg, renderSvg(results));
}

function write(file: string, text: string) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  log(`wrote ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
