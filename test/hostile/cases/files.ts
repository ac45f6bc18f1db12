/**
 * Upload cases: each file (its name decides gzip) and the exact end of its job: SUCCEEDED with its counts,
 * the rejections by index and reason and the events then readable back, or FAILED with the failure's error
 * and cause. The limits are the small ones of cloud.ts (1 MiB stored, 2 MiB uncompressed, 4 chunks).
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { deepArrayText, deepObjectText, KiB, limits, MiB, type Counts } from '../cloud';

export interface ExpectedRejection {
  index: number;
  reason: string | RegExp;
  /** Asserted only when given. */
  id?: string | null;
}

export type FileExpectation =
  | {
      status: 'SUCCEEDED';
      counts: Counts;
      rejections?: ExpectedRejection[];
      /** Candidates (JSON text) that must then be stored exactly as sent. */
      stored?: string[];
      /** Bounds on the job's chunk count (IngestChunk iterations). */
      chunks?: { min: number; max: number };
    }
  | { status: 'FAILED'; error?: string; cause: RegExp };

export interface FileCase {
  name: string;
  filename: string;
  body: Buffer;
  /** Where the contract allows more than one end, each is listed. */
  expect: FileExpectation | FileExpectation[];
}

const line = (overrides: Record<string, unknown> = {}): string =>
  JSON.stringify({
    specversion: '1.0',
    id: randomUUID(),
    source: 'urn:sluice:upload',
    type: 'com.example.hostile.upload',
    data: { n: 1 },
    ...overrides,
  });
const lines = (n: number) => Array.from({ length: n }, (_, i) => line({ data: { i } }));
const withData = (rawJson: string) => line({ data: 0 }).replace('"data":0', `"data":${rawJson}`);
/** The `id` a row was built with (the reader reports it even for an element it could not keep). */
const idOf = (row: string): string => /"id":"([^"]+)"/.exec(row)![1]!;
const deep1001 = withData(deepArrayText(1_000));
const deep20000 = withData(deepObjectText(20_000));
const ndjson = (rows: (string | Buffer)[], eol = '\n', finalEol = true): Buffer =>
  Buffer.concat([
    ...rows.flatMap((row, i) => [
      Buffer.from(row),
      ...(i < rows.length - 1 || finalEol ? [Buffer.from(eol)] : []),
    ]),
  ]);
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));
const gz = (body: Buffer | string) => gzipSync(body);
const counts = (received: number, accepted: number, rejected = 0, duplicates = 0): Counts => ({
  received,
  accepted,
  rejected,
  duplicates,
});
const spaces = (totalBytes: number) => Array(Math.ceil(totalBytes / 1_000)).fill(' '.repeat(999));

const BOM = '\uFEFF';
const notValidJson = /^event: not valid JSON/;
const notUtf8 = 'event: not valid UTF-8';
const tooLarge = `event: larger than ${limits.maxEventBytes} bytes serialized`;
const unreadable = (cause: RegExp): FileExpectation => ({
  status: 'FAILED',
  error: 'SubmissionUnreadable',
  cause,
});
const empty: FileExpectation = { status: 'FAILED', error: 'EmptySubmission', cause: /./ };
const uncompressedCap: FileExpectation = { status: 'FAILED', cause: /(un|de)compress/i };

/** A SUCCEEDED job of `good` events around the rejected lines, all good ones stored. */
function around(bad: { at: number; row: string | Buffer; reason: string | RegExp }[], good = 3, eol = '\n') {
  const goods = lines(good);
  const rows: (string | Buffer)[] = [...goods];
  for (const { at, row } of [...bad].sort((a, b) => a.at - b.at)) rows.splice(at, 0, row);
  return {
    body: ndjson(rows, eol),
    expect: {
      status: 'SUCCEEDED' as const,
      counts: counts(good + bad.length, good, bad.length),
      rejections: bad.map(({ at, reason }) => ({ index: at, reason })),
      stored: goods,
    },
  };
}

/** A case built around three good events of its own (no two jobs share an event). */
const withFresh = (make: (three: string[]) => FileCase): FileCase => make(lines(3));
const arrayOf = (...elements: string[]) => Buffer.from(`[${elements.join(',')}]`);
const firstMember = lines(200);
const lastMember = lines(1);
const chunked = lines(300);
const duplicated = line();
const blankRows = lines(2);

export const fileCases: FileCase[] = [
  withFresh((three) => ({
    name: 'NDJSON: good lines',
    filename: 'good.ndjson',
    body: ndjson(three),
    expect: { status: 'SUCCEEDED', counts: counts(3, 3), stored: three },
  })),
  {
    name: 'gzip bomb: NDJSON padded with 5 MiB of blank lines',
    filename: 'bomb.ndjson.gz',
    body: gz(ndjson([line(), ...spaces(5 * MiB), line()])),
    expect: uncompressedCap,
  },
  {
    name: 'gzip bomb: JSON array padded with 5 MiB of whitespace',
    filename: 'bomb.json.gz',
    body: gz(`[${line()},${' '.repeat(5 * MiB)}${line()}]`),
    expect: uncompressedCap,
  },
  withFresh((three) => ({
    name: 'gzip of 1.5 MiB, under maxUncompressedBytes',
    filename: 'under-cap.ndjson.gz',
    body: gz(ndjson([three[0]!, ...spaces(1.5 * MiB), three[1]!])),
    expect: { status: 'SUCCEEDED', counts: counts(2, 2), stored: [three[0]!, three[1]!] },
  })),
  {
    name: 'truncated gzip (no trailer)',
    filename: 'truncated.ndjson.gz',
    body: gz(ndjson(lines(20))).subarray(0, -8),
    expect: unreadable(/gzip/i),
  },
  {
    name: 'gzip cut in half',
    filename: 'half.ndjson.gz',
    body: ((b: Buffer) => b.subarray(0, Math.floor(b.length / 2)))(gz(ndjson(lines(20)))),
    expect: unreadable(/gzip/i),
  },
  {
    name: 'gzip bytes in a file not named .gz: the reason says it looks gzip-compressed',
    filename: 'packed.ndjson',
    body: gz(ndjson(lines(2))),
    expect: {
      status: 'FAILED',
      error: 'SubmissionUnreadable',
      cause: /found byte 0x1f: the file looks gzip-compressed/,
    },
  },
  {
    name: 'a .gz that is not gzip',
    filename: 'fake.ndjson.gz',
    body: ndjson(lines(2)),
    expect: unreadable(/^invalid gzip/),
  },
  withFresh((three) => ({
    name: 'multi-member gzip',
    filename: 'members.ndjson.gz',
    body: Buffer.concat([gz(ndjson(three.slice(0, 2))), gz(ndjson(three.slice(2)))]),
    expect: { status: 'SUCCEEDED', counts: counts(3, 3), stored: three },
  })),
  {
    name: 'multi-member gzip whose last trailer claims a tiny size: still at most maxChunksPerJob chunks',
    filename: 'lying-trailer.ndjson.gz',
    body: Buffer.concat([gz(ndjson(firstMember)), gz(ndjson(lastMember))]),
    expect: [
      {
        status: 'SUCCEEDED',
        counts: counts(201, 201),
        stored: [firstMember[0]!, lastMember[0]!],
        chunks: { min: 1, max: limits.maxChunksPerJob },
      },
      { status: 'FAILED', cause: /chunk/i },
    ],
  },
  { name: 'empty file', filename: 'empty.ndjson', body: Buffer.alloc(0), expect: empty },
  { name: 'empty .gz file', filename: 'empty.ndjson.gz', body: Buffer.alloc(0), expect: empty },
  { name: 'gzip of nothing', filename: 'nothing.ndjson.gz', body: gz(''), expect: empty },
  {
    name: 'whitespace-only file',
    filename: 'spaces.ndjson',
    body: Buffer.from(' \t \r\n  \n'),
    expect: empty,
  },
  { name: 'blank lines only', filename: 'blank.ndjson', body: Buffer.from('\n\n\n'), expect: empty },
  { name: 'a BOM only', filename: 'bom.ndjson', body: Buffer.from(BOM), expect: empty },
  {
    name: 'broken JSON array',
    filename: 'broken.json',
    body: Buffer.from(`[${line()},`),
    expect: unreadable(/invalid JSON array/),
  },
  {
    name: 'JSON array with a junk element',
    filename: 'junk.json',
    body: Buffer.from(`[${line()},x]`),
    expect: unreadable(/invalid JSON array/),
  },
  {
    name: 'JSON array with junk after the closing bracket',
    filename: 'trailing.json',
    body: Buffer.from(`[${line()}] trailing`),
    expect: unreadable(/invalid JSON array/),
  },
  withFresh((three) => ({
    name: 'JSON array: an element nested 1,001 levels',
    filename: 'deep-1001.json',
    body: arrayOf(three[0]!, deep1001, three[1]!),
    expect: {
      status: 'SUCCEEDED',
      counts: counts(3, 2, 1),
      rejections: [{ index: 1, reason: 'event: nested deeper than 1000 levels', id: idOf(deep1001) }],
      stored: [three[0]!, three[1]!],
    },
  })),
  withFresh((three) => ({
    name: 'JSON array: an element nested 20,000 levels',
    filename: 'deep-20000.json',
    body: arrayOf(three[0]!, deep20000, three[2]!),
    expect: {
      status: 'SUCCEEDED',
      counts: counts(3, 2, 1),
      rejections: [{ index: 1, reason: 'event: nested deeper than 1000 levels', id: idOf(deep20000) }],
      stored: [three[0]!, three[2]!],
    },
  })),
  withFresh((three) => ({
    name: 'JSON array: an element nested exactly 1,000 levels',
    filename: 'deep-1000.json',
    body: arrayOf(withData(deepArrayText(999)), three[1]!),
    expect: {
      status: 'SUCCEEDED',
      counts: counts(2, 1, 1),
      rejections: [{ index: 0, reason: 'data: nested deeper than 64 levels' }],
      stored: [three[1]!],
    },
  })),
  withFresh((three) => ({
    name: 'JSON array of non-objects',
    filename: 'scalars.json',
    body: arrayOf('1', '"x"', 'null', three[2]!),
    expect: {
      status: 'SUCCEEDED',
      counts: counts(4, 1, 3),
      rejections: [0, 1, 2].map((index) => ({ index, reason: 'event: must be a JSON object', id: null })),
      stored: [three[2]!],
    },
  })),
  {
    name: 'NDJSON: a line nested 20,000 levels',
    filename: 'deep-line.ndjson',
    ...around([
      {
        at: 1,
        row: withData(deepArrayText(20_000)),
        reason: /^(data|event): nested deeper than (64|1000) levels$/,
      },
    ]),
  },
  {
    name: 'NDJSON: a line over maxEventBytes',
    filename: 'huge-line.ndjson',
    ...around([{ at: 1, row: line({ data: 'd'.repeat(limits.maxEventBytes + 100) }), reason: tooLarge }]),
  },
  {
    name: 'NDJSON: a 900 KB line',
    filename: 'huger-line.ndjson',
    ...around([{ at: 2, row: line({ data: 'd'.repeat(900 * KiB) }), reason: tooLarge }]),
  },
  withFresh((three) => ({
    name: 'NDJSON: a line just under maxEventBytes is stored',
    filename: 'big-line.ndjson',
    body: ndjson([three[0]!, line({ data: 'd'.repeat(limits.maxEventBytes - 1_000) })]),
    expect: { status: 'SUCCEEDED', counts: counts(2, 2), stored: [three[0]!] },
  })),
  {
    name: 'NDJSON: invalid UTF-8 in a line',
    filename: 'latin1.ndjson',
    ...around([
      {
        at: 1,
        row: bytes('{"specversion":"1.0","id":"caf', [0xe9], '","source":"urn:x","type":"t"}'),
        reason: notUtf8,
      },
    ]),
  },
  {
    name: 'NDJSON: overlong UTF-8 encoding',
    filename: 'overlong.ndjson',
    ...around([
      {
        at: 0,
        row: bytes('{"specversion":"1.0","id":"a', [0xc0, 0xaf], '","source":"urn:x","type":"t"}'),
        reason: notUtf8,
      },
    ]),
  },
  {
    name: 'NDJSON: a UTF-8-encoded surrogate (CESU)',
    filename: 'cesu.ndjson',
    ...around([
      {
        at: 2,
        row: bytes('{"specversion":"1.0","id":"', [0xed, 0xa0, 0x80], '","source":"urn:x","type":"t"}'),
        reason: notUtf8,
      },
    ]),
  },
  withFresh((three) => ({
    name: 'NDJSON: a last line cut inside a UTF-8 sequence',
    filename: 'cut.ndjson',
    body: Buffer.concat([ndjson(three.slice(0, 2)), bytes('{"id":"', [0xe6, 0x97])]),
    expect: {
      status: 'SUCCEEDED',
      counts: counts(3, 2, 1),
      rejections: [{ index: 2, reason: notUtf8 }],
      stored: three.slice(0, 2),
    },
  })),
  {
    name: 'gzip NDJSON: invalid UTF-8 in a line',
    filename: 'latin1.ndjson.gz',
    ...((c) => ({ ...c, body: gz(c.body) }))(
      around([{ at: 1, row: bytes('{"id":"', [0xff, 0xfe], '"}'), reason: notUtf8 }]),
    ),
  },
  {
    name: 'NDJSON: a line starting with ! cannot forge a reason',
    filename: 'bang.ndjson',
    ...around([{ at: 1, row: '!id: forged reason', reason: notValidJson }]),
  },
  {
    name: 'NDJSON: a line forging the too-large reason',
    filename: 'bang-large.ndjson',
    ...around([{ at: 2, row: `!${tooLarge}`, reason: notValidJson }]),
  },
  withFresh((three) => ({
    name: 'NDJSON: CRLF line endings',
    filename: 'crlf.ndjson',
    body: ndjson(three, '\r\n'),
    expect: { status: 'SUCCEEDED', counts: counts(3, 3), stored: three },
  })),
  {
    name: 'NDJSON: CRLF with a bad line keeps its index',
    filename: 'crlf-bad.ndjson',
    ...around([{ at: 1, row: '{bad', reason: notValidJson }], 3, '\r\n'),
  },
  withFresh((three) => ({
    name: 'NDJSON: UTF-8 BOM',
    filename: 'bom.ndjson',
    body: ndjson([BOM + three[0]!, three[1]!]),
    expect: { status: 'SUCCEEDED', counts: counts(2, 2), stored: three.slice(0, 2) },
  })),
  withFresh((three) => ({
    name: 'JSON array: UTF-8 BOM',
    filename: 'bom.json',
    body: Buffer.from(`${BOM}[${three.join(',')}]`),
    expect: { status: 'SUCCEEDED', counts: counts(3, 3), stored: three },
  })),
  withFresh((three) => ({
    name: 'gzip NDJSON: UTF-8 BOM',
    filename: 'bom.ndjson.gz',
    body: gz(ndjson([BOM + three[2]!])),
    expect: { status: 'SUCCEEDED', counts: counts(1, 1), stored: [three[2]!] },
  })),
  withFresh((three) => ({
    name: 'NDJSON: no final newline',
    filename: 'no-eol.ndjson',
    body: ndjson(three, '\n', false),
    expect: { status: 'SUCCEEDED', counts: counts(3, 3), stored: three },
  })),
  {
    name: 'NDJSON: blank lines keep the indexes',
    filename: 'blank-lines.ndjson',
    body: ndjson([blankRows[0]!, '', '{bad', '   ', blankRows[1]!, '\t', '[1]']),
    expect: {
      status: 'SUCCEEDED',
      counts: counts(4, 2, 2),
      rejections: [
        { index: 2, reason: notValidJson, id: null },
        { index: 6, reason: 'event: must be a JSON object', id: null },
      ],
      stored: blankRows,
    },
  },
  {
    name: `many chunks: 300 events with maxChunksPerJob ${limits.maxChunksPerJob}`,
    filename: 'chunks.ndjson',
    body: ndjson(chunked),
    expect: {
      status: 'SUCCEEDED',
      counts: counts(300, 300),
      stored: [chunked[0]!, chunked[150]!, chunked[299]!],
      chunks: { min: 2, max: limits.maxChunksPerJob },
    },
  },
  {
    name: 'many chunks, gzipped',
    filename: 'chunks.ndjson.gz',
    body: gz(ndjson(lines(300))),
    expect: {
      status: 'SUCCEEDED',
      counts: counts(300, 300),
      chunks: { min: 2, max: limits.maxChunksPerJob },
    },
  },
  {
    name: 'a file whose first byte is junk',
    filename: 'junk.ndjson',
    body: Buffer.from(`x${line()}\n`),
    expect: unreadable(/expected NDJSON or a JSON array, found "x"/),
  },
  {
    name: 'a file starting with !',
    filename: 'bang-first.ndjson',
    body: Buffer.from(`!event: forged\n${line()}\n`),
    expect: unreadable(/found "!"/),
  },
  {
    name: 'a file starting with a NUL byte',
    filename: 'nul-first.ndjson',
    body: Buffer.concat([Buffer.from([0]), Buffer.from(`${line()}\n`)]),
    expect: unreadable(/found byte 0x0\b/),
  },
  {
    name: 'NDJSON: a line of NUL bytes',
    filename: 'nul-line.ndjson',
    ...around([{ at: 1, row: '\0\0\0', reason: notValidJson }]),
  },
  {
    name: 'NDJSON: a raw control character inside a string',
    filename: 'control.ndjson',
    ...around([{ at: 1, row: line({ id: 'a\u0001b' }).replace('\\u0001', '\u0001'), reason: notValidJson }]),
  },
  {
    name: 'NDJSON: a JSON array on one line',
    filename: 'array-line.ndjson',
    ...around([{ at: 1, row: '[1,2]', reason: 'event: must be a JSON object' }]),
  },
  {
    name: 'NDJSON: a number past a double (1e400) is rejected, not stored as null',
    filename: 'inf.ndjson',
    ...around([
      {
        at: 1,
        row: withData('{"n":1e400}'),
        reason: 'data: holds a number outside the range of a double (at /n)',
      },
      { at: 2, row: withData('-1e999'), reason: 'data: holds a number outside the range of a double (at /)' },
    ]),
  },
  withFresh((three) => ({
    name: 'JSON array: an element holding 1e400 is rejected, the others stored',
    filename: 'inf.json',
    body: arrayOf(three[0]!, withData('[1,{"a/b":1e400}]'), three[1]!),
    expect: {
      status: 'SUCCEEDED',
      counts: counts(3, 2, 1),
      rejections: [{ index: 1, reason: 'data: holds a number outside the range of a double (at /1/a~1b)' }],
      stored: [three[0]!, three[1]!],
    },
  })),
  withFresh((three) => ({
    name: 'NDJSON: the same event on two lines',
    filename: 'dupes.ndjson',
    body: ndjson([duplicated, three[0]!, duplicated]),
    expect: { status: 'SUCCEEDED', counts: counts(3, 2, 0, 1), stored: [duplicated, three[0]!] },
  })),
  {
    name: `a file over maxUploadBytes (${limits.maxUploadBytes})`,
    filename: 'too-big.ndjson',
    body: ndjson([line(), ...spaces(limits.maxUploadBytes + 10 * KiB)]),
    expect: { status: 'FAILED', error: 'UploadTooLarge', cause: new RegExp(String(limits.maxUploadBytes)) },
  },
  withFresh((three) => ({
    name: 'a filename that climbs out of its folder is sanitized',
    filename: '../../submissions/../x.ndjson',
    body: ndjson(three.slice(0, 1)),
    expect: { status: 'SUCCEEDED', counts: counts(1, 1), stored: three.slice(0, 1) },
  })),
];
