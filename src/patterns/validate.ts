/**
 * Validity rules for handshake patterns: section 7.3 (rules 1-4) and section 9.3 (psk), plus the
 * structural rules of section 7.1. Validation is separate from execution; an error names the
 * rule and points at the message and token that break it.
 */
import { NoiseError } from '../errors.js';
import { isOneWay, TOKENS, usesPsk, type Direction, type HandshakePattern, type Token } from './types.js';

type Party = 'alice' | 'bob';
const partyOf = (d: Direction): Party => (d === '->' ? 'alice' : 'bob');
const other = (p: Party): Party => (p === 'alice' ? 'bob' : 'alice');

/**
 * Throws ERR_NOISE_PATTERN_INVALID unless `p` has the shape of a HandshakePattern: a name,
 * arrays of pre-messages and messages, each with a direction (`->` or `<-`) and known tokens.
 * For pattern objects built in code rather than parsed from text.
 */
export function checkPatternShape(p: unknown): asserts p is HandshakePattern {
  const bad = (why: string): never => {
    throw new NoiseError('ERR_NOISE_PATTERN_INVALID', `not a handshake pattern: ${why}`);
  };
  if (typeof p !== 'object' || p === null) bad('expected { name, preMessages, messages }');
  const o = p as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name === '') bad('name must be a non-empty string');
  for (const list of ['preMessages', 'messages'] as const) {
    const ms = o[list];
    if (!Array.isArray(ms)) bad(`${list} must be an array`);
    (ms as unknown[]).forEach((m, i) => {
      const where = `${list}[${i}]`;
      if (typeof m !== 'object' || m === null) bad(`${where} must be { direction, tokens }`);
      const { direction, tokens } = m as Record<string, unknown>;
      if (direction !== '->' && direction !== '<-') bad(`${where}.direction must be "->" or "<-"`);
      if (!Array.isArray(tokens)) bad(`${where}.tokens must be an array`);
      for (const t of tokens as unknown[]) if (!TOKENS.includes(t as Token)) bad(`${where}: unknown token ${JSON.stringify(t)}`);
    });
  }
}

/** Throws ERR_NOISE_PATTERN_INVALID if the pattern is not valid; returns it otherwise. */
export function validatePattern(p: HandshakePattern): HandshakePattern {
  checkPatternShape(p);
  const fail = (where: string, rule: string): never => {
    throw new NoiseError('ERR_NOISE_PATTERN_INVALID', `pattern ${p.name}: ${where}: ${rule}`);
  };
  const at = (kind: 'pre-message' | 'message', i: number, t?: number, tok?: string) => {
    const m = kind === 'pre-message' ? p.preMessages[i] : p.messages[i];
    const pos = t !== undefined ? m?.positions?.[t] : undefined;
    const loc = pos ? ` (line ${pos.line}, column ${pos.column})` : '';
    return `${kind} ${i + 1}${tok !== undefined ? `, token "${tok}"` : ''}${loc}`;
  };

  // Structure (section 7.1): pre-messages hold only e and s, at most one per party.
  const preSeen = new Set<Party>();
  p.preMessages.forEach((m, i) => {
    const party = partyOf(m.direction);
    if (preSeen.has(party)) fail(at('pre-message', i), `${party === 'alice' ? 'Alice' : 'Bob'} has more than one pre-message`);
    preSeen.add(party);
    m.tokens.forEach((t, j) => {
      if (t !== 'e' && t !== 's') fail(at('pre-message', i, j, t), 'pre-messages may only contain "e" and "s" (psk may not appear in pre-messages, section 9.2)');
    });
    if (!isPreMessageForm(m.tokens)) fail(at('pre-message', i), 'a pre-message is "e", "s" or "e, s" (section 7.1)');
  });
  if (p.messages.length === 0) fail('messages', 'a pattern needs at least one handshake message');
  p.messages.forEach((m, i) => {
    if (i > 0 && m.direction === p.messages[i - 1]!.direction) fail(at('message', i), 'messages must alternate direction');
    if (m.tokens.length === 0) fail(at('message', i), 'empty message pattern');
  });

  // Track, per party, which public keys it has sent, which DHs were done, and psk state.
  const sent: Record<Party, Set<'e' | 's'>> = { alice: new Set(), bob: new Set() };
  const dhDone = new Set<Token>();
  let pskSeen = false;
  const psk = usesPsk(p);

  const checkSendKey = (party: Party, key: 'e' | 's', where: string) => {
    // Rule 2: a party sends its e and its s at most once, pre-messages included.
    if (sent[party].has(key)) fail(where, `rule 2 (section 7.3): ${party === 'alice' ? 'Alice' : 'Bob'} sends "${key}" more than once`);
    sent[party].add(key);
  };

  p.preMessages.forEach((m, i) => m.tokens.forEach((t, j) => checkSendKey(partyOf(m.direction), t as 'e' | 's', at('pre-message', i, j, t))));

  // Rule 4 (section 7.3) in Alice/Bob terms, and the psk rule (section 9.3), checked whenever a
  // party would call ENCRYPT(): an encrypted "s", a payload, or (at the end) transport messages.
  const checkEncrypt = (party: Party, where: string) => {
    if (party === 'alice') {
      if (dhDone.has('se') && !dhDone.has('ee')) fail(where, 'rule 4 (section 7.3): after "se" the initiator must not encrypt until "ee"');
      if (dhDone.has('ss') && !dhDone.has('es')) fail(where, 'rule 4 (section 7.3): after "ss" the initiator must not encrypt until "es"');
    } else {
      if (dhDone.has('es') && !dhDone.has('ee')) fail(where, 'rule 4 (section 7.3): after "es" the responder must not encrypt until "ee"');
      if (dhDone.has('ss') && !dhDone.has('se')) fail(where, 'rule 4 (section 7.3): after "ss" the responder must not encrypt until "se"');
    }
    if (psk && pskSeen && !sent[party].has('e')) {
      fail(where, `section 9.3: ${party === 'alice' ? 'Alice' : 'Bob'} would send encrypted data after a "psk" token without having sent "e"`);
    }
  };
  const hasKey = () => dhDone.size > 0 || pskSeen;

  p.messages.forEach((m, i) => {
    const party = partyOf(m.direction);
    m.tokens.forEach((t, j) => {
      const where = at('message', i, j, t);
      switch (t) {
        case 'e':
          checkSendKey(party, 'e', where);
          break;
        case 's':
          if (hasKey()) checkEncrypt(party, where);
          checkSendKey(party, 's', where);
          break;
        case 'psk':
          pskSeen = true;
          break;
        default: {
          // Rule 1: both public keys must have been sent before the DH (Alice's key is named first).
          const aliceKey = t[0] as 'e' | 's';
          const bobKey = t[1] as 'e' | 's';
          if (!sent.alice.has(aliceKey)) fail(where, `rule 1 (section 7.3): DH uses Alice's "${aliceKey}" before it was sent`);
          if (!sent.bob.has(bobKey)) fail(where, `rule 1 (section 7.3): DH uses Bob's "${bobKey}" before it was sent`);
          // Rule 3: each DH at most once.
          if (dhDone.has(t)) fail(where, `rule 3 (section 7.3): "${t}" appears more than once`);
          dhDone.add(t);
        }
      }
    });
    // The payload at the end of every message.
    if (hasKey()) checkEncrypt(party, `${at('message', i)}, payload`);
  });

  // Transport messages: both parties in interactive patterns; only the sender in one-way ones.
  const first = partyOf(p.messages[0]!.direction);
  for (const party of isOneWay(p) ? [first] : [first, other(first)]) checkEncrypt(party, 'transport messages');
  return p;
}

/** Whether `tokens` is one of the pre-message forms of section 7.1: `e`, `s`, or `e, s`. */
export function isPreMessageForm(tokens: readonly string[]): boolean {
  const form = tokens.join(', ');
  return form === 'e' || form === 's' || form === 'e, s';
}
