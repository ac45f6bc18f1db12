import { describe, expect, it } from 'vitest';
import { apiBatchLimits, planBatches } from '../../cli/events/batches';
import { defaultSettings } from '../../cdk/wiring';

const events = (n: number, size = 10) => Array.from({ length: n }, (_, i) => ({ i, pad: 'x'.repeat(size) }));
const joined = (batches: { body: string }[]) => batches.flatMap((b) => JSON.parse(b.body) as unknown[]);

describe('planBatches', () => {
  it("uses the API's default limits, with headroom under the byte limit", () => {
    expect(apiBatchLimits.maxEvents).toBe(defaultSettings.maxEventsPerRequest);
    expect(apiBatchLimits.maxBytes).toBeLessThanOrEqual(0.9 * defaultSettings.maxRequestBytes);
  });

  it('keeps everything in one request when under both limits', () => {
    const input = events(3);
    const batches = planBatches(input);
    expect(batches).toEqual([{ body: JSON.stringify(input), start: 0, count: 3 }]);
  });

  it('splits at the event count limit, keeping order', () => {
    const input = events(25_001, 1);
    const batches = planBatches(input);
    expect(batches.map((b) => [b.start, b.count])).toEqual([
      [0, 10_000],
      [10_000, 10_000],
      [20_000, 5_001],
    ]);
    expect(joined(batches)).toEqual(input);
  });

  it('splits at the byte limit, counting brackets and commas, and fills a body up to exactly the limit', () => {
    const one = JSON.stringify({ v: 'abc' }); // 11 bytes
    const input = Array.from({ length: 5 }, () => ({ v: 'abc' }));
    // Two events: [a,b] = 2 + 11 + 1 + 11 = 25 bytes.
    const batches = planBatches(input, { maxEvents: 100, maxBytes: 25 });
    expect(one).toHaveLength(11);
    expect(batches.map((b) => Buffer.byteLength(b.body))).toEqual([25, 25, 13]);
    expect(batches.map((b) => b.count)).toEqual([2, 2, 1]);
    expect(planBatches(input, { maxEvents: 100, maxBytes: 24 }).map((b) => b.count)).toEqual([1, 1, 1, 1, 1]);
  });

  it('measures UTF-8 bytes, not string length', () => {
    const input = [{ v: 'é'.repeat(10) }, { v: 'é'.repeat(10) }]; // 18 chars, 28 bytes each
    expect(planBatches(input, { maxEvents: 100, maxBytes: 50 }).map((b) => b.count)).toEqual([1, 1]);
    expect(planBatches(input, { maxEvents: 100, maxBytes: 59 }).map((b) => b.count)).toEqual([2]);
  });

  it('splits a large real-size input so every body stays under the batch byte limit', () => {
    const input = events(2_000, 5_000); // ≈ 10 MB
    const batches = planBatches(input);
    expect(batches.length).toBe(3);
    expect(batches.every((b) => Buffer.byteLength(b.body) <= apiBatchLimits.maxBytes)).toBe(true);
    expect(joined(batches)).toEqual(input);
  });

  it('refuses an event that no request could carry', () => {
    expect(() => planBatches([{ v: 'ok' }, { v: 'x'.repeat(100) }], { maxEvents: 10, maxBytes: 50 })).toThrow(
      /^event 1 is 108 bytes serialized/,
    );
  });
});
