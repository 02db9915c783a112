/**
 * Key files (src/keyfile.ts) and deployment settings (src/config.ts): round trips, file modes,
 * and the clear typed errors for bad files and settings.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, chmodSync, symlinkSync, linkSync, lstatSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x25519 } from '@noble/curves/ed25519.js';
import { generateKeyPair, NoiseError } from '../src/index.js';
import { readKeyFile, writeKeyFile, parsePskFile, parseKeyText, readPskFile } from '../src/keyfile.js';
import { validateDeployment, loadDeployment, mergeDeployment, resolveDeployment, parseHostPort } from '../src/config.js';
import { parseVectors } from '../src/vectors/format.js';
import { FileKeyCache } from '../src/pipes/key-cache.js';
import { runCli } from './support/run-node.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Fails when `text` holds any 6-character piece of `secret` (case-insensitive). */
function expectNoPieceOf(secret: string, text: string, what: string): void {
  for (let i = 0; i + 6 <= secret.length; i++) {
    const piece = secret.slice(i, i + 6);
    expect(text.toLowerCase().includes(piece.toLowerCase()), `${what} quotes "${piece}": ${text}`).to.equal(false);
  }
}

/**
 * Whether `bytes` occur in Node's shared Buffer pool: in `slabs` (the pool before and after the
 * code under test, in case it moved on to a new slab meanwhile). The needle is searched through
 * views only, so the search itself puts nothing in the pool.
 */
function inPool(slabs: ArrayBuffer[], bytes: Uint8Array): boolean {
  const needle = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return slabs.some((slab) => Buffer.from(slab).indexOf(needle) >= 0);
}

/** The current slab of the shared Buffer pool (a small allocUnsafe Buffer is a slice of it). */
const poolSlab = (): ArrayBuffer => Buffer.allocUnsafe(1).buffer as ArrayBuffer;

function expectCode(fn: () => unknown, code: string, text?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an error').to.be.instanceOf(NoiseError);
  expect((caught as NoiseError).code).to.equal(code);
  if (text) expect((caught as NoiseError).message).to.match(text);
}

describe('key files and deployment settings', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'noisekit-keyfile-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('key files', () => {
    it('round trip: the public key read back equals the generated one and matches an independent X25519 (noble)', () => {
      const kp = generateKeyPair('25519');
      const path = join(dir, 'a.key');
      writeKeyFile(path, kp);
      const loaded = readKeyFile(path);
      expect(loaded.dh).to.equal('25519');
      expect(hex(loaded.keyPair.publicKey)).to.equal(hex(kp.publicKey));
      expect(hex(loaded.keyPair.publicKey)).to.equal(hex(x25519.getPublicKey(kp.privateKey)));
    });

    it('is written with mode 0600, even over a world-readable file with --force', function () {
      if (process.platform === 'win32') this.skip();
      const path = join(dir, 'mode.key');
      writeKeyFile(path, generateKeyPair());
      expect(statSync(path).mode & 0o777).to.equal(0o600);
      chmodSync(path, 0o644);
      writeKeyFile(path, generateKeyPair(), { force: true });
      expect(statSync(path).mode & 0o777).to.equal(0o600);
    });

    it('refuses to overwrite an existing file without force, and leaves it unchanged', () => {
      const path = join(dir, 'keep.key');
      writeKeyFile(path, generateKeyPair());
      const before = readFileSync(path, 'utf8');
      expectCode(() => writeKeyFile(path, generateKeyPair()), 'ERR_NOISE_KEY_FILE', /exists/);
      expect(readFileSync(path, 'utf8')).to.equal(before);
    });

    it('448 keys round trip and are recognized by length', () => {
      const kp = generateKeyPair('448');
      const path = join(dir, 'x448.key');
      writeKeyFile(path, kp);
      const loaded = readKeyFile(path);
      expect(loaded.dh).to.equal('448');
      expect(hex(loaded.keyPair.publicKey)).to.equal(hex(kp.publicKey));
    });

    it('accepts comments and base64; rejects garbage, wrong lengths, two keys, and missing files with ERR_NOISE_KEY_FILE', () => {
      const kp = generateKeyPair();
      const b64 = join(dir, 'b64.key');
      writeFileSync(b64, `# my key\n${Buffer.from(kp.privateKey).toString('base64')}\n`);
      expect(hex(readKeyFile(b64).keyPair.publicKey)).to.equal(hex(kp.publicKey));
      const bad: Array<[string, string]> = [['garbage', 'not a key\n'], ['short', 'abcd\n'], ['two', `${hex(kp.privateKey)}\n${hex(kp.privateKey)}\n`], ['empty', '# nothing\n']];
      for (const [name, text] of bad) {
        const p = join(dir, `${name}.key`);
        writeFileSync(p, text);
        expectCode(() => readKeyFile(p), 'ERR_NOISE_KEY_FILE');
      }
      expectCode(() => readKeyFile(join(dir, 'missing.key')), 'ERR_NOISE_KEY_FILE', /ENOENT/);
    });

    it('key and psk text is decoded without a copy in the shared Buffer pool (hex and base64, 32 and 56 bytes)', () => {
      // Written as literals: building them with Buffer.from(...).toString() would itself put the bytes in the pool.
      const key32 = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
      const key56 = 'f1e2d3c4b5a69788'.repeat(7);
      const psk64 = 'x8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8c='; // 32 bytes of 0xc7
      const keyFile = join(dir, 'pool.key');
      writeFileSync(keyFile, `${key32}\n`, { mode: 0o600 });
      const pskFile = join(dir, 'pool.psk');
      writeFileSync(pskFile, `# psk\n${psk64}\n${key32.toUpperCase()}\n`, { mode: 0o600 });
      const before = poolSlab();
      const decoded = [parseKeyText(key32, [32, 56]), parseKeyText(key56, [32, 56]), ...parsePskFile(readFileSync(pskFile, 'utf8')), ...readPskFile(pskFile)];
      // readKeyFile also derives the public key (a backend's business); its decoding is the same parseKeyText.
      expect(readKeyFile(keyFile, 'stablelib').dh).to.equal('25519');
      const after = poolSlab();
      expect(decoded.map((b) => b.length)).to.deep.equal([32, 56, 32, 32, 32, 32]);
      expect(decoded[2]!.every((b) => b === 0xc7)).to.equal(true);
      expect(decoded[3]!.slice(0, 4)).to.deep.equal(new Uint8Array([0xa1, 0xb2, 0xc3, 0xd4]));
      for (const bytes of decoded) {
        expect(bytes.constructor, 'a plain Uint8Array, not a Buffer (a pool slice)').to.equal(Uint8Array);
        expect(inPool([before, after], bytes), 'decoded key bytes in the Buffer pool').to.equal(false);
      }
    });

    it('writing a key file leaves neither the key nor its hex text in the shared Buffer pool', () => {
      // Not generateKeyPair: how a backend makes keys is not this test's business.
      // (and not the hex() helper above: Buffer.from(bytes) copies into the pool)
      const keyHex = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';
      const kp = { privateKey: parseKeyText(keyHex, [32]), publicKey: new Uint8Array(32) };
      const before = poolSlab();
      writeKeyFile(join(dir, 'pool-w1.key'), kp);
      writeKeyFile(join(dir, 'pool-w1.key'), kp, { force: true });
      const after = poolSlab();
      expect(inPool([before, after], kp.privateKey), 'key bytes in the Buffer pool').to.equal(false);
      expect(inPool([before, after], new TextEncoder().encode(keyHex)), 'hex text of the key in the Buffer pool').to.equal(false);
      expect(readFileSync(join(dir, 'pool-w1.key'), 'utf8')).to.equal(`${keyHex}\n`);
    });

    it('--force replaces the file instead of writing into it: a symlink\'s target and a hard link keep their old content', function () {
      if (process.platform === 'win32') this.skip();
      const victim = join(dir, 'victim.txt');
      writeFileSync(victim, 'victim data\n', { mode: 0o644 });
      chmodSync(victim, 0o644);
      const planted = join(dir, 'planted.key');
      symlinkSync(victim, planted);
      const kp = generateKeyPair();
      writeKeyFile(planted, kp, { force: true });
      expect(readFileSync(victim, 'utf8')).to.equal('victim data\n');
      expect(statSync(victim).mode & 0o777).to.equal(0o644);
      expect(lstatSync(planted).isSymbolicLink()).to.equal(false);
      expect(statSync(planted).mode & 0o777).to.equal(0o600);
      expect(hex(readKeyFile(planted).keyPair.publicKey)).to.equal(hex(kp.publicKey));
      // An old 0644 file: the key never goes into it (a second name of it, a hard link, still has the old text).
      const shared = join(dir, 'shared.key');
      writeFileSync(shared, 'old\n', { mode: 0o644 });
      chmodSync(shared, 0o644);
      linkSync(shared, join(dir, 'shared-link.txt'));
      writeKeyFile(shared, generateKeyPair(), { force: true });
      expect(readFileSync(join(dir, 'shared-link.txt'), 'utf8')).to.equal('old\n');
      expect(statSync(join(dir, 'shared-link.txt')).mode & 0o777).to.equal(0o644);
      expect(statSync(shared).mode & 0o777).to.equal(0o600);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp')), 'temporary files left').to.deep.equal([]);
    });

    it('CLI: keygen --force over a planted symlink replaces the link and leaves its target alone', async function () {
      if (process.platform === 'win32') this.skip();
      const victim = join(dir, 'cli-victim.txt');
      writeFileSync(victim, 'victim data\n');
      chmodSync(victim, 0o644);
      const planted = join(dir, 'cli-planted.key');
      symlinkSync(victim, planted);
      const r = await runCli(['keygen', '--out', planted, '--force']);
      expect(r.status, r.stderr).to.equal(0);
      expect(readFileSync(victim, 'utf8')).to.equal('victim data\n');
      expect(lstatSync(planted).isSymbolicLink()).to.equal(false);
      expect(statSync(planted).mode & 0o777).to.equal(0o600);
      expect(hex(readKeyFile(planted).keyPair.publicKey)).to.equal(/^public-key-hex ([0-9a-f]{64})$/m.exec(r.stdout)![1]);
    });

    it('psk files: one 32-byte key per line; bad lines are named', () => {
      const a = new Uint8Array(32).fill(1);
      const b = new Uint8Array(32).fill(2);
      expect(parsePskFile(`# psks\n${hex(a)}\n${Buffer.from(b).toString('base64')}\n`).map(hex)).to.deep.equal([hex(a), hex(b)]);
      expectCode(() => parsePskFile(`${hex(a)}\nabcdef\n`, 'p'), 'ERR_NOISE_KEY_FILE', /p line 2/);
      expectCode(() => parsePskFile('\n'), 'ERR_NOISE_KEY_FILE');
      expectCode(() => readPskFile(join(dir, 'nope.psk')), 'ERR_NOISE_KEY_FILE');
      expectCode(() => parseKeyText('zz', [32]), 'ERR_NOISE_INVALID_KEY');
    });
  });

  describe('deployment settings', () => {
    it('rejects unknown fields, wrong types, bad protocol names, bad hex and bad keys with ERR_NOISE_CONFIG naming the field', () => {
      expectCode(() => validateDeployment([], 'f'), 'ERR_NOISE_CONFIG', /JSON object/);
      expectCode(() => validateDeployment({ protocl: 'x' }, 'f'), 'ERR_NOISE_CONFIG', /unknown field "protocl"/);
      expectCode(() => validateDeployment({ key: 5 }, 'f'), 'ERR_NOISE_CONFIG', /"key" must be a non-empty string/);
      expectCode(() => validateDeployment({ protocol: 'Noise_XX_25519' }, 'f'), 'ERR_NOISE_CONFIG', /"protocol"/);
      expectCode(() => validateDeployment({ prologue: 'xyz' }, 'f'), 'ERR_NOISE_CONFIG', /"prologue" must be hex/);
      expectCode(() => validateDeployment({ remoteKey: 'abcd' }, 'f'), 'ERR_NOISE_CONFIG', /"remoteKey"/);
      expectCode(() => validateDeployment({ handshakeTimeout: -1 }, 'f'), 'ERR_NOISE_CONFIG', /handshakeTimeout/);
      expectCode(() => validateDeployment({ backend: 'openssl' }, 'f'), 'ERR_NOISE_CONFIG', /backend/);
    });

    it('loads a file: bad JSON and missing files are ERR_NOISE_CONFIG; relative paths are relative to the file', () => {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '{ "protocol": ');
      expectCode(() => loadDeployment(bad), 'ERR_NOISE_CONFIG', /not valid JSON/);
      expectCode(() => loadDeployment(join(dir, 'none.json')), 'ERR_NOISE_CONFIG', /cannot read/);
      const good = join(dir, 'good.json');
      writeFileSync(good, JSON.stringify({ protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s', key: 'k.key' }));
      expect(loadDeployment(good).key).to.equal(join(dir, 'k.key'));
    });

    it('a key or psk file given as JSON (config, vector file, key cache) is reported without quoting it', async () => {
      // Starting with a letter: V8's JSON.parse message quotes the text then ("Unexpected token 'c', "c251748147"...").
      const key = 'c25174814718a43d1d0efca81a2bf94bd81a19259cd0913e1f7e197d3892fcda';
      const psk = 'I9o1OKeqnz48yT4WTV4FoOqDaS6qO+odnKnTZf+bH+E=';
      for (const secret of [key, psk]) {
        const file = join(dir, 'secret-as-json');
        writeFileSync(file, `${secret}\n`, { mode: 0o600 });
        const messages: string[] = [];
        const grab = (fn: () => unknown) => {
          try {
            fn();
          } catch (err) {
            messages.push((err as Error).message);
          }
        };
        grab(() => loadDeployment(file));
        grab(() => parseVectors(readFileSync(file, 'utf8'), file));
        await new FileKeyCache(file).get('peer').catch((err: Error) => messages.push(err.message));
        expect(messages, 'each one fails').to.have.length(3);
        for (const m of messages) expectNoPieceOf(secret, m, 'the error');
        expect(messages[0]).to.match(/^config .*secret-as-json is not valid JSON$/);
        expect(messages[1]).to.match(/secret-as-json: not JSON$/);
        expect(messages[2]).to.match(/key cache .*secret-as-json: not valid JSON$/);
      }
      // Where V8 knows the position, the report has it (as line and column, not text).
      const bad = join(dir, 'bad-position.json');
      writeFileSync(bad, '{\n  "protocol": "x",\n}\n');
      expectCode(() => loadDeployment(bad), 'ERR_NOISE_CONFIG', /is not valid JSON \(at line 3, column 1\)$/);
    });

    it('CLI: --config pointed at a key or psk file does not print the secret', async () => {
      const key = 'c25174814718a43d1d0efca81a2bf94bd81a19259cd0913e1f7e197d3892fcda';
      const psk = 'I9o1OKeqnz48yT4WTV4FoOqDaS6qO+odnKnTZf+bH+E=';
      const keyFile = join(dir, 'server-cfg.key');
      const pskFile = join(dir, 'cfg.psk');
      writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
      writeFileSync(pskFile, `${psk}\n`, { mode: 0o600 });
      const [s, c] = await Promise.all([
        runCli(['serve', '--config', keyFile, '--listen', '127.0.0.1:0', '--echo']),
        runCli(['connect', '--config', pskFile, '127.0.0.1:1']),
      ]);
      expectNoPieceOf(key, s.stderr + s.stdout, 'serve --config');
      expectNoPieceOf(psk, c.stderr + c.stdout, 'connect --config');
      expect([s.status, s.stderr.trim()]).to.deep.equal([1, `noisekit: ERR_NOISE_CONFIG: config ${keyFile} is not valid JSON`]);
      expect([c.status, c.stderr.trim()]).to.deep.equal([1, `noisekit: ERR_NOISE_CONFIG: config ${pskFile} is not valid JSON`]);
    });

    it('flags override the file; a trust flag replaces the file\'s trust setting', () => {
      const merged = mergeDeployment({ protocol: 'A', tofu: 'kh', prologue: '00' }, { protocol: 'B', authorizedKeys: 'ak', prologue: undefined });
      expect(merged).to.deep.equal({ protocol: 'B', authorizedKeys: 'ak', prologue: '00', remoteKey: undefined, tofu: undefined });
    });

    it('checks the settings against the pattern', () => {
      const key = join(dir, 'cfg.key');
      writeKeyFile(key, generateKeyPair());
      const k448 = join(dir, 'cfg448.key');
      writeKeyFile(k448, generateKeyPair('448'));
      const XX = 'Noise_XX_25519_ChaChaPoly_BLAKE2s';
      expectCode(() => resolveDeployment({}, 'initiator'), 'ERR_NOISE_CONFIG', /no protocol/);
      expectCode(() => resolveDeployment({ protocol: XX }, 'initiator'), 'ERR_NOISE_CONFIG', /needs this side's static key/);
      expectCode(() => resolveDeployment({ protocol: XX, key: k448 }, 'initiator'), 'ERR_NOISE_CONFIG', /448 key but the protocol uses 25519/);
      expectCode(() => resolveDeployment({ protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s', key }, 'initiator'), 'ERR_NOISE_CONFIG', /no static key/);
      expectCode(() => resolveDeployment({ protocol: 'Noise_IK_25519_ChaChaPoly_BLAKE2s', key }, 'initiator'), 'ERR_NOISE_CONFIG', /in advance/);
      expectCode(() => resolveDeployment({ protocol: XX, key, tofu: 'a', authorizedKeys: 'b' }, 'initiator'), 'ERR_NOISE_CONFIG', /only one/);
      expectCode(() => resolveDeployment({ protocol: 'Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s', key }, 'initiator'), 'ERR_NOISE_CONFIG', /pre-shared/);
      expectCode(() => resolveDeployment({ protocol: 'Noise_X_25519_ChaChaPoly_BLAKE2s', key }, 'initiator'), 'ERR_NOISE_CONFIG', /one-way/);
      expectCode(() => resolveDeployment({ protocol: 'Noise_QQ_25519_ChaChaPoly_BLAKE2s' }, 'initiator'), 'ERR_NOISE_UNKNOWN_PATTERN');
      const server = generateKeyPair();
      const ik = resolveDeployment({ protocol: 'Noise_IK_25519_ChaChaPoly_BLAKE2s', key, remoteKey: hex(server.publicKey) }, 'initiator');
      expect(hex(ik.options.remoteStaticKey!)).to.equal(hex(server.publicKey)); // pre-message
      const xx = resolveDeployment({ protocol: XX, key, remoteKey: Buffer.from(server.publicKey).toString('base64') }, 'initiator');
      expect(xx.options.remoteStaticKey).to.equal(undefined); // a pin, checked by verifyRemote
      expect(xx.options.verifyRemote!(server.publicKey, [])).to.equal(true);
      expect(() => xx.options.verifyRemote!(generateKeyPair().publicKey, [])).to.throw(NoiseError);
      expect(resolveDeployment({ protocol: XX, key }, 'responder').warnings.join()).to.match(/not checked/);
    });

    it('CLI: a private key or psk file other users can read gets one warning line, and the command goes on', async function () {
      if (process.platform === 'win32') this.skip();
      const key = join(dir, 'perm.key');
      writeKeyFile(key, generateKeyPair());
      const psk = join(dir, 'perm.psk');
      writeFileSync(psk, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
      const warning = (path: string, mode: string) => `noisekit: warning: ${path} is readable by other users (mode ${mode}); run chmod 600 ${path}`;
      const warningsIn = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('noisekit: warning: ') && l.includes(' by other users '));

      const private0600 = await runCli(['keygen', '--public', key]);
      expect(private0600.status, private0600.stderr).to.equal(0);
      expect(private0600.stderr).to.equal('');
      const pub = /^public-key-hex ([0-9a-f]{64})$/m.exec(private0600.stdout)![1];

      chmodSync(key, 0o644);
      const private0644 = await runCli(['keygen', '--public', key]);
      expect(private0644.status, private0644.stderr).to.equal(0);
      expect(private0644.stdout).to.contain(`public-key-hex ${pub}`);
      expect(private0644.stderr.trim().split('\n')).to.deep.equal([warning(key, '0644')]);

      chmodSync(key, 0o640);
      const udp = await runCli(['udp-connect', '--port', '1', '--key', key, '--message', 'x', '--count', '0', '--wait', '0', '--handshake-timeout', '100']);
      expect(warningsIn(udp.stderr), udp.stderr).to.deep.equal([warning(key, '0640')]);

      // serve/connect: --key and --psk (the connection itself fails: nothing listens on port 1)
      const psk0600 = await runCli(['connect', '127.0.0.1:1', '--protocol', 'Noise_NNpsk0_25519_ChaChaPoly_BLAKE2s', '--psk', psk]);
      expect(warningsIn(psk0600.stderr), psk0600.stderr).to.deep.equal([]);
      chmodSync(psk, 0o666);
      chmodSync(key, 0o600);
      const psk0666 = await runCli(['connect', '127.0.0.1:1', '--protocol', 'Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s', '--key', key, '--psk', psk]);
      expect(warningsIn(psk0666.stderr), psk0666.stderr).to.deep.equal([warning(psk, '0666')]);
      expect(psk0666.stderr, 'it went on to connect').to.match(/ERR_NOISE_SOCKET|ECONNREFUSED/);
    });

    it('parses HOST:PORT and [v6]:PORT; rejects the rest', () => {
      expect(parseHostPort('127.0.0.1:4000')).to.deep.equal({ host: '127.0.0.1', port: 4000 });
      expect(parseHostPort('[::1]:0')).to.deep.equal({ host: '::1', port: 0 });
      for (const bad of ['127.0.0.1', ':80', 'h:99999', 'h:x', '::1:80']) expectCode(() => parseHostPort(bad), 'ERR_NOISE_CONFIG');
    });
  });
});
