/**
 * The pattern language: the 38 spec patterns load and validate, the parser reports line and
 * column, modifiers are derived as the spec defines them (9.4, 10.2), and each validity rule of
 * sections 7.3 and 9.3 refuses a pattern that breaks it, naming the rule.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinPatterns, parsePattern, parsePatterns, validatePattern, applyModifiers, formatPattern, PatternRegistry, NoiseError, HandshakeState, generateKeyPair } from '../src/index.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as NoiseError).code;
  }
  return undefined;
};
const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
};
const tokens = (name: string, mods: string[] = []) => builtinPatterns().get(name, mods).messages.map((m) => `${m.direction} ${m.tokens.join(', ')}`);

describe('patterns', () => {
  it('loads the 38 patterns of the spec: 3 one-way (7.4), 12 fundamental (7.5), 23 deferred (18.1)', () => {
    const list = builtinPatterns().list();
    const count = (f: string) => list.filter((p) => p.family === f).length;
    expect([count('one-way'), count('fundamental'), count('deferred')]).to.deep.equal([3, 12, 23]);
    expect(list.map((p) => p.name)).to.include.members(['N', 'K', 'X', 'NN', 'XX', 'IK', 'KK', 'X1X1', 'I1K1', 'K1X1']);
  });

  it('reads the spec notation exactly (XK: pre-message, three messages)', () => {
    const xk = builtinPatterns().get('XK');
    expect(xk.preMessages.map((m) => `${m.direction} ${m.tokens.join(', ')}`)).to.deep.equal(['<- s']);
    expect(tokens('XK')).to.deep.equal(['-> e, es', '<- e, ee', '-> s, se']);
  });

  it('formats a pattern back to text that parses to the same pattern', () => {
    for (const { pattern } of builtinPatterns().list()) {
      const again = parsePattern(formatPattern(pattern));
      expect(again.messages.map((m) => [m.direction, m.tokens])).to.deep.equal(pattern.messages.map((m) => [m.direction, m.tokens]));
      expect(again.preMessages.map((m) => [m.direction, m.tokens])).to.deep.equal(pattern.preMessages.map((m) => [m.direction, m.tokens]));
    }
  });

  describe('parser errors carry line and column', () => {
    it('unknown token', () => {
      const msg = messageOf(() => parsePattern('XX:\n  -> e\n  <- e, ex, s', 'my.noise'));
      expect(msg).to.match(/^my\.noise:3:9: unknown token "ex"/);
    });
    it('missing arrow, missing header, stray "..."', () => {
      expect(codeOf(() => parsePattern('XX:\n  e, s'))).to.equal('ERR_NOISE_PATTERN_SYNTAX');
      expect(messageOf(() => parsePattern('-> e'))).to.match(/:1:1: expected a pattern name/);
      expect(messageOf(() => parsePattern('XX:\n  ...\n  -> e'))).to.match(/:2:3: "\.\.\." must follow/);
    });
    it('several patterns in one text, with comments', () => {
      const ps = parsePatterns('# two\nAA:\n  -> e\n  <- e, ee # the DH\nBB:\n  -> e\n');
      expect(ps.map((p) => p.name)).to.deep.equal(['AA', 'BB']);
    });
  });

  describe('modifiers (9.4, 10.2)', () => {
    it('psk0 goes at the start of the first message, pskN at the end of message N', () => {
      expect(tokens('NN', ['psk0'])).to.deep.equal(['-> psk, e', '<- e, ee']);
      expect(tokens('NN', ['psk2'])).to.deep.equal(['-> e', '<- e, ee, psk']);
      expect(tokens('XX', ['psk0', 'psk1', 'psk2', 'psk3'])).to.deep.equal(['-> psk, e, psk', '<- e, ee, s, es, psk', '-> s, se, psk']);
      expect(builtinPatterns().get('X', ['psk1']).messages[0]!.tokens).to.deep.equal(['e', 'es', 's', 'ss', 'psk']);
    });
    it('fallback turns the first message into a pre-message and the rest is Bob-initiated', () => {
      const fb = builtinPatterns().get('XX', ['fallback']);
      expect(fb.name).to.equal('XXfallback');
      expect(fb.preMessages.map((m) => `${m.direction} ${m.tokens.join(', ')}`)).to.deep.equal(['-> e']);
      expect(tokens('XX', ['fallback'])).to.deep.equal(['<- e, ee, s, es', '-> s, se']);
    });
    it('refuses what cannot be applied, with ERR_NOISE_INVALID_MODIFIER', () => {
      expect(codeOf(() => builtinPatterns().get('IK', ['fallback']))).to.equal('ERR_NOISE_INVALID_MODIFIER'); // first message has DHs
      expect(codeOf(() => builtinPatterns().get('NN', ['psk3']))).to.equal('ERR_NOISE_INVALID_MODIFIER');
      expect(codeOf(() => builtinPatterns().get('NN', ['psk2', 'psk0']))).to.equal('ERR_NOISE_INVALID_MODIFIER'); // 8.1: sorted
      expect(codeOf(() => builtinPatterns().get('NN', ['psk0', 'psk0']))).to.equal('ERR_NOISE_INVALID_MODIFIER');
      expect(codeOf(() => builtinPatterns().get('NN', ['hfs']))).to.equal('ERR_NOISE_INVALID_MODIFIER');
    });
    it('psk modifiers are sorted alphabetically, as 8.1 says: psk10+psk2, not psk2+psk10', () => {
      // A pattern with 10 messages, so that psk10 exists.
      const text = 'TEN:\n  -> e\n  <- e, ee\n' + Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? '  -> ' : '  <- ') + 'psk').join('\n') + '\n';
      const ten = parsePattern(text);
      expect(ten.messages).to.have.length(10);
      expect(applyModifiers(ten, ['psk10', 'psk2']).name).to.equal('TENpsk10+psk2');
      expect(applyModifiers(ten, ['psk10', 'psk2']).messages[9]!.tokens).to.deep.equal(['psk', 'psk']);
      expect(messageOf(() => applyModifiers(ten, ['psk2', 'psk10']))).to.match(/sorted alphabetically/);
    });
  });

  describe('validity rules (7.3, 9.3) refuse bad patterns and name the rule', () => {
    const invalid: Array<[string, string, RegExp]> = [
      ['DH before the key exists', 'R1:\n  -> e, es\n  <- e, ee', /rule 1 .*Bob's "s" before it was sent/],
      ['DH with an ephemeral sent later', 'R1B:\n  -> e, ee\n  <- e', /rule 1 .*Bob's "e"/],
      ['e sent twice', 'R2:\n  -> e\n  <- e, ee\n  -> e', /rule 2 .*sends "e" more than once/],
      ['s in pre-message and message', 'R2B:\n  -> s\n  ...\n  -> e, s\n  <- e, ee, se', /rule 2 .*"s" more than once/],
      ['ee twice', 'R3:\n  -> e\n  <- e, ee\n  -> ee', /rule 3 .*"ee" appears more than once/],
      ['initiator encrypts after ss without es', 'R4:\n  -> s\n  <- s\n  ...\n  -> e, ss', /rule 4 .*after "ss" the initiator/],
      ['responder encrypts after es without ee', 'R4B:\n  <- s\n  ...\n  -> e\n  <- es', /rule 4 .*after "es" the responder/],
      ['psk data before sending e (9.3)', 'P1:\n  -> psk, s, e\n  <- e, ee, se', /section 9\.3/],
      ['messages must alternate', 'ALT:\n  -> e\n  -> s', /alternate/],
      ['psk in a pre-message', 'PRE:\n  -> psk\n  ...\n  -> e', /pre-messages may only contain/],
      ['a pre-message "s, e" (7.1 allows e, s, or e, s)', 'SE:\n  -> s, e\n  ...\n  -> e, es\n  <- e, ee', /pre-message is "e", "s" or "e, s"/],
    ];
    for (const [what, text, rule] of invalid) {
      it(what, () => {
        const p = parsePattern(text);
        expect(codeOf(() => validatePattern(p))).to.equal('ERR_NOISE_PATTERN_INVALID');
        expect(messageOf(() => validatePattern(p))).to.match(rule);
      });
    }
    it('points at the message and token, with the source position', () => {
      const p = parsePattern('BAD:\n  -> e\n  <- e, ee, ee', 'bad.noise');
      // "  <- e, ee, ee": the second "ee" starts at column 13.
      expect(messageOf(() => validatePattern(p))).to.contain('message 2, token "ee" (line 3, column 13)');
    });
    it('every spec pattern, and every psk variant cacophony and snow use, is valid', () => {
      for (const { name } of builtinPatterns().list()) builtinPatterns().get(name);
      for (const [name, mods] of [['NN', ['psk0', 'psk2']], ['XX', ['psk0', 'psk1', 'psk2', 'psk3']], ['IK', ['psk1']], ['X', ['psk1']], ['XX', ['fallback']]] as const) {
        expect(() => builtinPatterns().get(name, [...mods]), name + mods.join('+')).not.to.throw();
      }
    });
  });

  describe('user patterns', () => {
    it('a pattern file can be loaded into a registry and used by a HandshakeState', () => {
      const dir = mkdtempSync(join(tmpdir(), 'noisekit-patterns-'));
      writeFileSync(join(dir, 'NNX.noise'), '# a custom pattern\nNNX:\n  -> e\n  <- e, ee, s, es\n  -> s, se\n');
      const reg = new PatternRegistry().addDir(dir);
      const pattern = reg.get('NNX');
      expect(pattern.messages).to.have.length(3);
      const protocol = 'Noise_NNXpsk0_25519_ChaChaPoly_SHA256';
      const psks = [new Uint8Array(32).fill(9)];
      const [si, sr] = [generateKeyPair(), generateKeyPair()];
      const a = new HandshakeState({ protocol, initiator: true, pattern, staticKeyPair: si, psks });
      const b = new HandshakeState({ protocol, initiator: false, pattern, staticKeyPair: sr, psks });
      b.readMessage(a.writeMessage());
      a.readMessage(b.writeMessage());
      b.readMessage(a.writeMessage());
      expect(Buffer.from(a.handshakeHash).equals(Buffer.from(b.handshakeHash))).to.equal(true);
      expect(Buffer.from(b.remoteStaticKey!).equals(Buffer.from(si.publicKey))).to.equal(true);
      expect(() => new HandshakeState({ protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', initiator: true, pattern, staticKeyPair: si })).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_ARGUMENT');
    });
    it('an invalid pattern file is refused with the rule it breaks', () => {
      const dir = mkdtempSync(join(tmpdir(), 'noisekit-patterns-'));
      writeFileSync(join(dir, 'BAD.noise'), 'BAD:\n  -> e, es\n  <- e, ee\n');
      expect(messageOf(() => new PatternRegistry().addDir(dir))).to.match(/rule 1/);
    });
    it('fallback refuses a first message "s, e", which is no pre-message form (7.1, 10.2)', () => {
      const p = parsePattern('SEX:\n  -> s, e\n  <- e, ee, se, es\n');
      expect(messageOf(() => applyModifiers(p, ['fallback']))).to.match(/"e", "s" or "e, s"/);
    });
    it("a HandshakeState runs a frozen copy of a user pattern: changing the caller's object afterwards changes nothing", () => {
      const pattern = parsePattern('NNY:\n  -> e\n  <- e, ee\n') as { messages: Array<{ tokens: string[] }> } & ReturnType<typeof parsePattern>;
      const protocol = 'Noise_NNY_25519_ChaChaPoly_SHA256';
      const a = new HandshakeState({ protocol, initiator: true, pattern });
      const b = new HandshakeState({ protocol, initiator: false, pattern });
      // Dropping "ee" would break rule 4 (the responder would encrypt without ee); it must not reach the engine.
      pattern.messages[1]!.tokens.splice(1, 1);
      expect(a.pattern.messages[1]!.tokens).to.deep.equal(['e', 'ee']);
      expect(Object.isFrozen(a.pattern.messages[1]!.tokens)).to.equal(true);
      b.readMessage(a.writeMessage());
      a.readMessage(b.writeMessage(new TextEncoder().encode('secret')));
      const tb = b.split();
      expect(tb.send.hasKey()).to.equal(true);
      expect(Buffer.from(a.handshakeHash).equals(Buffer.from(b.handshakeHash))).to.equal(true);
    });
    it('applyModifiers works on user patterns too', () => {
      const p = parsePattern('ZZ:\n  -> e\n  <- e, ee\n');
      expect(applyModifiers(p, ['psk2']).messages[1]!.tokens).to.deep.equal(['e', 'ee', 'psk']);
    });
  });
});
