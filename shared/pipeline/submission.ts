/**
 * Submission readers: a stored submission → one text line per event candidate, streamed (an upload can be far
 * larger than memory). NDJSON lines pass as they are (index = 0-based line number, blank lines included); JSON
 * array elements are re-serialized one per line. A submission that cannot be read at all throws
 * SubmissionUnreadable, EmptySubmission or UploadTooLarge (past `maxUncompressedBytes`); one bad line or element
 * is only that event's problem, later (a line the reader cannot keep is a pre-rejected line, lines.ts).
 */
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { TaskError } from './errors';
import { jsonArrayLines } from './json-array-lines';
import { ndjsonLines } from './ndjson-lines';

export { jsonArrayLines } from './json-array-lines';
export { ndjsonLines } from './ndjson-lines';

export interface ReaderLimits {
  /** A line or element over this many bytes is rejected without being held. */
  maxEventBytes: number;
  /** Most bytes of text a submission may hold once decompressed. */
  maxUncompressedBytes: number;
}

const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** Bytes a JSON value (so an NDJSON line) can start with, besides '[': { " - 0-9 t f n. */
const JSON_VALUE_START = /^[{"\-0-9tfn]$/;
const GZIP_FIRST_BYTE = 0x1f;

const noop = () => {};

/** Gunzips a body; a corrupt or truncated stream fails with SubmissionUnreadable and zlib's own message. */
export async function* gunzip(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* pipeline(Readable.from(body), createGunzip(), noop);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new TaskError('SubmissionUnreadable', `invalid gzip: ${(error as Error).message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Passes the bytes through, counting them: past `maxBytes` the read stops (so a gzip bomb is only inflated that
 * far) with UploadTooLarge.
 */
export async function* capBytes(
  body: AsyncIterable<Buffer>,
  maxBytes: number,
  { gzipped }: { gzipped: boolean },
): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) {
      throw new TaskError(
        'UploadTooLarge',
        `the file ${gzipped ? 'decompresses to' : 'holds'} more than ${maxBytes} bytes`,
      );
    }
    yield chunk;
  }
}

/**
 * Looks at the first non-whitespace byte without losing anything: the bytes read so far are replayed ahead of
 * the rest. A leading UTF-8 byte order mark is dropped.
 */
export async function peekFirstByte(
  body: AsyncIterable<Buffer>,
): Promise<{ first: number | undefined; body: AsyncIterable<Buffer> }> {
  const iterator = body[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let first: number | undefined;
  while (first === undefined) {
    const next = await iterator.next();
    if (next.done) break;
    let chunk = Buffer.from(next.value);
    if (seen.length === 0 && chunk.subarray(0, 3).equals(UTF8_BOM)) chunk = chunk.subarray(3);
    seen.push(chunk);
    first = chunk.find((byte) => !JSON_WHITESPACE.has(byte));
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* seen;
    yield* { [Symbol.asyncIterator]: () => iterator };
  }
  return { first, body: replay() };
}

/** The lines of an uploaded file: a JSON array when it starts with '[', NDJSON when it starts like JSON. */
export async function* uploadLines(
  body: AsyncIterable<Buffer>,
  { gzipped, ...limits }: { gzipped: boolean } & ReaderLimits,
): AsyncGenerator<string> {
  const text = capBytes(gzipped ? gunzip(body) : body, limits.maxUncompressedBytes, { gzipped });
  const peeked = await peekFirstByte(text);
  if (peeked.first === undefined) throw new TaskError('EmptySubmission', 'the file holds no events');
  const char = String.fromCharCode(peeked.first);
  const shown =
    peeked.first < 0x7f && peeked.first >= 0x20
      ? JSON.stringify(char)
      : `byte 0x${peeked.first.toString(16)}`;
  if (char === '[') {
    yield* jsonArrayLines(peeked.body, limits);
  } else if (JSON_VALUE_START.test(char)) {
    yield* ndjsonLines(peeked.body, limits);
  } else {
    // 0x1f starts every gzip member: a compressed file whose name does not end in .gz (or sent with a
    // Content-Encoding header, which S3 stores as metadata and does not decode).
    const hint =
      !gzipped && peeked.first === GZIP_FIRST_BYTE
        ? ': the file looks gzip-compressed; upload it with a filename ending in .gz to have it decompressed'
        : '';
    throw new TaskError('SubmissionUnreadable', `expected NDJSON or a JSON array, found ${shown}${hint}`);
  }
}
