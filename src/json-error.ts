/**
 * Error reports for JSON files that users name (deployment configs, vector files, Pipes key
 * caches). V8's JSON.parse message quotes the input around the error (`Unexpected token 'c',
 * "c251748147"... is not valid JSON`), and such a path may be a private key or psk file given by
 * mistake (`--config server.key`): its message must never reach stderr. These errors say where
 * the text stops being JSON, never what it holds.
 */

/**
 * Where `JSON.parse(text)` failed with `err`, for appending to a message: ` (at line L, column C)`
 * when V8 reports a position, ` (unexpected end of input)` when the text ends early, and an empty
 * string otherwise (V8 gives no position for an unexpected token, and the rest of its message
 * quotes the text). Only the number is taken from V8's message, never its words.
 */
export function jsonErrorPlace(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  if (message === 'Unexpected end of JSON input') return ' (unexpected end of input)';
  const at = /\bat position (\d+)\b/.exec(message);
  if (!at) return '';
  const position = Math.min(Number(at[1]), text.length);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - (before.lastIndexOf('\n') + 1) + 1;
  return ` (at line ${line}, column ${column})`;
}
