/** Request bodies as text and JSON, with the errors the API answers (400 InvalidJson, 415). */
import { TextDecoder } from 'node:util';
import { jsonVerifier, type VerifierError } from 'stream-json/core/utils/verifier.js';
import { ApiError } from '../http/errors';
import { jsonDepth, MAX_DOCUMENT_DEPTH, nonFinitePointer } from './limits';
import type { MediaType } from './media-type';

/** stream-chain's end-of-input marker (a registered symbol, so no import of that transitive package). */
const FLUSH = Symbol.for('object-stream.none');

const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/**
 * A UTF-8 JSON body; 400 InvalidJson with the parser's message and where it failed. A body nested deeper than
 * MAX_DOCUMENT_DEPTH is refused here, before anything serializes it (JSON.parse copes with any depth,
 * JSON.stringify overflows the stack).
 */
export function parseJsonBody(body: Buffer, contentType: MediaType | undefined): unknown {
  const charset = contentType?.params.charset?.toLowerCase();
  if (charset !== undefined && !UTF8_CHARSETS.has(charset)) {
    throw unsupported(`charset ${charset} is not supported for JSON: send UTF-8`);
  }
  return parseJsonText(body);
}

/**
 * Bodies are read as sent: API Gateway passes a `Content-Encoding` through without decoding it, so a gzip body
 * would be "not valid JSON" with its compressed bytes in the message. Anything but `identity` is refused with
 * 415, as RFC 9110 section 15.5.16 says for an unsupported content coding.
 */
export function checkContentEncoding(value: string | undefined): void {
  const codings = (value ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0) return;
  const shown = codings.join(', ').slice(0, 100);
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `Content-Encoding ${shown} is not supported: send the body uncompressed`,
    [{ header: 'content-encoding' }],
  );
}

/**
 * Strict UTF-8, JSON, at most MAX_DOCUMENT_DEPTH levels deep and every number within a double's range; every
 * failure a 400 InvalidJson.
 */
export function parseJsonText(body: Buffer): unknown {
  const text = decodeText(body, 'utf-8');
  if (text === undefined) {
    throw new ApiError(400, 'InvalidJson', 'Request body is not valid UTF-8', [
      { position: firstInvalidUtf8(body) },
    ]);
  }
  if (text.trim() === '') throw new ApiError(400, 'InvalidJson', 'Request body is empty: send JSON');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    throw new ApiError(400, 'InvalidJson', `Request body is not valid JSON: ${message}`, [
      { message, ...jsonErrorPosition(text) },
    ]);
  }
  if (jsonDepth(value, MAX_DOCUMENT_DEPTH) > MAX_DOCUMENT_DEPTH) {
    throw new ApiError(
      400,
      'InvalidJson',
      `Request body is nested deeper than ${MAX_DOCUMENT_DEPTH} levels`,
      [{ limit: MAX_DOCUMENT_DEPTH, pointer: pointerBelow(value, MAX_DOCUMENT_DEPTH) }],
    );
  }
  // RFC 8259 section 6 lets a parser limit the range of numbers: past a double's, JSON.parse gives ±Infinity,
  // which would be stored as null. Refused here like the depth limit, with where it is.
  const pointer = nonFinitePointer(value);
  if (pointer !== undefined) {
    throw new ApiError(
      400,
      'InvalidJson',
      'Request body holds a number outside the range of a double (IEEE 754 binary64): it cannot be kept as sent',
      [{ pointer }],
    );
  }
  return value;
}

/**
 * The JSON Pointer (RFC 6901) of the first value found more than `depth` levels down, so the error says where
 * the nesting goes too deep; iterative, like jsonDepth.
 */
export function pointerBelow(value: unknown, depth: number): string {
  interface Step {
    value: unknown;
    depth: number;
    parent: Step | undefined;
    token: string;
  }
  const stack: Step[] = [{ value, depth: 0, parent: undefined, token: '' }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    if (typeof step.value !== 'object' || step.value === null) continue;
    if (step.depth >= depth) {
      const tokens: string[] = [];
      for (let s: Step | undefined = step; s?.parent; s = s.parent) tokens.push(s.token);
      return tokens
        .reverse()
        .map((t) => '/' + t.replace(/~/g, '~0').replace(/\//g, '~1'))
        .join('');
    }
    for (const [token, child] of Object.entries(step.value)) {
      if (typeof child === 'object' && child !== null)
        stack.push({ value: child, depth: step.depth + 1, parent: step, token });
    }
  }
  return '';
}

/** The byte offset of the first byte that does not start a valid UTF-8 sequence (for the error's details). */
function firstInvalidUtf8(body: Buffer): number {
  const lossy = body.toString('utf8');
  let offset = 0;
  let counted = 0;
  for (let i = lossy.indexOf('\uFFFD'); i !== -1; i = lossy.indexOf('\uFFFD', i + 1)) {
    offset += Buffer.byteLength(lossy.slice(counted, i));
    counted = i;
    // A U+FFFD the client really sent is EF BF BD; anything else is where decoding failed.
    if (body[offset] !== 0xef || body[offset + 1] !== 0xbf || body[offset + 2] !== 0xbd) return offset;
  }
  return body.byteLength;
}

/** JSON.parse often omits where it failed; stream-json's verifier pinpoints it (only run on failure). */
function jsonErrorPosition(text: string): { position?: number; line?: number; column?: number } {
  const verify = jsonVerifier();
  try {
    verify(text);
    (verify as (input: unknown) => unknown)(FLUSH);
  } catch (err) {
    const { offset, line, pos } = err as VerifierError;
    if (Number.isInteger(offset)) return { position: offset, line, column: pos };
  }
  return {};
}

/** Strict decoding (a BOM is dropped); undefined when the bytes are not valid in that charset. */
export function decodeText(body: Buffer, charset: string): string | undefined {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true });
  } catch {
    throw unsupported(`charset ${charset} is not supported`);
  }
  try {
    return decoder.decode(body);
  } catch {
    return undefined;
  }
}

const unsupported = (message: string) =>
  new ApiError(415, 'UnsupportedMediaType', message, [{ header: 'content-type', parameter: 'charset' }]);
