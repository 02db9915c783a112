/**
 * Parser for handshake patterns in the spec's notation (sections 7.1 and 18.1):
 *
 *     XK:
 *       <- s
 *       ...
 *       -> e, es
 *       <- e, ee
 *       -> s, se
 *
 * `#` starts a comment. Errors carry line and column. Parsing checks syntax only; the validity
 * rules of sections 7.3 and 9.3 live in validate.ts.
 */
import { NoiseError } from '../errors.js';
import { TOKENS, type Direction, type HandshakePattern, type MessagePattern, type SourcePosition, type Token } from './types.js';

function syntaxError(source: string, line: number, column: number, why: string): NoiseError {
  return new NoiseError('ERR_NOISE_PATTERN_SYNTAX', `${source}:${line}:${column}: ${why}`);
}

/** Parses every pattern in `text`. `source` names the text in errors (e.g. a file path). */
export function parsePatterns(text: string, source = '<pattern>'): HandshakePattern[] {
  if (typeof text !== 'string') throw new NoiseError('ERR_NOISE_INVALID_ARGUMENT', 'pattern text must be a string');
  const patterns: HandshakePattern[] = [];
  let current: { name: string; pre: MessagePattern[]; msgs: MessagePattern[]; sawDots: boolean; line: number } | undefined;

  const finish = () => {
    if (!current) return;
    if (current.msgs.length === 0) {
      throw syntaxError(source, current.line, 1, `pattern ${current.name} has no handshake messages`);
    }
    patterns.push({ name: current.name, preMessages: current.pre, messages: current.msgs });
    current = undefined;
  };

  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const hash = raw.indexOf('#');
    const content = hash >= 0 ? raw.slice(0, hash) : raw;
    const trimmed = content.trim();
    if (!trimmed) return;
    const col = content.indexOf(trimmed) + 1;

    const header = /^([A-Z0-9]+(?:[a-z][a-z0-9]*(?:\+[a-z][a-z0-9]*)*)?):$/.exec(trimmed);
    if (header) {
      finish();
      current = { name: header[1]!, pre: [], msgs: [], sawDots: false, line: lineNo };
      return;
    }
    if (!current) throw syntaxError(source, lineNo, col, `expected a pattern name such as "XX:", got "${trimmed}"`);
    if (trimmed === '...') {
      if (current.sawDots) throw syntaxError(source, lineNo, col, 'a second "..." line');
      current.pre = current.msgs;
      current.msgs = [];
      current.sawDots = true;
      if (current.pre.length === 0) throw syntaxError(source, lineNo, col, '"..." must follow at least one pre-message');
      return;
    }
    const arrow = /^(->|<-)\s*/.exec(trimmed);
    if (!arrow) throw syntaxError(source, lineNo, col, `expected "->", "<-" or "...", got "${trimmed}"`);
    const direction = arrow[1] as Direction;
    const rest = trimmed.slice(arrow[0].length);
    const tokens: Token[] = [];
    const positions: SourcePosition[] = [];
    if (!rest) throw syntaxError(source, lineNo, col, 'a message pattern needs at least one token');
    let offset = col - 1 + arrow[0].length;
    for (const part of rest.split(',')) {
      const tok = part.trim();
      const tokCol = offset + part.indexOf(tok) + 1;
      if (!TOKENS.includes(tok as Token)) {
        throw syntaxError(source, lineNo, tok ? tokCol : offset + 1, `unknown token "${tok}" (tokens are ${TOKENS.join(' ')})`);
      }
      tokens.push(tok as Token);
      positions.push({ line: lineNo, column: tokCol });
      offset += part.length + 1;
    }
    current.msgs.push({ direction, tokens, positions });
  });
  finish();
  return patterns;
}

/** Parses text holding exactly one pattern. */
export function parsePattern(text: string, source = '<pattern>'): HandshakePattern {
  const all = parsePatterns(text, source);
  if (all.length !== 1) {
    throw new NoiseError('ERR_NOISE_PATTERN_SYNTAX', `${source}: expected exactly one pattern, found ${all.length}`);
  }
  return all[0]!;
}
