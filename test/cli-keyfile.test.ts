/**
 * Key files (src/keyfile.ts) and deployment settings (src/config.ts): round trips, file modes,
 * and the clear typed errors for bad files and settings.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x25519 } from '@noble/curves/ed25519.js';
import { generateKeyPair, NoiseError } from '../src/index.js';
import { readKeyFile, writeKeyFile, parsePskFile, parseKeyText, readPskFile } from '../src/keyfile.js';
import { validateDeployment, loadDeployment, mergeDeployment, resolveDeployment, parseHostPort } from '../src/config.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

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

    it('parses HOST:PORT and [v6]:PORT; rejects the rest', () => {
      expect(parseHostPort('127.0.0.1:4000')).to.deep.equal({ host: '127.0.0.1', port: 4000 });
      expect(parseHostPort('[::1]:0')).to.deep.equal({ host: '::1', port: 0 });
      for (const bad of ['127.0.0.1', ':80', 'h:99999', 'h:x', '::1:80']) expectCode(() => parseHostPort(bad), 'ERR_NOISE_CONFIG');
    });
  });
});
