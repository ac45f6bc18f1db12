import { describe, expect, it } from 'vitest';
import type { Rejection } from '../../shared/cloudevents/types';
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

function pagesInMemory(pageSize = 2) {
  const pages = new Map<string, Rejection[]>();
  const options = {
    prefix: 'reports/t/j/errors/',
    pageSize,
    writePage: async (key: string, rejections: Rejection[]) => void pages.set(key, rejections),
  };
  return { pages, options };
}

describe('summarizeJob', () => {
  it('adds up the chunks in order and writes their rejections by index, page by page', async () => {
    const { pages, options } = pagesInMemory();
    const summary = await summarizeJob([result(0, 3, 1, [1], 1), result(1, 3, 1, [4, 3], 0)], 6, options);
    expect(summary.counts).toEqual({ received: 6, accepted: 2, rejected: 3, duplicates: 1 });
    expect(summary.firstErrors.map((e) => e.index)).toEqual([1, 3, 4]);
    expect(summary.report).toEqual({ prefix: 'reports/t/j/errors/', pageSize: 2, count: 3 });
    expect([...pages.keys()]).toEqual(['reports/t/j/errors/0.json', 'reports/t/j/errors/1.json']);
    expect([...pages.values()].map((page) => page.map((e) => e.index))).toEqual([[1, 3], [4]]);
  });

  it('fails with ResultMismatch when the chunks do not account for what was received', async () => {
    await expect(summarizeJob([result(0, 2, 2, [])], 3, pagesInMemory().options)).rejects.toMatchObject({
      name: 'ResultMismatch',
      message: 'the chunk results count 2 events, the job received 3',
    });
  });

  it('fails with ResultMismatch when a chunk leaves events unsettled', async () => {
    await expect(summarizeJob([result(0, 3, 1, [0])], 3, pagesInMemory().options)).rejects.toMatchObject({
      name: 'ResultMismatch',
      message: 'the chunk results settle 2 of 3 events',
    });
  });

  it('fails with ResultMismatch when a chunk lists other rejections than it counts', async () => {
    const miscounted = {
      ...result(0, 2, 1, [0]),
      counts: { received: 2, accepted: 0, rejected: 2, duplicates: 0 },
    };
    await expect(summarizeJob([miscounted], 2, pagesInMemory().options)).rejects.toMatchObject({
      name: 'ResultMismatch',
      message: 'the chunk results list 1 rejections and count 2',
    });
  });
});
