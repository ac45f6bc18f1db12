/**
 * Reads an ASL Reference Path (`$`, `$.a.b`, `$['a'][0]`): the only path form AWS allows in `ItemsPath`.
 * Used to learn a Map state's item count for the MapStateStarted history event; the engine does the real work.
 */
export function readReferencePath(
  input: unknown,
  path: string,
): { found: true; value: unknown } | { found: false } {
  if (!path.startsWith('$') || path.startsWith('$$')) return { found: false };
  const segments = /^(?:\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\])/;
  let rest = path.slice(1);
  let value = input;
  while (rest.length > 0) {
    const match = segments.exec(rest);
    if (!match) return { found: false };
    rest = rest.slice(match[0].length);
    const key = match[1] ?? match[3] ?? match[4];
    if (key !== undefined) {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !(key in value)) {
        return { found: false };
      }
      value = (value as Record<string, unknown>)[key];
    } else {
      const index = Number(match[2]);
      if (!Array.isArray(value) || index >= value.length) return { found: false };
      value = value[index];
    }
  }
  return { found: true, value };
}
