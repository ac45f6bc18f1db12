import { describe, expect, it } from 'vitest';
import type { ChunkResult } from '../../shared/jobs/results';
import { summarizeJob } from '../../shared/pipeline/finalize';

const result = (
  n: number,
  received: number,
  accepted: number,
  rejected: number[],
  duplicates = 0,
): ChunkResult => ({
  n,
  counts: { received, accepted, rejected: rejected.length, duplicates },
  rejections: rejected.map((index) => ({ index, id: `e${index}`, reason: 'type: required' })),
});

describe('summarizeJob', () => {
  it('adds up the chunks and orders the rejections by index', () => {
    const summary = summarizeJob([result(1, 3, 1, [4, 3], 0), result(0, 3, 1, [1], 1)], 6);
    expect(summary.counts).toEqual({ received: 6, accepted: 2, rejected: 3, duplicates: 1 });
    expect(summary.allErrors.map((e) => e.index)).toEqual([1, 3, 4]);
  });

  it('fails with ResultMismatch when the chunks do not account for what was received', () => {
    expect(() => summarizeJob([result(0, 2, 2, [])], 3)).toThrow(
      expect.objectContaining({
        name: 'ResultMismatch',
        message: 'the chunk results count 2 events, the job received 3',
      }),
    );
  });

  it('fails with ResultMismatch when a chunk leaves events unsettled', () => {
    expect(() => summarizeJob([result(0, 3, 1, [0])], 3)).toThrow(
      expect.objectContaining({ name: 'ResultMismatch', message: 'the chunk results settle 2 of 3 events' }),
    );
  });
});
