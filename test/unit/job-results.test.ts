import { describe, expect, it } from 'vitest';
import type { Rejection } from '../../shared/cloudevents/types';
import { summarizeResults, type ChunkResult } from '../../shared/jobs/results';

const rejection = (index: number): Rejection => ({ index, id: `e${index}`, reason: 'id: required' });
const chunk = (n: number, accepted: number, indexes: number[], duplicates = 0): ChunkResult => ({
  n,
  counts: {
    received: accepted + indexes.length + duplicates,
    accepted,
    rejected: indexes.length,
    duplicates,
  },
  rejections: indexes.map(rejection),
});

describe('summarizeResults', () => {
  it('adds up counts and orders errors by index whatever order the chunks come in', () => {
    const summary = summarizeResults([chunk(2, 1, [21, 20]), chunk(0, 3, [2]), chunk(1, 0, [10, 12], 4)]);
    expect(summary.counts).toEqual({ received: 13, accepted: 4, rejected: 5, duplicates: 4 });
    expect(summary.allErrors.map((e) => e.index)).toEqual([2, 10, 12, 20, 21]);
    expect(summary.firstErrors).toEqual(summary.allErrors);
  });

  it('keeps the first 100 errors on the job and all of them in the report', () => {
    const indexes = Array.from({ length: 250 }, (_, i) => 249 - i);
    const summary = summarizeResults([chunk(0, 0, indexes.slice(0, 125)), chunk(1, 0, indexes.slice(125))]);
    expect(summary.allErrors).toHaveLength(250);
    expect(summary.firstErrors).toHaveLength(100);
    expect(summary.firstErrors.map((e) => e.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(summarizeResults([chunk(0, 0, [5, 3, 9])], 2).firstErrors.map((e) => e.index)).toEqual([3, 5]);
  });

  it('an empty job sums to zero', () => {
    expect(summarizeResults([])).toEqual({
      counts: { received: 0, accepted: 0, rejected: 0, duplicates: 0 },
      firstErrors: [],
      allErrors: [],
    });
  });
});
