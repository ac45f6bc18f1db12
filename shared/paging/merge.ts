/**
 * Merging sharded listings into one page (docs/design.md "Shards"). Each shard of a listing is read as one
 * sorted stream (a DynamoDB Query in the listing's order, from the same position); this takes the next page
 * across all of them. Pure: no AWS here.
 */

/** What one Query of one shard returned: items in listing order, and whether the shard holds more after them. */
export interface StreamRead<T> {
  items: readonly T[];
  /** The shard may hold items after the last one read (Limit reached, or DynamoDB's 1 MB page). */
  more: boolean;
}

export interface MergedPage<T> {
  /** At most `limit` items, in listing order. */
  items: T[];
  /**
   * Per stream: it may hold items after the page's last item. Every stream's position is that last item (the
   * merge took every item before it from every stream), so a next page reads every stream from there.
   */
  open: boolean[];
}

/**
 * The next page of the merged listing: items taken in `before` order (negative when `a` comes first) from the
 * heads of the streams, at most `limit` of them. It stops early when a stream that holds more than was read has
 * had all its read items taken: its next unread item could come before any other stream's head. A stream that
 * says `more` must have read at least one item (a Query without a filter never returns an empty page with a key).
 */
export function mergePage<T>(
  streams: readonly StreamRead<T>[],
  limit: number,
  before: (a: T, b: T) => number,
): MergedPage<T> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer: ${limit}`);
  streams.forEach((stream, i) => {
    if (stream.more && stream.items.length === 0) {
      throw new RangeError(`stream ${i} says it holds more but read no item`);
    }
  });
  const taken = streams.map(() => 0);
  const items: T[] = [];
  while (items.length < limit) {
    if (streams.some((stream, i) => stream.more && taken[i] === stream.items.length)) break;
    let best = -1;
    streams.forEach((stream, i) => {
      if (taken[i]! >= stream.items.length) return;
      if (best < 0 || before(stream.items[taken[i]!]!, streams[best]!.items[taken[best]!]!) < 0) best = i;
    });
    if (best < 0) break;
    items.push(streams[best]!.items[taken[best]!]!);
    taken[best] = taken[best]! + 1;
  }
  return { items, open: streams.map((stream, i) => stream.more || taken[i]! < stream.items.length) };
}

/** Descending order of a string key (newest first for ULIDs and ISO times), then of a tie-breaker. */
export const descendingBy =
  <T>(...keys: ((item: T) => string)[]) =>
  (a: T, b: T): number => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      if (x !== y) return x > y ? -1 : 1;
    }
    return 0;
  };

/**
 * One page of a sharded listing: every stream read once, asked for one item more than the page (so a stream
 * with exactly the rest of the page says it is done and the last page has no cursor), then merged. `read`
 * reads stream `i` from the caller's position: just after the previous page's last item, the same position in
 * every stream. `more` says whether a next page may hold anything; its position is the last item.
 */
export async function readMergedPage<T>(
  streamCount: number,
  limit: number,
  read: (stream: number, limit: number) => Promise<StreamRead<T>>,
  before: (a: T, b: T) => number,
  budget?: ByteBudget<T>,
): Promise<{ items: T[]; more: boolean }> {
  const streams = await Promise.all(Array.from({ length: streamCount }, (_, i) => read(i, limit + 1)));
  const page = mergePage(streams, limit, before);
  const kept = budget === undefined ? page.items.length : withinBudget(page.items, budget);
  if (kept < page.items.length) return { items: page.items.slice(0, kept), more: true };
  return { items: page.items, more: page.items.length > 0 && page.open.some(Boolean) };
}

/** How many bytes a page's items may take in the response, and what one item takes. */
export interface ByteBudget<T> {
  maxBytes: number;
  sizeOf: (item: T) => number;
}

/**
 * How many of `items` (a prefix, at least one) fit in the budget. A page cut here is still a page: its last
 * item is every stream's position (the merge took every item before it from every stream), so its cursor reads
 * on from there.
 */
export function withinBudget<T>(items: readonly T[], { maxBytes, sizeOf }: ByteBudget<T>): number {
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    total += sizeOf(items[i]!);
    if (total > maxBytes) return Math.max(1, i);
  }
  return items.length;
}
