/**
 * Submission readers: a stored submission → one text line per event candidate, streamed (an upload can be far
 * larger than memory). NDJSON lines pass as they are (index = 0-based line number, blank lines included); JSON
 * array elements are re-serialized one per line. A submission that cannot be read at all throws
 * SubmissionUnreadable or EmptySubmission; one bad line or element is only that event's problem, later.
 */
import { Readable, pipeline } from 'node:stream';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import streamArray from 'stream-json/streamers/stream-array.js';
import { TaskError } from './errors';

const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** Bytes a JSON value (so an NDJSON line) can start with, besides '[': { " - 0-9 t f n. */
const JSON_VALUE_START = /^[{"\-0-9tfn]$/;

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

/** Elements of a JSON array, each re-serialized on one line. */
export async function* jsonArrayLines(body: AsyncIterable<Buffer>): AsyncGenerator<string> {
  // Errors of the bytes' source (network, gzip) pass through; the parser's own mean the array is broken.
  const sourceErrors = new WeakSet<object>();
  async function* source(): AsyncGenerator<Buffer> {
    const iterator = body[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await iterator.next().catch((error: unknown) => {
          if (typeof error === 'object' && error !== null) sourceErrors.add(error);
          throw error;
        });
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await iterator.return?.();
    }
  }
  const elements = pipeline(Readable.from(source()), streamArray.withParserAsStream(), noop);
  let count = 0;
  try {
    for await (const { value } of elements as AsyncIterable<{ value: unknown }>) {
      yield JSON.stringify(value);
      count++;
    }
  } catch (error) {
    if (typeof error === 'object' && error !== null && sourceErrors.has(error)) throw error;
    throw new TaskError(
      'SubmissionUnreadable',
      `invalid JSON array at or after element ${count}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** NDJSON lines (LF or CRLF); a last line without a newline counts, a final newline adds no line. */
export async function* ndjsonLines(body: AsyncIterable<Buffer>): AsyncGenerator<string> {
  yield* createInterface({ input: Readable.from(body), crlfDelay: Infinity });
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
  { gzipped }: { gzipped: boolean },
): AsyncGenerator<string> {
  const peeked = await peekFirstByte(gzipped ? gunzip(body) : body);
  if (peeked.first === undefined) throw new TaskError('EmptySubmission', 'the file holds no events');
  const char = String.fromCharCode(peeked.first);
  const shown =
    peeked.first < 0x7f && peeked.first >= 0x20
      ? JSON.stringify(char)
      : `byte 0x${peeked.first.toString(16)}`;
  if (char === '[') {
    yield* jsonArrayLines(peeked.body);
  } else if (JSON_VALUE_START.test(char)) {
    yield* ndjsonLines(peeked.body);
  } else {
    throw new TaskError('SubmissionUnreadable', `expected NDJSON or a JSON array, found ${shown}`);
  }
}
