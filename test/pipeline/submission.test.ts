import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { preRejection } from '../../shared/pipeline/lines';
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
    expect(
      await collect(uploadLines(bytes('\n  [{"id":"1"}, {"id":"2"}]'), { gzipped: false, ...limits })),
    ).toEqual(['{"id":"1"}', '{"id":"2"}']);
  });

  it('treats a first line that is not an object as NDJSON (that line is rejected later, not the file)', async () => {
    expect(
      await collect(uploadLines(bytes('"just a string"\n{"id":"1"}'), { gzipped: false, ...limits })),
    ).toEqual(['"just a string"', '{"id":"1"}']);
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
    expect(
      await failureOf(uploadLines(bytes(Buffer.from([0x00, 0x01])), { gzipped: false, ...limits })),
    ).toEqual({
      name: 'SubmissionUnreadable',
      message: 'expected NDJSON or a JSON array, found byte 0x0',
    });
    expect(await failureOf(uploadLines(bytes(gzipSync('{}\n')), { gzipped: false, ...limits }))).toEqual({
      name: 'SubmissionUnreadable',
      message:
        'expected NDJSON or a JSON array, found byte 0x1f: the file looks gzip-compressed; upload it with a filename ending in .gz to have it decompressed',
    });
  });

  it('fails broken or truncated gzip with zlib’s message', async () => {
    expect(await failureOf(uploadLines(bytes('this is not gzip'), { gzipped: true, ...limits }))).toEqual({
      name: 'SubmissionUnreadable',
      message: 'invalid gzip: incorrect header check',
    });
    const gz = gzipSync(ndjson);
    expect(
      await failureOf(uploadLines(bytes(gz.subarray(0, gz.length - 6)), { gzipped: true, ...limits })),
    ).toEqual({
      name: 'SubmissionUnreadable',
      message: 'invalid gzip: unexpected end of file',
    });
  });

  it('fails a gzipped broken JSON array as an unreadable array', async () => {
    const failure = await failureOf(
      uploadLines(bytes(gzipSync('[{"a":1}, oops]')), { gzipped: true, ...limits }),
    );
    expect(failure).toMatchObject({
      name: 'SubmissionUnreadable',
      message: expect.stringMatching(/^invalid JSON array at or after element [01]: /),
    });
  });
});

describe('ndjsonLines limits (maxEventBytes 1000)', () => {
  const tooLarge = '!event: larger than 1000 bytes serialized';

  it('rejects a line over maxEventBytes without holding it, and keeps the lines around it', async () => {
    const huge = `{"data":"${'x'.repeat(50_000)}"}`;
    expect(await collect(ndjson(bytes(`{"a":1}\n${huge}\n{"b":2}`, 777)))).toEqual([
      '{"a":1}',
      tooLarge,
      '{"b":2}',
    ]);
  });

  it('keeps a line of exactly maxEventBytes (a CR before the LF does not count) and rejects one byte more', async () => {
    const exact = `"${'x'.repeat(998)}"`;
    const over = `"${'x'.repeat(999)}"`;
    expect(await collect(ndjson(bytes(`${exact}\r\n${over}\r\n${exact}`, 64)))).toEqual([
      exact,
      tooLarge,
      exact,
    ]);
  });

  it('rejects a last line over the limit that has no newline', async () => {
    expect(await collect(ndjson(bytes(`{"a":1}\n${'y'.repeat(5000)}`, 100)))).toEqual(['{"a":1}', tooLarge]);
  });

  it('rejects a line of invalid UTF-8 (bytes split across pieces too), keeping the valid lines', async () => {
    const body = Buffer.concat([
      Buffer.from('{"a":"é"}\n{"b":"'),
      Buffer.from([0xc3, 0x28]), // a lead byte followed by a non-continuation
      Buffer.from('"}\n{"c":"'),
      Buffer.from([0xed, 0xa0, 0x80]), // an encoded UTF-16 surrogate
      Buffer.from('"}\n{"d":"€"}\n'),
    ]);
    expect(await collect(ndjson(bytes(body, 1)))).toEqual([
      '{"a":"é"}',
      '!event: not valid UTF-8',
      '!event: not valid UTF-8',
      '{"d":"€"}',
    ]);
  });

  it('turns a source line starting with "!" into a not-valid-JSON rejection, so no reason can be forged', async () => {
    const [line] = await collect(ndjson(bytes('!data: forged reason\n')));
    expect(line).toMatch(/^!event: not valid JSON \(.+\)$/);
    expect(line).not.toBe('!data: forged reason');
    // Exactly the message the envelope check gives for the same text.
    expect(line).toBe(`!event: not valid JSON (${jsonError('!data: forged reason')})`);
  });

  it('keeps a BOM-less U+FEFF at the start of a later line (it fails as JSON later, as before)', async () => {
    expect(await collect(ndjson(bytes('{"a":1}\n\ufeff{"b":2}\n')))).toEqual(['{"a":1}', '\ufeff{"b":2}']);
  });

  it('yields nothing for an empty body and one empty line for a lone newline', async () => {
    expect(await collect(ndjson(bytes('')))).toEqual([]);
    expect(await collect(ndjson(bytes('\n')))).toEqual(['']);
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected invalid JSON');
}

describe('jsonArrayLines limits (maxEventBytes 1000)', () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it('writes compact JSON from the tokens: escapes, unicode, keys and numbers as in the source', async () => {
    const text =
      '[{"k\\"ey": "a\\nb\\u00e9\\ud83d\\ude00", "n": -1.5e3, "t": true, "f": false, "z": null}, []]';
    const lines = await collect(jsonArray(bytes(text, 3)));
    expect(lines).toEqual(['{"k\\"ey":"a\\nbé😀","n":-1.5e3,"t":true,"f":false,"z":null}', '[]']);
    expect(JSON.parse(lines[0]!)).toEqual(JSON.parse(text)[0]);
  });

  it('rejects an element nested deeper than 1000 levels without throwing, and keeps reading', async () => {
    const text = `[${nested(1000)}, {"a":${nested(5000)}}, ${nested(100_000)}, {"ok":1}]`;
    const lines = await collect(jsonArrayLines(bytes(text, 4096), { ...limits, maxEventBytes: 10_000 }));
    expect(lines).toEqual([
      nested(1000),
      '!event: nested deeper than 1000 levels',
      '!event: nested deeper than 1000 levels',
      '{"ok":1}',
    ]);
  });

  it('names the element it rejects by its top-level id, whatever the pieces, and only by that id', async () => {
    const big = 'x'.repeat(2000);
    const text = JSON.stringify([
      { id: 'first', data: big },
      { data: { id: 'inner' }, idx: 'not-it', id: 'second', big },
      { id: 5, big },
      { id: 'c'.repeat(600), big },
      { big },
    ]);
    const rejected = (await collect(jsonArray(bytes(text, 3)))).map((line) => preRejection(line));
    const tooLarge = 'event: larger than 1000 bytes serialized';
    expect(rejected.map((r) => r?.id)).toEqual(['first', 'second', null, expect.any(String), null]);
    expect(rejected.every((r) => r?.reason === tooLarge)).toBe(true);
    // Enough of a long id is kept for the rejection to show 256 characters and mark the cut.
    expect(rejected[3]!.id!.length).toBeGreaterThan(256);
    expect(rejected[3]!.id).toBe('c'.repeat(rejected[3]!.id!.length));
  });

  it('is not fooled by brackets inside strings of a too-deep element', async () => {
    const deep = `${'['.repeat(1001)}"]]]\\"]]]"${']'.repeat(1001)}`;
    expect(await collect(jsonArray(bytes(`[${deep}, "after"]`, 7)))).toEqual([
      '!event: nested deeper than 1000 levels',
      '"after"',
    ]);
  });

  it('rejects an element over maxEventBytes, however it is made, and keeps the next', async () => {
    const bigString = `"${'s'.repeat(200_000)}"`;
    const manyKeys = `{${Array.from({ length: 300 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    const bigNumber = '9'.repeat(5000);
    const lines = await collect(jsonArray(bytes(`[${bigString}, ${manyKeys}, ${bigNumber}, 1]`, 1024)));
    expect(lines).toEqual([
      '!event: larger than 1000 bytes serialized',
      '!event: larger than 1000 bytes serialized',
      '!event: larger than 1000 bytes serialized',
      '1',
    ]);
  });

  it('keeps an element of exactly maxEventBytes compact, whatever its whitespace', async () => {
    const element = `"${'x'.repeat(998)}"`;
    expect(await collect(jsonArray(bytes(`[ ${element} ,\n\n ${element}  ]`)))).toEqual([element, element]);
  });

  it('rejects an element holding invalid UTF-8 and keeps the others', async () => {
    const body = Buffer.concat([
      Buffer.from('[{"a":"ok"}, {"b":"'),
      Buffer.from([0xff]),
      Buffer.from('"}, "'),
      Buffer.from([0xe2, 0x82]), // a truncated 3-byte sequence
      Buffer.from('", "€"]'),
    ]);
    expect(await collect(jsonArray(bytes(body, 2)))).toEqual([
      '{"a":"ok"}',
      '!event: not valid UTF-8',
      '!event: not valid UTF-8',
      '"€"',
    ]);
  });

  it('fails as an unreadable array when invalid UTF-8 is outside any element', async () => {
    const body = Buffer.concat([Buffer.from('[1, '), Buffer.from([0xff]), Buffer.from(' 2]')]);
    expect(await failureOf(jsonArray(bytes(body)))).toMatchObject({
      name: 'SubmissionUnreadable',
      message: expect.stringMatching(/^invalid JSON array at or after element 1: /),
    });
  });

  it('fails a truncated array with SubmissionUnreadable', async () => {
    expect(await failureOf(jsonArray(bytes('[{"a":1}, 2')))).toEqual({
      name: 'SubmissionUnreadable',
      message: 'invalid JSON array at or after element 1: unexpected end of input',
    });
  });
});

describe('uploadLines: decompressed bytes are counted and capped (maxUncompressedBytes 1 MiB)', () => {
  /** A gzip body and how many of its pieces the reader pulled. */
  function counted(gz: Buffer, size = 1024) {
    const read = { pieces: 0, total: Math.ceil(gz.length / size) };
    async function* body() {
      for (let i = 0; i < gz.length; i += size) {
        read.pieces++;
        yield gz.subarray(i, i + size);
      }
    }
    return { body: body(), read };
  }
  const tooLarge = { name: 'UploadTooLarge', message: 'the file decompresses to more than 1048576 bytes' };

  it('stops a gzip bomb (about 1 MB that inflates to 1 GiB) at the cap, reading little of it', async () => {
    const spaces = gzipSync(Buffer.alloc(16 * 1024 * 1024, ' '));
    const bomb = Buffer.concat([gzipSync('{"a":1}\n'), ...Array<Buffer>(64).fill(spaces)]);
    expect(bomb.length).toBeLessThan(1024 * 1024 + 1024);
    const { body, read } = counted(bomb);
    expect(await failureOf(uploadLines(body, { gzipped: true, ...limits }))).toEqual(tooLarge);
    expect(read.pieces).toBeLessThan(read.total / 10);
  });

  it('stops a bomb of blank lines and a JSON array bomb the same way', async () => {
    const small = { ...limits, maxUncompressedBytes: 64 * 1024 };
    const capped = { name: 'UploadTooLarge', message: 'the file decompresses to more than 65536 bytes' };
    const blank = gzipSync(Buffer.alloc(1024 * 1024, '\n'));
    expect(await failureOf(uploadLines(bytes(blank, 4096), { gzipped: true, ...small }))).toEqual(capped);
    const array = gzipSync(`[${'1,'.repeat(512 * 1024)}1]`);
    expect(await failureOf(uploadLines(bytes(array, 4096), { gzipped: true, ...small }))).toEqual(capped);
  });

  it('counts every member of a multi-member gzip: each is read, and the sum is capped', async () => {
    const members = Buffer.concat([
      gzipSync('{"id":"1"}\n'),
      gzipSync('{"id":"2"}\n'),
      gzipSync('{"id":"3"}'),
    ]);
    expect(await collect(uploadLines(bytes(members), { gzipped: true, ...limits }))).toEqual([
      '{"id":"1"}',
      '{"id":"2"}',
      '{"id":"3"}',
    ]);
    const half = gzipSync(Buffer.alloc(600 * 1024, ' '));
    const twoHalves = Buffer.concat([gzipSync('{"a":1}\n'), half, half]);
    expect(await failureOf(uploadLines(bytes(twoHalves, 4096), { gzipped: true, ...limits }))).toEqual(
      tooLarge,
    );
  });

  it('passes a file of exactly the cap', async () => {
    const text = Buffer.concat([Buffer.from('{"a":1}\n'), Buffer.alloc(1024 * 1024 - 8, ' ')]);
    const lines = await collect(uploadLines(bytes(gzipSync(text), 4096), { gzipped: true, ...limits }));
    expect(lines).toEqual(['{"a":1}', '!event: larger than 1000 bytes serialized']);
  });

  it('caps a plain file too', async () => {
    const small = { maxEventBytes: 1000, maxUncompressedBytes: 10 };
    expect(await failureOf(uploadLines(bytes('{"a":1}\n{"b":2}\n'), { gzipped: false, ...small }))).toEqual({
      name: 'UploadTooLarge',
      message: 'the file holds more than 10 bytes',
    });
  });
});
