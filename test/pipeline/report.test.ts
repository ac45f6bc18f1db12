import { describe, expect, it } from 'vitest';
import type { Rejection } from '../../shared/cloudevents/types';
import type { ChunkResult } from '../../shared/jobs/results';
import { ReportWriter, pagesFor, pageCount } from '../../shared/pipeline/report';

const rejection = (index: number): Rejection => ({ index, id: `e${index}`, reason: 'id: required' });
const chunk = (n: number, indexes: number[]): ChunkResult => ({
  n,
  counts: { received: indexes.length, accepted: 0, rejected: indexes.length, duplicates: 0 },
  rejections: indexes.map(rejection),
});

function writer(pageSize: number, writePage?: (key: string, page: Rejection[]) => Promise<void>) {
  const pages = new Map<string, number[]>();
  const report = new ReportWriter({
    prefix: 'p/',
    pageSize,
    writePage:
      writePage ??
      (async (key, page) =>
        void pages.set(
          key,
          page.map((r) => r.index),
        )),
  });
  return { pages, report };
}

describe('ReportWriter', () => {
  it('writes full pages as it goes and the rest at the end, ordered by index within each chunk', async () => {
    const { pages, report } = writer(3);
    await report.add(chunk(0, [2, 0, 1, 4]));
    expect([...pages.keys()]).toEqual(['p/0.json']); // written before the job is done
    await report.add(chunk(1, []));
    await report.add(chunk(2, [9, 7]));
    const summary = await report.finish();
    expect(Object.fromEntries(pages)).toEqual({ 'p/0.json': [0, 1, 2], 'p/1.json': [4, 7, 9] });
    expect(summary.report).toEqual({ prefix: 'p/', pageSize: 3, count: 6 });
    expect(summary.counts.rejected).toBe(6);
  });

  it('keeps the first 100 rejections for the job record', async () => {
    const { report } = writer(1000);
    await report.add(
      chunk(
        0,
        Array.from({ length: 125 }, (_, i) => 124 - i),
      ),
    );
    await report.add(
      chunk(
        1,
        Array.from({ length: 125 }, (_, i) => 125 + i),
      ),
    );
    const summary = await report.finish();
    expect(summary.firstErrors.map((e) => e.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(summary.report.count).toBe(250);
  });

  it('writes no page for a job without rejections', async () => {
    const { pages, report } = writer(10);
    await report.add({
      n: 0,
      counts: { received: 3, accepted: 3, rejected: 0, duplicates: 0 },
      rejections: [],
    });
    expect((await report.finish()).report.count).toBe(0);
    expect(pages.size).toBe(0);
  });

  it('refuses a chunk whose rejections reach back before the previous chunk', async () => {
    const { report } = writer(10);
    await report.add(chunk(0, [5, 6]));
    await expect(report.add(chunk(1, [6]))).rejects.toMatchObject({
      name: 'ResultMismatch',
      message: 'chunk 1 rejects index 6, not after index 6',
    });
  });

  it('fails when a page write fails, even one that failed while others were in flight', async () => {
    const failing = writer(1, async (key) => {
      if (key === 'p/1.json') throw new Error('SlowDown');
    });
    const run = async () => {
      await failing.report.add(chunk(0, [0, 1, 2, 3]));
      return failing.report.finish();
    };
    await expect(run()).rejects.toThrow('SlowDown');
  });
});

describe('pagesFor', () => {
  const report = { prefix: 'p/', pageSize: 10, count: 25 };
  it('reads only the pages a request covers', () => {
    expect(pageCount(report)).toBe(3);
    expect(pagesFor(report, 0, 10)).toEqual([{ page: 0, from: 0, to: 10 }]);
    expect(pagesFor(report, 5, 10)).toEqual([
      { page: 0, from: 5, to: 10 },
      { page: 1, from: 0, to: 5 },
    ]);
    expect(pagesFor(report, 18, 100)).toEqual([
      { page: 1, from: 8, to: 10 },
      { page: 2, from: 0, to: 5 },
    ]);
    expect(pagesFor(report, 25, 10)).toEqual([]);
  });
});
