import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  descendingBy,
  mergePage,
  readMergedPage,
  withinBudget,
  type StreamRead,
} from '../../shared/paging/merge';

const desc = descendingBy<string>((key) => key);
const read = (items: string[], more = false): StreamRead<string> => ({ items, more });

describe('mergePage', () => {
  it('takes the page in order across streams and says which streams hold more', () => {
    const page = mergePage(
      [read(['9', '5', '1']), read(['8', '7']), read([]), read(['6', '4'], true)],
      4,
      desc,
    );
    expect(page.items).toEqual(['9', '8', '7', '6']);
    expect(page.open).toEqual([true, false, false, true]);
  });

  it('closes every stream when the page took everything that was read', () => {
    expect(mergePage([read(['3', '1']), read(['2'])], 5, desc)).toEqual({
      items: ['3', '2', '1'],
      open: [false, false],
    });
  });

  it('stops before passing the last item read from a stream that holds more (a 1 MB page)', () => {
    // Stream 1 may hold '6' after '7': nothing below '7' may be taken yet.
    const page = mergePage([read(['9', '5', '4']), read(['7'], true)], 10, desc);
    expect(page).toEqual({ items: ['9', '7'], open: [true, true] });
  });

  it('refuses a stream that holds more but read nothing, and a limit below 1', () => {
    expect(() => mergePage([read([], true)], 5, desc)).toThrow(RangeError);
    expect(() => mergePage([read(['1'])], 0, desc)).toThrow(RangeError);
  });

  it('orders by the later keys where the first ones tie', () => {
    const by = descendingBy<{ a: string; b: string }>(
      (x) => x.a,
      (x) => x.b,
    );
    const items = [
      { a: '1', b: 'x' },
      { a: '2', b: 'a' },
      { a: '1', b: 'y' },
    ];
    expect([...items].sort(by)).toEqual([items[1], items[2], items[0]]);
  });
});

/**
 * A sharded store as DynamoDB answers a Query of one partition: items below the cursor's position, newest
 * first, `Limit` at most, a LastEvaluatedKey whenever the Limit was reached (even with nothing after) or the
 * page was cut short (the 1 MB rule, simulated by `cut`).
 */
class ShardedStore {
  readonly streams: string[][];
  constructor(streamCount: number) {
    this.streams = Array.from({ length: streamCount }, () => []);
  }
  insert(stream: number, key: string) {
    this.streams[stream]!.push(key);
  }
  query(stream: number, limit: number, after: string | undefined, cut: number): StreamRead<string> {
    const below = this.streams[stream]!.filter((key) => after === undefined || key < after).sort(desc);
    const size = Math.min(limit, Math.max(1, cut));
    const items = below.slice(0, size);
    return { items, more: items.length === limit || items.length < below.length };
  }
}

const keyArb = fc.string({
  unit: fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'),
  minLength: 1,
  maxLength: 6,
});
/** Inserts: (stream chooser, key); the stream is chooser mod the stream count (the last one is "legacy"). */
const insertsArb = fc.array(fc.tuple(fc.nat(), keyArb), { maxLength: 80 });

async function pageToEnd(
  store: ShardedStore,
  limit: number,
  cuts: number[],
  between: (bound: string | undefined, page: number) => void,
): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | undefined;
  for (let n = 0; n < 10_000; n += 1) {
    between(after, n);
    const page = await readMergedPage(
      store.streams.length,
      limit,
      async (i, max) => store.query(i, max, after, cuts[(n * 7 + i) % cuts.length] ?? max),
      desc,
    );
    pages.push(page.items);
    if (!page.more) return pages;
    after = page.items[page.items.length - 1];
  }
  throw new Error('paging did not end');
}

describe('readMergedPage across shards (property)', () => {
  it('paging to the end returns every item exactly once, in order, with no empty page', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 9 }),
        insertsArb,
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 1, max: 13 }), { minLength: 1, maxLength: 5 }),
        async (streamCount, inserts, limit, cuts) => {
          const store = new ShardedStore(streamCount);
          const keys = new Set<string>();
          for (const [chooser, key] of inserts) {
            if (keys.has(key)) continue; // keys are unique across shards (ULIDs, event identities)
            keys.add(key);
            store.insert(chooser % streamCount, key);
          }
          const pages = await pageToEnd(store, limit, cuts, () => {});
          expect(pages.flat()).toEqual([...keys].sort(desc));
          pages.forEach((page, i) => {
            expect(page.length).toBeLessThanOrEqual(limit);
            if (i > 0) expect(page.length).toBeGreaterThan(0);
          });
          // Without 1 MB cuts every page but the last is full.
          if (cuts.every((cut) => cut >= limit + 1)) {
            pages.slice(0, -1).forEach((page) => expect(page).toHaveLength(limit));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('with inserts between pages nothing paged past reappears and nothing below the position is skipped', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 9 }),
        insertsArb,
        fc.array(insertsArb, { maxLength: 6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
        async (streamCount, initial, later, limit, cuts) => {
          const store = new ShardedStore(streamCount);
          const keys = new Set<string>();
          const expected = new Set<string>();
          const add = ([chooser, key]: [number, string], bound: string | undefined) => {
            if (keys.has(key)) return;
            keys.add(key);
            store.insert(chooser % streamCount, key);
            // A key above the position sorts before pages already served: it belongs to a new listing.
            if (bound === undefined || key < bound) expected.add(key);
          };
          initial.forEach((insert) => add(insert, undefined));
          const pages = await pageToEnd(store, limit, cuts, (bound, n) =>
            (later[n - 1] ?? []).forEach((insert) => add(insert, bound)),
          );
          const served = pages.flat();
          // Strictly descending: no duplicate, nothing served again, nothing out of order.
          served.slice(1).forEach((key, i) => expect(key < served[i]!).toBe(true));
          expect(served).toEqual([...expected].sort(desc));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('withinBudget', () => {
  const sizeOf = (item: number) => item;
  it('keeps the prefix that fits, at least one item, all when they fit', () => {
    expect(withinBudget([3, 3, 3], { maxBytes: 7, sizeOf })).toBe(2);
    expect(withinBudget([3, 3, 3], { maxBytes: 9, sizeOf })).toBe(3);
    expect(withinBudget([10, 1], { maxBytes: 5, sizeOf })).toBe(1);
    expect(withinBudget([], { maxBytes: 5, sizeOf })).toBe(0);
  });

  it('a page cut by bytes says there is more and ends on the last item kept', async () => {
    const read = async () => ({ items: [9, 8, 7, 6], more: false });
    const page = await readMergedPage(1, 10, read, (a, b) => b - a, { maxBytes: 17, sizeOf });
    expect(page).toEqual({ items: [9, 8], more: true });
  });
});
