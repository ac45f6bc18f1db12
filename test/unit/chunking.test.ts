import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../cdk/wiring';
import {
  chunkLines,
  estimateHistoryEvents,
  gzipUncompressedSize,
  maxChunkCount,
  targetChunkBytes,
  type Chunk,
} from '../../shared/jobs/chunking';

async function* source(lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

async function chunksOf(lines: string[], target: number): Promise<Chunk[]> {
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

  it('the largest job (a gzip upload inflating 8×) stays under 25,000 events with a retry per task', () => {
    const sourceBytes = defaultSettings.maxUploadBytes * 8;
    const target = targetChunkBytes(sourceBytes, defaultSettings);
    const chunks = maxChunkCount(sourceBytes, target);
    expect(chunks).toBeLessThanOrEqual(defaultSettings.maxChunksPerJob + 1);
    expect(estimateHistoryEvents(chunks, 1)).toBeLessThan(25_000);
  });

  it('maxChunkCount bounds what chunkLines produces', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => 'x'.repeat(i % 50));
    const bytes = lines.reduce((sum, l) => sum + l.length + 1, 0);
    expect((await chunksOf(lines, 300)).length).toBeLessThanOrEqual(maxChunkCount(bytes, 300));
  });
});
