// `crypto` exists in every runtime eventfold supports (browsers, workers, Node 20), but only the DOM and Node
// typings declare it, and the core compiles without either.
const { crypto } = globalThis as unknown as { crypto: { randomUUID(): string } };

/** A new random id (a UUID v4): for events and commands. */
export function randomId(): string {
  return crypto.randomUUID();
}

/** The type name of a domain event: its `type` property when that is a non-empty string, else `"event"`. */
export function eventTypeOf(event: unknown): string {
  const type = (event as { type?: unknown } | null | undefined)?.type;
  return typeof type === 'string' && type !== '' ? type : 'event';
}

/**
 * A digest of a command that is the same for equal commands whatever the order of their keys: what an idempotency
 * key is checked against. Covers plain data (objects, arrays, strings, numbers, booleans, null, dates, bigints);
 * other values count by their kind only.
 */
export function fingerprintOf(value: unknown): string {
  return hash(canonical(value));
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value instanceof Date) return `D${value.getTime()}`;
  switch (typeof value) {
    case 'bigint':
      return `${value}n`;
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'undefined':
      return 'u';
    case 'object': {
      if (value === null) return 'null';
      const entries = Object.keys(value)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
      return `{${entries.join(',')}}`;
    }
    default:
      return JSON.stringify(value) ?? typeof value;
  }
}

/** cyrb53: a fast 53-bit string hash, as 14 hex digits. Not cryptographic; collisions need a deliberate search. */
function hash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}
