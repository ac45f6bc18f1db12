import { describe, expect, it } from 'vitest';
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
});
