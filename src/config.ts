/**
 * Deployment settings: what `noisekit serve` and `noisekit connect` need to know (protocol, own
 * key, how to trust the peer, psk, prologue), read from a JSON deployment file and/or command-line
 * flags, validated with clear errors, and turned into NoiseSocketOptions.
 *
 * Deployment file (JSON object; every field optional, unknown fields are an error; relative
 * paths are relative to the file's folder):
 *
 * ```json
 * {
 *   "protocol": "Noise_XX_25519_ChaChaPoly_BLAKE2s",
 *   "key": "server.key",
 *   "authorizedKeys": "authorized_keys",
 *   "prologue": "6e6f6973656b69742d64656d6f"
 * }
 * ```
 *
 * Trust of the peer's static key (spec section 14): `remoteKey` (hex or base64; a pre-message
 * key for patterns like IK/NK/KK, otherwise a pin checked after the handshake), or
 * `authorizedKeys` (file of allowed keys), or `tofu` (known-hosts file, trust on first use).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { NoiseError } from './errors.js';
import { equalBytes, fromHex } from './bytes.js';
import { parseProtocolName } from './protocol-name.js';
import { builtinPatterns } from './patterns/registry.js';
import { describePattern, type PartyProperties } from './patterns/describe.js';
import { readKeyFile, readPskFile } from './keyfile.js';
import { jsonErrorPlace } from './json-error.js';
import { parsePublicKey, authorizedKeys, tofu } from './net/trust.js';
import type { NoiseSocketOptions, VerifyRemote } from './net/options.js';
import type { BackendChoice } from './crypto/resolve.js';
import { parseHostPort as parseAddress } from './net/relay-protocol.js';

/** Settings of a deployment, from a file or flags. Paths are as given (see loadDeployment for resolution). */
export interface DeploymentSettings {
  /** Full protocol name (spec section 8), e.g. `Noise_XX_25519_ChaChaPoly_BLAKE2s`. */
  protocol?: string;
  /** Private key file of this side (see keyfile.ts). */
  key?: string;
  /** The peer's static public key, hex or base64. */
  remoteKey?: string;
  /** File of public keys allowed to connect (one per line). */
  authorizedKeys?: string;
  /** Known-hosts file for trust on first use. */
  tofu?: string;
  /** File of pre-shared keys, one per line, in psk token order. */
  psk?: string;
  /** Prologue bytes in hex (spec section 6). */
  prologue?: string;
  /** Crypto backend. */
  backend?: 'auto' | 'node' | 'stablelib' | 'sodium';
  /** Handshake time limit in milliseconds. */
  handshakeTimeout?: number;
  /** Idle time limit in milliseconds (0 = none). */
  idleTimeout?: number;
}

const STRING_FIELDS = ['protocol', 'key', 'remoteKey', 'authorizedKeys', 'tofu', 'psk', 'prologue', 'backend'] as const;
const NUMBER_FIELDS = ['handshakeTimeout', 'idleTimeout'] as const;
const PATH_FIELDS = ['key', 'authorizedKeys', 'tofu', 'psk'] as const;
const BACKENDS = ['auto', 'node', 'stablelib', 'sodium'];

const fail = (message: string): never => {
  throw new NoiseError('ERR_NOISE_CONFIG', message);
};

/**
 * Validates a parsed deployment object (from JSON). `source` names it in errors; relative
 * paths are resolved against `baseDir` when given. Throws ERR_NOISE_CONFIG naming the field.
 */
export function validateDeployment(value: unknown, source = 'config', baseDir?: string): DeploymentSettings {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`${source}: expected a JSON object`);
  const obj = value as Record<string, unknown>;
  const out: DeploymentSettings = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue; // unset (flags); JSON has no undefined
    if ((STRING_FIELDS as readonly string[]).includes(k)) {
      if (typeof v !== 'string' || v.length === 0) fail(`${source}: "${k}" must be a non-empty string`);
      (out as Record<string, unknown>)[k] = v;
    } else if ((NUMBER_FIELDS as readonly string[]).includes(k)) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) fail(`${source}: "${k}" must be a whole number of milliseconds`);
      (out as Record<string, unknown>)[k] = v;
    } else {
      fail(`${source}: unknown field "${k}" (known: ${[...STRING_FIELDS, ...NUMBER_FIELDS].join(', ')})`);
    }
  }
  if (out.backend !== undefined && !BACKENDS.includes(out.backend)) fail(`${source}: "backend" must be one of ${BACKENDS.join(', ')}`);
  if (out.protocol !== undefined) {
    try {
      parseProtocolName(out.protocol);
    } catch (err) {
      fail(`${source}: "protocol": ${(err as Error).message}`);
    }
  }
  if (out.prologue !== undefined && !/^([0-9a-fA-F]{2})*$/.test(out.prologue)) fail(`${source}: "prologue" must be hex`);
  if (out.remoteKey !== undefined) {
    try {
      parsePublicKey(out.remoteKey);
    } catch {
      fail(`${source}: "remoteKey" is not a public key (32, 56, 33 or 65 bytes) in hex or base64`);
    }
  }
  if (baseDir !== undefined) {
    for (const f of PATH_FIELDS) if (out[f] !== undefined) out[f] = resolve(baseDir, out[f]!);
  }
  return out;
}

/** Reads and validates a deployment file (JSON). Relative paths in it are relative to its folder. */
export function loadDeployment(path: string): DeploymentSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return fail(`cannot read config ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // Never V8's message: it quotes the text, which may be a key file given by mistake.
    return fail(`config ${path} is not valid JSON${jsonErrorPlace(text, err)}`);
  }
  return validateDeployment(value, path, dirname(resolve(path)));
}

/** Settings of `overrides` (e.g. flags) replace those of `base` (e.g. the file); undefined ones do not. */
export function mergeDeployment(base: DeploymentSettings, overrides: DeploymentSettings): DeploymentSettings {
  const out: DeploymentSettings = { ...base };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  // A trust setting given on the command line replaces the file's trust setting as a whole.
  const trust = ['remoteKey', 'authorizedKeys', 'tofu'] as const;
  if (trust.some((k) => overrides[k] !== undefined)) for (const k of trust) out[k] = overrides[k];
  return out;
}

/** Socket options for one side of a deployment, plus warnings worth showing to the operator. */
export interface ResolvedDeployment {
  options: NoiseSocketOptions;
  /** What the peer's static key is checked against, e.g. `authorized keys /etc/x`, or `nothing`. */
  trust: string;
  warnings: string[];
}

/**
 * Turns settings into NoiseSocketOptions for `role`. Reads the key, psk and trust files, checks
 * that the settings fit the pattern (a key it needs, a remote key it can use, the key's DH),
 * and throws ERR_NOISE_CONFIG (or the key file's error) with one clear message otherwise.
 * `hostId` names the peer in a tofu known-hosts file (the client uses `HOST:PORT`).
 */
export function resolveDeployment(settings: DeploymentSettings, role: 'initiator' | 'responder', hostId = 'peer'): ResolvedDeployment {
  const s = validateDeployment(settings, 'settings (flags and config file)');
  if (!s.protocol) return fail('no protocol given (use --protocol or "protocol" in the config file)');
  const name = parseProtocolName(s.protocol);
  const pattern = builtinPatterns().get(name.pattern, name.modifiers);
  const props = describePattern(pattern);
  if (props.oneWay) fail(`${pattern.name} is a one-way pattern (spec 7.4); serve and connect need an interactive pattern`);
  const me: PartyProperties = role === 'initiator' ? props.initiator : props.responder;
  const peer: PartyProperties = role === 'initiator' ? props.responder : props.initiator;
  const warnings: string[] = [];
  const backend: BackendChoice = s.backend ?? 'auto';
  const options: NoiseSocketOptions = { protocol: s.protocol, backend };

  // Keys already read are wiped when a later setting is refused: nothing else would.
  try {
    if (me.staticKey !== 'none') {
      if (!s.key) fail(`${pattern.name} needs this side's static key (--key FILE or "key")`);
      const loaded = readKeyFile(s.key!, backend);
      options.staticKeyPair = loaded.keyPair; // set first: a failure below wipes it
      if (loaded.dh !== name.dh) fail(`key file ${s.key} holds a ${loaded.dh} key but the protocol uses ${name.dh}`);
    } else if (s.key) {
      fail(`${pattern.name} has no static key for the ${role}; remove --key / "key"`);
    }

    const trustCount = [s.remoteKey, s.authorizedKeys, s.tofu].filter((x) => x !== undefined).length;
    if (trustCount > 1) fail('give only one of --remote-key, --authorized-keys and --tofu');
    let verify: VerifyRemote | undefined;
    let trust = 'nothing';
    if (peer.staticKey === 'none') {
      if (trustCount) fail(`${pattern.name}: the peer has no static key, so --remote-key/--authorized-keys/--tofu cannot apply`);
    } else if (s.remoteKey !== undefined) {
      const key = parsePublicKey(s.remoteKey);
      if (peer.staticKey === 'known') {
        options.remoteStaticKey = key; // pre-message (e.g. the server key of IK/NK)
      } else {
        verify = (remote) => {
          if (remote && equalBytes(remote, key)) return true;
          throw new NoiseError('ERR_NOISE_REMOTE_REJECTED', 'the peer static key differs from --remote-key');
        };
      }
      trust = 'remote key';
    } else if (s.authorizedKeys !== undefined) {
      if (peer.staticKey === 'known') fail(`${pattern.name}: the peer's key is a pre-message; give it with --remote-key`);
      verify = authorizedKeys(s.authorizedKeys);
      trust = `authorized keys ${s.authorizedKeys}`;
    } else if (s.tofu !== undefined) {
      if (peer.staticKey === 'known') fail(`${pattern.name}: the peer's key is a pre-message; give it with --remote-key`);
      verify = tofu(s.tofu, hostId);
      trust = `tofu ${s.tofu} as ${hostId}`;
    } else if (peer.staticKey === 'known') {
      fail(`${pattern.name} needs the peer's static public key in advance (--remote-key or "remoteKey")`);
    } else {
      warnings.push(`the peer's static key is not checked (no --remote-key, --authorized-keys or --tofu): anyone can connect`);
    }
    if (verify) options.verifyRemote = verify;

    if (props.psks > 0) {
      if (!s.psk) fail(`${pattern.name} needs ${props.psks} pre-shared key(s) (--psk FILE or "psk")`);
      const psks = readPskFile(s.psk!);
      options.psks = psks;
      if (psks.length !== props.psks) fail(`${pattern.name} needs ${props.psks} pre-shared key(s); ${s.psk} has ${psks.length}`);
    } else if (s.psk) {
      fail(`${pattern.name} uses no pre-shared key; remove --psk / "psk"`);
    }
    if (s.prologue !== undefined) options.prologue = fromHex(s.prologue);
    if (s.handshakeTimeout !== undefined) options.handshakeTimeout = s.handshakeTimeout;
    if (s.idleTimeout !== undefined) options.idleTimeout = s.idleTimeout;
    return { options, trust, warnings };
  } catch (err) {
    options.staticKeyPair?.privateKey.fill(0);
    options.psks?.forEach((p) => p.fill(0));
    throw err;
  }
}

/** Parses `HOST:PORT` (`[v6]:PORT` for IPv6). Throws ERR_NOISE_CONFIG. */
export function parseHostPort(text: string): { host: string; port: number } {
  try {
    return parseAddress(String(text));
  } catch {
    return fail(`"${text}" is not HOST:PORT (port 0-65535; IPv6 as [::1]:PORT)`);
  }
}
