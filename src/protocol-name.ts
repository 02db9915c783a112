/**
 * Protocol names (Noise spec section 8):
 * `Noise_<pattern><modifiers>_<dh>_<cipher>_<hash>`, e.g. `Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s`
 * or `Noise_IKpsk1+psk2_448_AESGCM_SHA512`.
 */
import { NoiseError } from './errors.js';

/** A parsed protocol name. */
export interface ProtocolName {
  /** The full name as given, e.g. `Noise_XXfallback+psk0_25519_AESGCM_SHA256`. */
  readonly name: string;
  /**
   * `Noise`, or `NoisePSK` for the legacy PSK mode of spec revisions 30-31 (one psk mixed in at
   * the start), which noise-c still speaks and its fallback vectors use. New protocols should
   * use the psk modifiers of section 9 instead.
   */
  readonly prefix: 'Noise' | 'NoisePSK';
  /** Base pattern name, uppercase letters and digits (section 8.1), e.g. `XX`, `X1K1`. */
  readonly pattern: string;
  /** Modifiers in the order written, e.g. `['fallback', 'psk0']`. */
  readonly modifiers: readonly string[];
  /** DH name section, e.g. `25519`. */
  readonly dh: string;
  /** Cipher name section, e.g. `ChaChaPoly`. */
  readonly cipher: string;
  /** Hash name section, e.g. `BLAKE2s`. */
  readonly hash: string;
}

const SECTION = /^[A-Za-z0-9+/]+$/;
const PATTERN_SECTION = /^([A-Z0-9]+)([a-z][a-z0-9]*(?:\+[a-z][a-z0-9]*)*)?$/;

/**
 * Parsed names, since every HandshakeState parses its name and a server makes one per
 * connection. Parsing is a pure function of the string and the results are frozen, so sharing
 * them is safe; the map is bounded (cleared when full) so arbitrary names cannot grow it.
 */
const parsed = new Map<string, ProtocolName>();
const PARSED_MAX = 256;

/** Parses a protocol name per section 8, or throws ERR_NOISE_INVALID_PROTOCOL_NAME. The result is frozen. */
export function parseProtocolName(name: string): ProtocolName {
  const known = typeof name === 'string' ? parsed.get(name) : undefined;
  if (known) return known;
  const p = parse(name);
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(name, p);
  return p;
}

function parse(name: string): ProtocolName {
  const fail = (why: string): never => {
    throw new NoiseError('ERR_NOISE_INVALID_PROTOCOL_NAME', `invalid protocol name "${name}": ${why}`);
  };
  if (typeof name !== 'string') fail('not a string');
  if (Buffer.byteLength(name) > 255) fail('longer than 255 bytes (section 8)');
  const sections = name.split('_');
  if (sections.length !== 5 || (sections[0] !== 'Noise' && sections[0] !== 'NoisePSK')) {
    fail('expected Noise_<pattern>_<dh>_<cipher>_<hash>');
  }
  const [, patternSection, dh, cipher, hash] = sections as [string, string, string, string, string];
  for (const s of [patternSection, dh, cipher, hash]) {
    if (!SECTION.test(s)) fail(`section "${s}" may only contain A-Z a-z 0-9 + /`);
  }
  const m = PATTERN_SECTION.exec(patternSection);
  if (!m) fail(`pattern section "${patternSection}" must be an uppercase pattern name followed by lowercase modifiers`);
  const modifiers = Object.freeze(m![2] ? m![2].split('+') : []);
  return Object.freeze({ name, prefix: sections[0] as 'Noise' | 'NoisePSK', pattern: m![1]!, modifiers, dh, cipher, hash });
}

/** Formats the parts of a protocol name back into a name (the inverse of parseProtocolName). */
export function formatProtocolName(p: Omit<ProtocolName, 'name' | 'prefix'> & { prefix?: ProtocolName['prefix'] }): string {
  const mods = p.modifiers.length ? p.modifiers.join('+') : '';
  return parseProtocolName(`${p.prefix ?? 'Noise'}_${p.pattern}${mods}_${p.dh}_${p.cipher}_${p.hash}`).name;
}
