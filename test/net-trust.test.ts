/**
 * Units of the net layer that need no network: trust files (TOFU pinning and its atomic
 * writes), the rekey policy counters and option checks.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, NoiseError } from '../src/index.js';
import { tofu, parseKnownHosts, authorizedKeys } from '../src/net/trust.js';
import { RekeyPolicy } from '../src/net/rekey-policy.js';
import { checkSocketOptions } from '../src/net/options.js';

async function code(p: unknown): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(NoiseError);
    return (err as NoiseError).code;
  }
  return 'resolved';
}

describe('net trust files, rekey policy and options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'noisekit-trust-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('tofu: concurrent first contacts through one verifier pin exactly once; no temporary files remain', async () => {
    const file = join(dir, 'kh1');
    const a = generateKeyPair();
    const b = generateKeyPair();
    const verify = tofu(file, 'host');
    const results = await Promise.allSettled([verify(a.publicKey, []), verify(b.publicKey, []), verify(a.publicKey, [])]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as NoiseError).code).to.equal('ERR_NOISE_REMOTE_KEY_CHANGED');
    expect(readFileSync(file, 'utf8')).to.equal(`host ${Buffer.from(a.publicKey).toString('hex')}\n`);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
  });

  it('tofu: keeps other lines and comments, refuses a peer without a static key, rejects bad host ids', async () => {
    const file = join(dir, 'kh2');
    const other = generateKeyPair();
    writeFileSync(file, `# pins\nother ${Buffer.from(other.publicKey).toString('base64')}`); // no final newline
    const k = generateKeyPair();
    expect(await tofu(file, 'new')(k.publicKey, [])).to.equal(true);
    expect(readFileSync(file, 'utf8')).to.equal(`# pins\nother ${Buffer.from(other.publicKey).toString('base64')}\nnew ${Buffer.from(k.publicKey).toString('hex')}\n`);
    expect(parseKnownHosts(readFileSync(file, 'utf8')).size).to.equal(2);
    expect(await code(tofu(file, 'x')(undefined, []))).to.equal('ERR_NOISE_REMOTE_REJECTED');
    expect(() => tofu(file, 'a b')).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
    expect(() => parseKnownHosts('h1 zz')).to.throw(NoiseError).with.property('code', 'ERR_NOISE_TRUST_STORE');
    expect(() => parseKnownHosts(`h ${'00'.repeat(32)}\nh ${'11'.repeat(32)}`)).to.throw(NoiseError).with.property('code', 'ERR_NOISE_TRUST_STORE');
  });

  it('authorizedKeys: a missing file refuses with ERR_NOISE_TRUST_STORE', async () => {
    expect(await code(authorizedKeys(join(dir, 'missing'))(generateKeyPair().publicKey, []))).to.equal('ERR_NOISE_TRUST_STORE');
  });

  it('RekeyPolicy: rekeys after exactly N messages or B bytes, then starts again', () => {
    const p = new RekeyPolicy({ messages: 3, bytes: 100 });
    expect([p.record(10), p.record(10), p.record(10)]).to.deep.equal([false, false, true]);
    expect([p.record(60), p.record(40)]).to.deep.equal([false, true]);
    expect(p.record(99)).to.equal(false);
    const off = new RekeyPolicy(undefined);
    expect(off.enabled).to.equal(false);
    for (let i = 0; i < 1000; i++) expect(off.record(65519)).to.equal(false);
    for (const bad of [{ messages: 0 }, { bytes: -1 }, { messages: 1.5 }]) {
      expect(() => new RekeyPolicy(bad)).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
    }
  });

  it('checkSocketOptions refuses bad timeouts, payloads and callbacks', () => {
    const base = { protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s' };
    for (const bad of [
      { handshakeTimeout: -1 },
      { idleTimeout: Number.NaN },
      { handshakePayload: 'text' },
      { verifyRemote: true },
      { maxHandshakeMessageLength: 70000 },
    ]) {
      expect(() => checkSocketOptions({ ...base, ...(bad as object) }), JSON.stringify(bad)).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
    }
    expect(() => checkSocketOptions({ ...base, handshakeTimeout: 0, idleTimeout: 5 })).to.not.throw();
  });
});
