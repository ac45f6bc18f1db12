/** Keyset pagination with opaque nextToken strings, as the List* and GetExecutionHistory operations use. */
import { SfnError } from './errors';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export interface PageRequest {
  maxResults?: number;
  nextToken?: string;
}

/** AWS's default (and the meaning of maxResults 0). */
const defaultPageSize = 100;

const encodeToken = (key: unknown) => Buffer.from(JSON.stringify({ after: key })).toString('base64url');

function decodeToken<K>(token: string, isKey: (key: unknown) => key is K): K {
  try {
    const { after } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (isKey(after)) return after;
  } catch {
    // reported below
  }
  throw new SfnError('InvalidToken', `Invalid Token: '${token}'`);
}

/**
 * One page of `sorted` (ordered by `compare` on `keyOf`): the items after the key in `nextToken`, so pages stay
 * stable while items are added.
 */
export function paginate<T, K>(
  sorted: T[],
  request: PageRequest,
  keyOf: (item: T) => K,
  compare: (a: K, b: K) => number,
  isKey: (key: unknown) => key is K,
): Page<T> {
  const size = request.maxResults || defaultPageSize;
  let start = 0;
  if (request.nextToken !== undefined) {
    const after = decodeToken(request.nextToken, isKey);
    start = sorted.findIndex((item) => compare(keyOf(item), after) > 0);
    if (start < 0) start = sorted.length;
  }
  const items = sorted.slice(start, start + size);
  const last = items.at(-1);
  return start + size < sorted.length && last !== undefined
    ? { items, nextToken: encodeToken(keyOf(last)) }
    : { items };
}
