/**
 * The pattern registry: loads the spec's patterns from `patterns/**\/*.noise` (one file per
 * pattern, spec notation) and derives modified patterns (`XXpsk3`, `XXfallback`, ...) on demand.
 * Users can add their own patterns; every pattern is validated before use.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NoiseError } from '../errors.js';
import { parsePatterns } from './parse.js';
import { applyModifiers } from './modifiers.js';
import { checkPatternShape, validatePattern } from './validate.js';
import type { HandshakePattern, MessagePattern } from './types.js';

/** The directory holding the built-in pattern files (`<package>/patterns`). */
export const BUILTIN_PATTERN_DIR = fileURLToPath(new URL('../../patterns/', import.meta.url));

/** Reads every `.noise` file below `dir`, with the sub-folder (e.g. `fundamental`) as its family. */
export function loadPatternDir(dir: string): Array<{ pattern: HandshakePattern; family: string; file: string }> {
  const out: Array<{ pattern: HandshakePattern; family: string; file: string }> = [];
  const walk = (d: string, family: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full, entry.name);
      else if (entry.name.endsWith('.noise')) {
        for (const pattern of parsePatterns(readFileSync(full, 'utf8'), full)) out.push({ pattern, family, file: full });
      }
    }
  };
  try {
    walk(dir, '');
  } catch (err) {
    if (err instanceof NoiseError) throw err;
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', `cannot read pattern directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  return out;
}

/**
 * A frozen deep copy of a pattern (of the shape checkPatternShape accepts): what the registry
 * hands out and what a HandshakeState runs, so that nothing changes a pattern once validated.
 */
export function frozenCopy(p: HandshakePattern): HandshakePattern {
  const message = (m: MessagePattern): MessagePattern =>
    Object.freeze({
      direction: m.direction,
      tokens: Object.freeze([...m.tokens]),
      ...(m.positions ? { positions: Object.freeze(m.positions.map((x) => Object.freeze({ line: x.line, column: x.column }))) } : {}),
    });
  return Object.freeze({ name: p.name, preMessages: Object.freeze(p.preMessages.map(message)), messages: Object.freeze(p.messages.map(message)) });
}

/** A set of base patterns plus a cache of validated, modified patterns. */
export class PatternRegistry {
  readonly #base = new Map<string, { pattern: HandshakePattern; family: string }>();
  readonly #derived = new Map<string, HandshakePattern>();

  /** Adds a base pattern (validated first). Throws if the name is taken. */
  add(pattern: HandshakePattern, family = 'user'): this {
    checkPatternShape(pattern);
    if (/[a-z]/.test(pattern.name)) {
      throw new NoiseError('ERR_NOISE_PATTERN_INVALID', `base pattern names are uppercase letters and digits; "${pattern.name}" has modifiers`);
    }
    if (this.#base.has(pattern.name)) {
      throw new NoiseError('ERR_NOISE_PATTERN_INVALID', `a pattern named ${pattern.name} is already registered`);
    }
    validatePattern(pattern);
    // A frozen copy: get() hands the same object to every caller, so none may change it for the
    // others (nor may the caller change it after registering it).
    this.#base.set(pattern.name, { pattern: frozenCopy(pattern), family });
    return this;
  }

  /** Loads and validates every pattern file below `dir`. */
  addDir(dir: string): this {
    for (const { pattern, family } of loadPatternDir(dir)) this.add(pattern, family);
    return this;
  }

  /** Base pattern names with their family (one-way, fundamental, deferred, user). */
  list(): Array<{ name: string; family: string; pattern: HandshakePattern }> {
    return [...this.#base.entries()].map(([name, v]) => ({ name, family: v.family, pattern: v.pattern }));
  }

  /** A base pattern with modifiers applied and validated, e.g. `get('XX', ['psk3'])`. */
  get(name: string, modifiers: readonly string[] = []): HandshakePattern {
    if (typeof name !== 'string') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'pattern name must be a string');
    if (!Array.isArray(modifiers) || !modifiers.every((m) => typeof m === 'string')) throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'modifiers must be an array of strings');
    const key = modifiers.length ? `${name}${modifiers.join('+')}` : name;
    const cached = this.#derived.get(key);
    if (cached) return cached;
    const base = this.#base.get(name);
    if (!base) throw new NoiseError('ERR_NOISE_UNKNOWN_PATTERN', `unknown handshake pattern "${name}"`);
    const derived = modifiers.length ? frozenCopy(validatePattern(applyModifiers(base.pattern, modifiers))) : base.pattern;
    this.#derived.set(key, derived);
    return derived;
  }
}

let builtin: PatternRegistry | undefined;

/** The registry of the spec's 38 patterns, loaded on first use. */
export function builtinPatterns(): PatternRegistry {
  builtin ??= new PatternRegistry().addDir(BUILTIN_PATTERN_DIR);
  return builtin;
}
