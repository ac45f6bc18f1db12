import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../cdk/wiring';
import {
  chunkLines,
  estimateHistoryEvents,
  gzipUncompressedSize,
  nextChunkTarget,
  planChunks,
  SourceTooLarge,
  targetChunkBytes,
  type Chunk,
  type ChunkPlan,
} from '../../shared/jobs/chunking';

async function* source(lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

async function chunksOf(lines: string[], target: number | ChunkPlan): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for await (const chunk of chunkLines(source(lines), target)) chunks.push(chunk);
  return chunks;
}

const shape = (chunks: Chunk[]) => chunks.map(({ n, start, lines }) => ({ n, start, size: lines.length }));

describe('targetChunkBytes', () => {
  const settings = { minChunkBytes: 1000, maxChunksPerJob: 10 };
  it('is minChunkBytes for small sources and sourceBytes / maxChunksPerJob (rounded up) for large ones', () => {
    expect(targetChunkBytes(500, settings)).toBe(1000);
    expect(targetChunkBytes(10_000, settings)).toBe(1000);
    expect(targetChunkBytes(10_001, settings)).toBe(1001);
    expect(targetChunkBytes(1_000_000, settings)).toBe(100_000);
  });
});

describe('chunkLines (a line weighs its UTF-8 bytes + 1 for the newline)', () => {
  it('closes a chunk exactly at the target', async () => {
    // each line weighs 5: two lines reach 10
    expect(shape(await chunksOf(['aaaa', 'bbbb', 'cccc', 'dddd', 'eeee'], 10))).toEqual([
      { n: 0, start: 0, size: 2 },
      { n: 1, start: 2, size: 2 },
      { n: 2, start: 4, size: 1 },
    ]);
  });

  it('one byte under keeps the chunk open; one byte over closes it with that line', async () => {
    // weights 5 + 4 = 9 < 10: stays open; + 6 = 15: closes after the third line
    expect(shape(await chunksOf(['aaaa', 'bbb', 'ccccc', 'd'], 10))).toEqual([
      { n: 0, start: 0, size: 3 },
      { n: 1, start: 3, size: 1 },
    ]);
    // weights 5 + 6 = 11: one byte over, closes after two lines
    expect(shape(await chunksOf(['aaaa', 'bbbbb', 'c'], 10))).toEqual([
      { n: 0, start: 0, size: 2 },
      { n: 1, start: 2, size: 1 },
    ]);
  });

  it('counts bytes, not characters', async () => {
    // 'éé' is 4 bytes + 1 = 5
    expect(shape(await chunksOf(['éé', 'éé', 'x'], 10))).toEqual([
      { n: 0, start: 0, size: 2 },
      { n: 1, start: 2, size: 1 },
    ]);
  });

  it('keeps blank lines in place (indexes stay source positions) without counting them as events', async () => {
    // weights 8 + 1 + 4 = 13 < 14, then + 8 closes the chunk
    const chunks = await chunksOf(['{"a":1}', '', '   ', '{"b":2}', '{"c":3}'], 14);
    expect(chunks).toEqual([
      { n: 0, start: 0, lines: ['{"a":1}', '', '   ', '{"b":2}'], events: 2 },
      { n: 1, start: 4, lines: ['{"c":3}'], events: 1 },
    ]);
  });

  it('does not emit a chunk made only of blank lines, and keeps numbering consecutive', async () => {
    // indexes 2-11 and 12-21 are two all-blank chunks of weight 10
    const chunks = await chunksOf(['aaaa', 'bbbb', ...Array(20).fill(''), 'cccc'], 10);
    expect(chunks.map((c) => [c.n, c.start, c.events])).toEqual([
      [0, 0, 2],
      [1, 22, 1],
    ]);
    expect(await chunksOf(['aaaa', 'bbbb', '', ''], 10)).toHaveLength(1);
    expect(await chunksOf(['', ''], 10)).toEqual([]);
  });

  it('a single line larger than the target is a chunk of its own', async () => {
    expect(shape(await chunksOf(['a', 'x'.repeat(100), 'b'], 10))).toEqual([
      { n: 0, start: 0, size: 2 },
      { n: 1, start: 2, size: 1 },
    ]);
  });

  it('every line lands in exactly one chunk, in order', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => (i % 7 === 0 ? '' : `{"id":"${i}"}`));
    const chunks = await chunksOf(lines, 200);
    expect(chunks.flatMap((c) => c.lines)).toEqual(lines);
    for (const c of chunks) expect(lines.slice(c.start, c.start + c.lines.length)).toEqual(c.lines);
    expect(chunks.reduce((sum, c) => sum + c.events, 0)).toBe(lines.filter((l) => l !== '').length);
  });
});

describe('gzipUncompressedSize', () => {
  const trailerOf = (gz: Buffer) => gz.subarray(gz.length - 8);

  it.each([
    ['an empty file', Buffer.alloc(0)],
    ['one byte', Buffer.from('a')],
    ['incompressible data', randomBytes(100_000)],
    ['very compressible data', Buffer.alloc(5_000_000, 'x')],
  ])('reads ISIZE of %s', (_label, content) => {
    const gz = gzipSync(content);
    expect(gzipUncompressedSize(trailerOf(gz), gz.length)).toBe(content.length);
  });

  const isize = (value: number) => {
    const trailer = new Uint8Array(4);
    new DataView(trailer.buffer).setUint32(0, value, true);
    return trailer;
  };

  it('adds 2^32 when the file is too big to hold only ISIZE bytes (ISIZE wrapped)', () => {
    const MiB = 2 ** 20;
    expect(gzipUncompressedSize(isize(5 * MiB), 100 * MiB)).toBe(2 ** 32 + 5 * MiB);
    expect(gzipUncompressedSize(isize(0), 9 * 2 ** 30)).toBe(3 * 2 ** 32);
  });

  it('needs the 4 ISIZE bytes', () => {
    expect(() => gzipUncompressedSize(new Uint8Array(3), 100)).toThrow(RangeError);
  });
});

describe('execution history budget', () => {
  it('counts ExecutionStarted/Succeeded, two tasks, the Map with its iterations, and the Succeed state', () => {
    // 2 execution + 5 PrepareJob + 4 Map + 7 per iteration + 5 FinalizeJob + 2 Succeed
    expect(estimateHistoryEvents(0)).toBe(18);
    expect(estimateHistoryEvents(10)).toBe(18 + 10 * 7);
    // every task run (2 + one per chunk) retried once adds 3 events
    expect(estimateHistoryEvents(10, 1) - estimateHistoryEvents(10)).toBe((2 + 10) * 3);
  });

  it('the largest job (maxChunksPerJob chunks, enforced) stays under 25,000 events with a retry per task', () => {
    expect(estimateHistoryEvents(defaultSettings.maxChunksPerJob, 1)).toBeLessThan(25_000);
  });

  it("PrepareJob's output for the most chunks stays far under Step Functions' 256 KiB payload", () => {
    const chunks = Array.from({ length: defaultSettings.maxChunksPerJob }, (_, n) => ({
      n,
      start: defaultSettings.maxUncompressedBytes - n, // the largest start index a line can have
    }));
    const output = {
      jobId: 'x'.repeat(26),
      tenant: 't'.repeat(128),
      executionArn: 'a'.repeat(200),
      received: 1,
      chunks,
    };
    expect(Buffer.byteLength(JSON.stringify(output))).toBeLessThan(64 * 1024);
  });
});

describe('planChunks and nextChunkTarget', () => {
  const settings = { minChunkBytes: 100, maxChunksPerJob: 10, maxUncompressedBytes: 100_000 };

  it('spreads the estimate over the chunks not kept in reserve for a source up to the cap', () => {
    // reserve = ceil(10 × 95,000 / 200,000) = 5 chunks of up to 2 × 100,000 / 10 bytes
    expect(planChunks(5_000, settings)).toEqual({
      targetBytes: 1_000,
      plannedBytes: 5_000,
      plannedChunks: 5,
      maxChunks: 10,
      maxSourceBytes: 100_000,
    });
    // An estimate at (or above) the cap needs no reserve.
    expect(planChunks(10 ** 12, settings)).toMatchObject({ plannedBytes: 100_000, plannedChunks: 10 });
    expect(planChunks(10 ** 12, settings).targetBytes).toBe(10_000);
    // Small sources keep minChunkBytes; one chunk allowed means one planned chunk.
    expect(planChunks(50, settings).targetBytes).toBe(100);
    expect(planChunks(50, { ...settings, maxChunksPerJob: 1 }).plannedChunks).toBe(1);
  });

  it('keeps the planned target while the estimate holds and planned chunks are left', () => {
    const plan = planChunks(5_000, settings);
    expect(nextChunkTarget(plan, 0, 0)).toBe(1_000);
    expect(nextChunkTarget(plan, 4, 4_000)).toBe(1_000);
  });

  it('once the estimate is passed, sizes chunks so the rest of the cap fits in the chunks left', () => {
    const plan = planChunks(5_000, settings);
    expect(nextChunkTarget(plan, 2, 5_001)).toBe(Math.ceil((100_000 - 5_001) / 8));
  });

  it('once the planned chunks are used, does the same', () => {
    const plan = planChunks(5_000, settings);
    expect(nextChunkTarget(plan, 5, 5_000)).toBe(Math.ceil((100_000 - 5_000) / 5));
    // never above 2 × cap / maxChunks when the estimate was honest
    expect(nextChunkTarget(plan, 5, 5_000)).toBeLessThanOrEqual((2 * 100_000) / 10);
  });

  it('lets the last chunk allowed take everything left', () => {
    const plan = planChunks(5_000, settings);
    expect(nextChunkTarget(plan, 9, 50_000)).toBe(Infinity);
  });
});

describe('chunkLines with a plan', () => {
  const plan = (estimate: number, maxChunks: number, cap: number) =>
    planChunks(estimate, { minChunkBytes: 1, maxChunksPerJob: maxChunks, maxUncompressedBytes: cap });

  it('never makes more than maxChunks chunks when the estimate lies (far too small)', async () => {
    const lines = Array.from({ length: 1_000 }, (_, i) => `{"i":${i}}`);
    const bytes = lines.reduce((sum, l) => sum + l.length + 1, 0);
    const chunks = await chunksOf(lines, plan(10, 5, bytes + 1));
    expect(chunks).toHaveLength(5);
    expect(chunks.flatMap((c) => c.lines)).toEqual(lines);
    // The chunks grew: no chunk is more than about twice the fair share of the cap.
    for (const c of chunks) expect(c.lines.join('\n').length).toBeLessThanOrEqual((2 * bytes) / 5 + 20);
  });

  it('holds for any lines, estimate and ceiling (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant(''), fc.string({ maxLength: 40 })), { maxLength: 300 }),
        fc.nat(20_000),
        fc.integer({ min: 1, max: 12 }),
        async (lines, estimate, maxChunks) => {
          const bytes = lines.reduce((sum, l) => sum + Buffer.byteLength(l) + 1, 0);
          const chunks = await chunksOf(lines, plan(estimate, maxChunks, bytes));
          expect(chunks.length).toBeLessThanOrEqual(maxChunks);
          expect(chunks.map((c) => c.n)).toEqual(chunks.map((_, i) => i));
          for (const c of chunks) expect(lines.slice(c.start, c.start + c.lines.length)).toEqual(c.lines);
          const events = lines.filter((l) => l.trim() !== '').length;
          expect(chunks.reduce((sum, c) => sum + c.events, 0)).toBe(events);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('with an honest estimate, cuts chunks of the planned size only', async () => {
    const lines = Array.from({ length: 100 }, () => 'x'.repeat(99)); // 100 bytes each
    expect((await chunksOf(lines, plan(10_000, 10, 10_000))).map((c) => c.lines.length)).toEqual(
      Array(10).fill(10),
    );
    // With a cap 4 times the size, 6 chunks are planned (4 kept in reserve): 17 lines each.
    expect((await chunksOf(lines, plan(10_000, 10, 40_000))).map((c) => c.lines.length)).toEqual([
      17, 17, 17, 17, 17, 15,
    ]);
  });

  it('throws SourceTooLarge when the lines add up to more than maxSourceBytes (+1 for a last newline)', async () => {
    const lines = ['aaaa', 'bbbb', 'cccc']; // 15 bytes with newlines
    await expect(chunksOf(lines, plan(15, 3, 14))).resolves.toHaveLength(3);
    await expect(chunksOf(lines, plan(15, 3, 13))).rejects.toBeInstanceOf(SourceTooLarge);
  });
});
