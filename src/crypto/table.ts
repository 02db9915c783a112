/**
 * Algorithm lookup by name for the built-in backends. A Map, not a property lookup on a plain
 * object: `dhs['constructor']` or `hashes['toString']` would find Object.prototype's functions
 * and pass them off as algorithms (a protocol name is caller input).
 */
export function byName<T>(entries: Record<string, T>): (name: string) => T | undefined {
  const table = new Map(Object.entries(entries));
  return (name) => table.get(name);
}
