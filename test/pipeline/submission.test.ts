import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { jsonArrayLines, ndjsonLines, peekFirstByte, uploadLines } from '../../shared/pipeline/submission';

/** A body arriving in pieces of `size` bytes (so nothing relies on one big chunk). */
async function* bytes(data: string | Buffer, size = 5): AsyncGenerator<Buffer> {
  const buffer = Buffer.from(data);
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}

const limits = { maxEventBytes: 1000, maxUncompressedBytes: 1024 * 1024 };
const ndjson = (body: AsyncIterable<Buffer>) => ndjsonLines(body, limits);
const jsonArray = (body: AsyncIterable<Buffer>) => jsonArrayLines(body, limits);

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

const failureOf = (lines: AsyncIterable<string>) =>
  collect(lines).then(
    () => {
      throw new Error('expected the reader to fail');
    },
    (error: Error) => ({ name: error.name, message: error.message }),
  );

describe('ndjsonLines', () => {
  it('yields every line, blank ones in place, CRLF or LF, without a phantom last line', async () => {
    expect(await collect(ndjson(bytes('{"a":1}\r\n\n{"b":2}\n  \n{"c":3}\n')))).toEqual([
      '{"a":1}',
      '',
      '{"b":2}',
      '  ',
      '{"c":3}',
    ]);
  });

  it('keeps a last line without a newline and multi-byte characters split across pieces', async () => {
    expect(await collect(ndjson(bytes('{"x":"héllo €"}\n{"y":"ü"}', 3)))).toEqual([
      '{"x":"héllo €"}',
      '{"y":"ü"}',
    ]);
  });
});

describe('jsonArrayLines', () => {
  it('re-serializes each element on its own line, whatever it is', async () => {
    const text = '[\n {"id": "a", "data": {"n": [1, 2]}},\n 3, "x", null\n]';
    expect(await collect(jsonArray(bytes(text)))).toEqual([
      '{"id":"a","data":{"n":[1,2]}}',
      '3',
      '"x"',
      'null',
    ]);
  });

  it('yields nothing for an empty array', async () => {
    expect(await collect(jsonArray(bytes('[ ]')))).toEqual([]);
  });

  it.each([
    ['a trailing comma', '[{"a":1},]'],
    ['a truncated element', '[{"a":1}, {"b":'],
    ['content after the array', '[1] {"x":1}'],
    ['an object instead of an array', '{"a":1}'],
  ])('fails with SubmissionUnreadable on %s', async (_case, text) => {
    const failure = await failureOf(jsonArray(bytes(text)));
    expect(failure.name).toBe('SubmissionUnreadable');
    expect(failure.message).toMatch(/^invalid JSON array at or after element \d+: /);
  });

  it('passes errors of the byte source through unchanged (they may be retried)', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    async function* broken() {
      yield Buffer.from('[{"a":1},');
      throw reset;
    }
    await expect(collect(jsonArray(broken()))).rejects.toBe(reset);
  });
});

describe('peekFirstByte', () => {
  it('finds the first non-whitespace byte and replays every byte', async () => {
    const { first, body } = await peekFirstByte(bytes('   \n\t  {"a":1}\n', 2));
    expect(String.fromCharCode(first!)).toBe('{');
    const replayed: Buffer[] = [];
    for await (const piece of body) replayed.push(piece);
    expect(Buffer.concat(replayed).toString()).toBe('   \n\t  {"a":1}\n');
  });

  it('drops a UTF-8 byte order mark', async () => {
    const { first, body } = await peekFirstByte(
      bytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[1]')]), 64),
    );
    expect(String.fromCharCode(first!)).toBe('[');
    const replayed: Buffer[] = [];
    for await (const piece of body) replayed.push(piece);
    expect(Buffer.concat(replayed).toString()).toBe('[1]');
  });

  it('reports no byte for whitespace only', async () => {
    expect((await peekFirstByte(bytes(' \n\r\n '))).first).toBeUndefined();
  });
});

describe('uploadLines', () => {
  const ndjson = '{"id":"1"}\n{"id":"2"}\n';

  it('reads NDJSON, plain or gzipped', async () => {
    expect(await collect(uploadLines(bytes(ndjson), { gzipped: false, ...limits }))).toEqual([
      '{"id":"1"}',
      '{"id":"2"}',
    ]);
    expect(await collect(uploadLines(bytes(gzipSync(ndjson)), { gzipped: true, ...limits }))).toEqual([
      '{"id":"1"}',
      '{"id":"2"}',
    ]);
  });

  it('reads a JSON array (leading whitespace allowed)', async () => {
    expect(await collect(uploadLines(bytes('\n  [{"id":"1"}, {"id":"2"}]'), { gzipped: false, ...limits }))).toEqual([
      '{"id":"1"}',
      '{"id":"2"}',
    ]);
  });

  it('treats a first line that is not an object as NDJSON (that line is rejected later, not the file)', async () => {
    expect(await collect(uploadLines(bytes('"just a string"\n{"id":"1"}'), { gzipped: false, ...limits }))).toEqual([
      '"just a string"',
      '{"id":"1"}',
    ]);
  });

  it('fails an empty or whitespace-only file with EmptySubmission', async () => {
    expect(await failureOf(uploadLines(bytes(' \n \n'), { gzipped: false, ...limits }))).toMatchObject({
      name: 'EmptySubmission',
    });
    expect(await failureOf(uploadLines(bytes(gzipSync('')), { gzipped: true, ...limits }))).toMatchObject({
      name: 'EmptySubmission',
    });
  });

  it('fails a file that cannot start JSON with SubmissionUnreadable', async () => {
    expect(await failureOf(uploadLines(bytes('<xml/>'), { gzipped: false, ...limits }))).toEqual({
      name: 'SubmissionUnreadable',
      message: 'expected NDJSON or a JSON array, found "<"',
    });
    expect(await failureOf(uploadLines(bytes(Buffer.from([0x00, 0x01])), { gzipped: false, ...limits }))).toEqual({
      name: 'SubmissionUnreadable',
      message: 'expected NDJSON or a JSON array, found byte 0x0',
    });
  });

  it('fails broken or truncated gzip with zlib’s message', async () => {
    expect(await failureOf(uploadLines(bytes('this is not gzip'), { gzipped: true, ...limits }))).toEqual({
      name: 'SubmissionUnreadable',
      message: 'invalid gzip: incorrect header check',
    });
    const gz = gzipSync(ndjson);
    expect(await failureOf(uploadLines(bytes(gz.subarray(0, gz.length - 6)), { gzipped: true, ...limits }))).toEqual({
      name: 'SubmissionUnreadable',
      message: 'invalid gzip: unexpected end of file',
    });
  });

  it('fails a gzipped broken JSON array as an unreadable array', async () => {
    const failure = await failureOf(uploadLines(bytes(gzipSync('[{"a":1}, oops]')), { gzipped: true, ...limits }));
    expect(failure).toMatchObject({
      name: 'SubmissionUnreadable',
      message: expect.stringMatching(/^invalid JSON array at or after element [01]: /),
    });
  });
});
