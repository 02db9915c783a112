/**
 * Handshake pattern data model (Noise spec sections 7.1, 7.2 and 9.2).
 *
 * Directions are Alice/Bob directions (section 7.2): `->` is sent by Alice (the left party),
 * `<-` by Bob. DH tokens always name Alice's key first (`es` = Alice's e with Bob's s). In
 * canonical patterns Alice is the initiator; a `fallback` pattern is Bob-initiated. The engine
 * never needs to know which: the initiator is whoever sends the first message.
 */

/** A token of a message pattern. */
export type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss' | 'psk';
/** Message direction: `->` Alice to Bob, `<-` Bob to Alice. */
export type Direction = '->' | '<-';

export const TOKENS: readonly Token[] = ['e', 's', 'ee', 'es', 'se', 'ss', 'psk'];
export const DH_TOKENS: readonly Token[] = ['ee', 'es', 'se', 'ss'];

/** Where a token or line came from in its source text, for error messages. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** One message (or pre-message) pattern: a direction and its tokens. */
export interface MessagePattern {
  readonly direction: Direction;
  readonly tokens: readonly Token[];
  /** Where each token was written, when parsed from text. */
  readonly positions?: readonly SourcePosition[];
}

/** A handshake pattern: optional pre-messages, then the handshake messages. */
export interface HandshakePattern {
  /** Pattern name section, e.g. `XX`, `XXpsk3`, `XXfallback`. */
  readonly name: string;
  readonly preMessages: readonly MessagePattern[];
  readonly messages: readonly MessagePattern[];
}

/** True when the pattern is one-way (section 7.4): a single message and no reply. */
export function isOneWay(p: HandshakePattern): boolean {
  return p.messages.length === 1;
}

/** True when any message carries a psk token, which turns on section 9.2 processing. */
export function usesPsk(p: HandshakePattern): boolean {
  return p.messages.some((m) => m.tokens.includes('psk'));
}

/** Number of psk tokens, i.e. how many pre-shared keys the pattern consumes in order. */
export function pskCount(p: HandshakePattern): number {
  let n = 0;
  for (const m of p.messages) for (const t of m.tokens) if (t === 'psk') n++;
  return n;
}

/** Writes a pattern back in the spec's notation. */
export function formatPattern(p: HandshakePattern): string {
  const line = (m: MessagePattern) => `  ${m.direction} ${m.tokens.join(', ')}`;
  const lines = [`${p.name}:`, ...p.preMessages.map(line)];
  if (p.preMessages.length) lines.push('  ...');
  lines.push(...p.messages.map(line));
  return lines.join('\n') + '\n';
}
