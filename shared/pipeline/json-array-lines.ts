/**
 * A JSON array's bytes → one compact JSON line per element, in bounded memory whatever the elements hold. The
 * streaming tokenizer of stream-json runs unpacked (strings, keys and numbers arrive in pieces, never whole) and
 * the line is written from the tokens, never from a parsed value, so nothing is stringified and no element is held
 * past `maxEventBytes`. An element that cannot be kept becomes a pre-rejected line (shared/pipeline/lines.ts):
 * larger than `maxEventBytes` compact, nested deeper than MAX_DOCUMENT_DEPTH (its too-deep part is skipped by a
 * bracket counter before the tokenizer sees it, so no parser stack grows with it), or holding invalid UTF-8.
 * Bytes outside elements that break the array (syntax, truncation, invalid UTF-8) throw SubmissionUnreadable.
 */
import { isUtf8 } from 'node:buffer';
import { jsonParser, type Token } from 'stream-json/parser.js';
import { MAX_DOCUMENT_DEPTH, MAX_REJECTION_ID_CHARS } from '../cloudevents/limits';
import { TaskError } from './errors';
import { rejectedLine } from './lines';
import { INVALID_UTF8_REASON, tooLargeReason } from './ndjson-lines';

export const TOO_DEEP_REASON = `event: nested deeper than ${MAX_DOCUMENT_DEPTH} levels`;

/** A problem found in the text before the tokenizer: it belongs to the element open at that point. */
interface Mark {
  reason: string;
}
type Piece = string | Mark;

const INVALID_UTF8: Mark = { reason: INVALID_UTF8_REASON };
const TOO_DEEP: Mark = { reason: TOO_DEEP_REASON };

/** Bytes at the end of `buffer` that start a multi-byte sequence whose other bytes are still to come. */
function incompleteTail(buffer: Buffer): number {
  for (let back = 1; back <= Math.min(3, buffer.length); back++) {
    const byte = buffer[buffer.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

/** Length of the well-formed UTF-8 sequence at `i`, or 0 when the byte there starts none. */
function sequenceLength(buffer: Buffer, i: number): number {
  const lead = buffer[i]!;
  if (lead < 0x80) return 1;
  let continuation: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) continuation = 1;
  else if (lead >= 0xe0 && lead <= 0xef) {
    continuation = 2;
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f; // no UTF-16 surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    continuation = 3;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
  } else return 0;
  if (i + continuation >= buffer.length) return 0;
  for (let k = 1; k <= continuation; k++) {
    const byte = buffer[i + k]!;
    if (byte < (k === 1 ? low : 0x80) || byte > (k === 1 ? high : 0xbf)) return 0;
  }
  return continuation + 1;
}

/** Decoded text, with a mark (then U+FFFD) where the bytes are not UTF-8. */
async function* utf8Pieces(body: AsyncIterable<Buffer>): AsyncGenerator<Piece> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    const data = carry.length > 0 ? Buffer.concat([carry, bytes]) : bytes;
    const end = data.length - incompleteTail(data);
    carry = data.subarray(end);
    const complete = data.subarray(0, end);
    if (isUtf8(complete)) {
      if (complete.length > 0) yield complete.toString('utf8');
      continue;
    }
    let run = 0;
    for (let i = 0; i < complete.length;) {
      const length = sequenceLength(complete, i);
      if (length > 0) {
        i += length;
        continue;
      }
      if (i > run) yield complete.toString('utf8', run, i);
      yield INVALID_UTF8;
      yield '\ufffd';
      run = ++i;
    }
    if (complete.length > run) yield complete.toString('utf8', run);
  }
  if (carry.length > 0) {
    yield INVALID_UTF8;
    yield '\ufffd';
  }
}

const STRUCTURE = /["[\]{}]/g;
const STRING_SPECIAL = /["\\]/g;

/**
 * Passes the text through, except a value that would nest deeper than `maxDepth` (counting the top-level array):
 * it is replaced by `0` after a TOO_DEEP mark, so the tokenizer sees a valid, shallower document.
 */
async function* limitDepth(pieces: AsyncIterable<Piece>, maxDepth: number): AsyncGenerator<Piece> {
  let depth = 0;
  let skipping = 0; // open brackets of the value being skipped
  let inString = false;
  let escaped = false;
  for await (const piece of pieces) {
    if (typeof piece !== 'string') {
      yield piece;
      continue;
    }
    let from = skipping > 0 ? -1 : 0; // start of the text to pass on, -1 while skipping
    let i = 0;
    while (i < piece.length) {
      if (escaped) {
        escaped = false;
        i++;
        continue;
      }
      const pattern = inString ? STRING_SPECIAL : STRUCTURE;
      pattern.lastIndex = i;
      const found = pattern.exec(piece);
      if (!found) break;
      const at = found.index;
      i = at + 1;
      const char = piece[at];
      if (char === '\\') escaped = true;
      else if (char === '"') inString = !inString;
      else if (char === '[' || char === '{') {
        if (skipping > 0) skipping++;
        else if (depth + 1 > maxDepth) {
          if (at > from) yield piece.slice(from, at);
          yield TOO_DEEP;
          yield '0';
          skipping = 1;
          from = -1;
        } else depth++;
      } else if (skipping > 0) {
        if (--skipping === 0) from = at + 1;
      } else depth--;
    }
    if (from >= 0 && from < piece.length) yield piece.slice(from);
  }
}

const escapedChars = (chunk: string): string => JSON.stringify(chunk).slice(1, -1);

/** Turns the tokens of the top-level array into one compact line per element. */
class ElementLines {
  elements = 0;
  closed = false;
  private started = false;
  /** Per open container of the current element: whether it already has a member (so needs a comma). */
  private containers: boolean[] = [];
  private afterKey = false;
  private inElement = false;
  private parts: string[] = [];
  private bytes = 0;
  private problem: string | undefined;
  /** The element's top-level `id` string as it streams by, so a rejected element still names its event. */
  private key: string[] | undefined;
  private idNext = false;
  private id: string[] | undefined;
  private idChars = 0;
  private capturedId: string | undefined;

  constructor(private readonly maxEventBytes: number) {}

  mark(reason: string): void {
    if (this.inElement) this.reject(reason);
  }

  /** The finished element's line, if this token finished one. */
  token(token: Token): string | undefined {
    if (!this.started) {
      if (token.name !== 'startArray') throw new Error('the top level is not an array');
      this.started = true;
      return undefined;
    }
    switch (token.name) {
      case 'startObject':
      case 'startArray':
        this.beginValue();
        this.write(token.name === 'startObject' ? '{' : '[');
        this.containers.push(false);
        return undefined;
      case 'endObject':
      case 'endArray':
        if (this.containers.length === 0) {
          this.closed = true;
          return undefined;
        }
        this.write(token.name === 'endObject' ? '}' : ']');
        this.containers.pop();
        return this.endValue();
      case 'startKey': {
        const top = this.containers.length - 1;
        if (this.containers.length === 1) this.key = [];
        if (this.containers[top]) this.write(',');
        this.containers[top] = true;
        this.write('"');
        return undefined;
      }
      case 'endKey':
        this.idNext = this.key?.join('') === 'id';
        this.key = undefined;
        this.write('":');
        this.afterKey = true;
        return undefined;
      case 'startString':
        if (this.idNext && this.containers.length === 1) this.id = [];
        this.beginValue();
        this.write('"');
        return undefined;
      case 'stringChunk':
        if (this.key) this.key.push(token.value.slice(0, 3)); // only ever compared with 'id'
        this.captureId(token.value);
        this.write(escapedChars(token.value));
        return undefined;
      case 'endString':
        if (this.id && this.containers.length === 1 && this.idNext) {
          this.capturedId = this.id.join('');
          this.id = undefined;
          this.idNext = false;
        }
        this.write('"');
        return this.endValue();
      case 'startNumber':
        this.beginValue();
        return undefined;
      case 'numberChunk':
        this.write(token.value);
        return undefined;
      case 'endNumber':
        return this.endValue();
      case 'nullValue':
      case 'trueValue':
      case 'falseValue':
        this.beginValue();
        this.write(String(token.value));
        return this.endValue();
      default:
        return undefined;
    }
  }

  /** Enough of the id for the rejection to show it (cut at MAX_REJECTION_ID_CHARS, marked as cut). */
  private captureId(chunk: string): void {
    if (!this.id || this.idChars > MAX_REJECTION_ID_CHARS) return;
    this.id.push(chunk);
    this.idChars += chunk.length;
  }

  private beginValue(): void {
    if (this.containers.length === 1 && !(this.id && this.idNext)) this.idNext = false;
    if (this.afterKey) {
      this.afterKey = false;
      return;
    }
    const top = this.containers.length - 1;
    if (top < 0) {
      this.inElement = true;
      return;
    }
    if (this.containers[top]) this.write(',');
    this.containers[top] = true;
  }

  private endValue(): string | undefined {
    if (this.containers.length > 0) return undefined;
    const id = this.capturedId;
    const line = this.problem === undefined ? this.parts.join('') : rejectedLine(this.problem, id);
    this.inElement = false;
    this.idNext = false;
    this.id = undefined;
    this.capturedId = undefined;
    this.idChars = 0;
    this.parts = [];
    this.bytes = 0;
    this.problem = undefined;
    this.elements++;
    return line;
  }

  private write(text: string): void {
    if (this.problem !== undefined) return;
    this.bytes += Buffer.byteLength(text, 'utf8');
    if (this.bytes > this.maxEventBytes) this.reject(tooLargeReason(this.maxEventBytes));
    else this.parts.push(text);
  }

  private reject(reason: string): void {
    if (this.problem !== undefined) return;
    this.problem = reason;
    this.parts = [];
  }
}

const tokensOf = (out: unknown): Token[] =>
  typeof out === 'object' && out !== null && 'values' in out ? (out as { values: Token[] }).values : [];

/** Elements of a JSON array, each on one line (compact JSON, or a pre-rejected line). */
export async function* jsonArrayLines(
  body: AsyncIterable<Buffer>,
  { maxEventBytes }: { maxEventBytes: number },
): AsyncGenerator<string> {
  const parse = jsonParser({ packValues: false });
  const elements = new ElementLines(maxEventBytes);
  // Errors of the bytes' source (network, gzip, size cap) pass through; the tokenizer's mean the array is broken.
  const broken = (error: unknown) =>
    new TaskError(
      'SubmissionUnreadable',
      `invalid JSON array at or after element ${elements.elements}: ${(error as Error).message}`,
      { cause: error },
    );
  for await (const piece of limitDepth(utf8Pieces(body), MAX_DOCUMENT_DEPTH + 1)) {
    if (typeof piece !== 'string') {
      elements.mark(piece.reason);
      continue;
    }
    const lines: string[] = [];
    try {
      for (const token of tokensOf(parse(piece))) {
        const line = elements.token(token);
        if (line !== undefined) lines.push(line);
      }
    } catch (error) {
      throw broken(error);
    }
    yield* lines;
  }
  if (!elements.closed) throw broken(new Error('unexpected end of input'));
}
