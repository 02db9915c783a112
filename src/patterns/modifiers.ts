/**
 * Pattern modifiers as transforms of a base pattern (sections 8.1, 9.4 and 10.2). Modified
 * patterns are derived, never written out.
 *
 * - `pskN`: `psk0` puts a psk token at the start of the first message; `pskN` (N >= 1) at the end
 *   of message N. Any number of them may be combined, e.g. `psk0+psk2`.
 * - `fallback`: Alice's first message becomes a pre-message that Bob must receive by other
 *   means; the rest is read as a Bob-initiated pattern (section 10.2).
 */
import { NoiseError } from '../errors.js';
import type { HandshakePattern, MessagePattern } from './types.js';
import { checkPatternShape, isPreMessageForm } from './validate.js';

function modifierError(pattern: string, modifier: string, why: string): NoiseError {
  return new NoiseError('ERR_NOISE_INVALID_MODIFIER', `cannot apply "${modifier}" to ${pattern}: ${why}`);
}

/** Applies `psk<position>`. */
export function applyPsk(base: HandshakePattern, position: number): HandshakePattern {
  const mod = `psk${position}`;
  if (position > base.messages.length) {
    throw modifierError(base.name, mod, `the pattern has only ${base.messages.length} message(s)`);
  }
  const messages = base.messages.map((m, i): MessagePattern => {
    if (position === 0 && i === 0) return { direction: m.direction, tokens: ['psk', ...m.tokens] };
    if (position > 0 && i === position - 1) return { direction: m.direction, tokens: [...m.tokens, 'psk'] };
    return m;
  });
  return { name: appendModifier(base.name, mod), preMessages: base.preMessages, messages };
}

/** Applies `fallback` (section 10.2). */
export function applyFallback(base: HandshakePattern): HandshakePattern {
  const first = base.messages[0];
  if (!first || first.direction !== '->') {
    throw modifierError(base.name, 'fallback', 'the pattern must be in Alice-initiated form');
  }
  if (!isPreMessageForm(first.tokens)) {
    throw modifierError(base.name, 'fallback', 'the first message must be "e", "s" or "e, s" to become a pre-message');
  }
  if (base.preMessages.some((m) => m.direction === '->')) {
    throw modifierError(base.name, 'fallback', 'Alice already has a pre-message');
  }
  if (base.messages.length < 2) {
    throw modifierError(base.name, 'fallback', 'nothing is left after the first message');
  }
  return {
    name: appendModifier(base.name, 'fallback'),
    preMessages: [...base.preMessages, { direction: '->', tokens: first.tokens }],
    messages: base.messages.slice(1),
  };
}

function appendModifier(name: string, mod: string): string {
  return /[a-z]/.test(name) ? `${name}+${mod}` : `${name}${mod}`;
}

/**
 * Applies modifiers in order. Runs of psk modifiers must be sorted alphabetically (section 8.1:
 * where the order of modifiers does not matter they are sorted alphabetically, so `psk10+psk2`,
 * not `psk2+psk10`) and may not repeat.
 */
export function applyModifiers(base: HandshakePattern, modifiers: readonly string[]): HandshakePattern {
  checkPatternShape(base);
  if (!Array.isArray(modifiers) || !modifiers.every((m) => typeof m === 'string')) {
    throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'modifiers must be an array of strings');
  }
  let p = base;
  let lastPsk = '';
  for (const mod of modifiers) {
    const psk = /^psk(0|[1-9][0-9]*)$/.exec(mod);
    if (psk) {
      if (mod <= lastPsk) {
        throw modifierError(base.name, mod, mod === lastPsk ? 'repeated modifier' : 'psk modifiers must be sorted alphabetically (section 8.1)');
      }
      lastPsk = mod;
      p = applyPsk(p, Number(psk[1]));
    } else if (mod === 'fallback') {
      lastPsk = '';
      p = applyFallback(p);
    } else {
      throw modifierError(base.name, mod, 'unknown modifier (known: pskN, fallback)');
    }
  }
  return p;
}
