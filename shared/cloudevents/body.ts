/** Request bodies as text and JSON, with the errors the API answers (400 InvalidJson, 415). */
import { TextDecoder } from 'node:util';
import { jsonVerifier, type VerifierError } from 'stream-json/core/utils/verifier.js';
import { ApiError } from '../http/errors';
import type { MediaType } from './media-type';

/** stream-chain's end-of-input marker (a registered symbol, so no import of that transitive package). */
const FLUSH = Symbol.for('object-stream.none');

const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/** A UTF-8 JSON body; 400 InvalidJson with the parser's message and where it failed. */
export function parseJsonBody(body: Buffer, contentType: MediaType | undefined): unknown {
  const charset = contentType?.params.charset?.toLowerCase();
  if (charset !== undefined && !UTF8_CHARSETS.has(charset)) {
    throw unsupported(`charset ${charset} is not supported for JSON: send UTF-8`);
  }
  const text = decodeText(body, 'utf-8');
  if (text === undefined) throw new ApiError(400, 'InvalidJson', 'Request body is not valid UTF-8');
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    throw new ApiError(400, 'InvalidJson', `Request body is not valid JSON: ${message}`, [
      { message, ...jsonErrorPosition(text) },
    ]);
  }
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

const unsupported = (message: string) => new ApiError(415, 'UnsupportedMediaType', message);
