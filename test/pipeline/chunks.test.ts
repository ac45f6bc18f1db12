import { describe, expect, it } from 'vitest';
import { planChunks } from '../../shared/jobs/chunking';
import { chunkBodyLines, writeChunks } from '../../shared/pipeline/chunks';

async function* from(lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

describe('writeChunks', () => {
  it('writes each chunk as it closes and reports the non-blank lines received', async () => {
    const written = new Map<number, string>();
    // A line weighs its bytes + 1 ("{1}" = 4, "" = 1); a chunk closes once it weighs 8 or more.
    const lines = ['{1}', '', '{3}', '{4}', '{5}', '   ', '{7}'];
    const result = await writeChunks(from(lines), 8, async (n, body) => {
      written.set(n, body);
    });
    expect(result.received).toBe(5);
    expect(result.chunks).toEqual([
      { n: 0, start: 0 },
      { n: 1, start: 3 },
      { n: 2, start: 5 },
    ]);
    // A chunk's lines map back to submission indexes: start + offset.
    for (const { n, start } of result.chunks) {
      chunkBodyLines(written.get(n)!).forEach((line, offset) => expect(line).toBe(lines[start + offset]));
    }
  });

  it('keeps at most the given number of writes in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const lines = Array.from({ length: 20 }, (_, i) => `{"i":${i}}`);
    await writeChunks(
      from(lines),
      1,
      async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inFlight--;
      },
      3,
    );
    expect(most).toBe(3);
  });

  it('fails with the first failed write once the others settle', async () => {
    const settled: number[] = [];
    const failure = new Error('put failed');
    const lines = Array.from({ length: 6 }, (_, i) => `{"i":${i}}`);
    const writing = writeChunks(
      from(lines),
      1,
      async (n) => {
        await new Promise((resolve) => setTimeout(resolve, n === 1 ? 1 : 5));
        settled.push(n);
        if (n === 1) throw failure;
      },
      2,
    );
    await expect(writing).rejects.toBe(failure);
    expect(settled).toContain(0); // the write started alongside the failed one was awaited, not abandoned
  });

  it('propagates a read error after settling the writes already started', async () => {
    const readError = new Error('read failed');
    let finished = 0;
    async function* broken() {
      yield '{"a":1}';
      throw readError;
    }
    await expect(
      writeChunks(broken(), 1, async () => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        finished++;
      }),
    ).rejects.toBe(readError);
    expect(finished).toBe(1);
  });

  it('never writes more than maxChunksPerJob chunks, whatever the estimate said (maxChunksPerJob 5)', async () => {
    const written = new Map<number, string>();
    const lines = Array.from({ length: 2_000 }, (_, i) => `{"id":"e${i}"}`);
    const bytes = lines.reduce((sum, l) => sum + l.length + 1, 0);
    // An estimate 100 times too small, as a multi-member gzip's last trailer can give.
    const plan = planChunks(bytes / 100, {
      minChunkBytes: 1,
      maxChunksPerJob: 5,
      maxUncompressedBytes: bytes,
    });
    const result = await writeChunks(from(lines), plan, async (n, body) => {
      written.set(n, body);
    });
    expect(result.chunks.map((c) => c.n)).toEqual([0, 1, 2, 3, 4]);
    expect(result.received).toBe(2_000);
    const back: string[] = [];
    for (const { n, start } of result.chunks) {
      chunkBodyLines(written.get(n)!).forEach((line, offset) => (back[start + offset] = line));
    }
    expect(back).toEqual(lines);
  });

  it('fails with UploadTooLarge when the lines add up to more than the cap', async () => {
    const plan = planChunks(10, { minChunkBytes: 1, maxChunksPerJob: 5, maxUncompressedBytes: 20 });
    await expect(
      writeChunks(from(Array(10).fill('!event: not valid UTF-8')), plan, async () => {}),
    ).rejects.toMatchObject({
      name: 'UploadTooLarge',
      message: "the submission's lines add up to more than 20 bytes",
    });
  });
});
