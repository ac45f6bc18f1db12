import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { MAX_ATTRIBUTE_BYTES, wellFormedBytes } from '../cloudevents/limits';
import { normalizeTimestamp } from '../cloudevents/timestamp';
import { ApiError } from './errors';

/** The caller's tenant: the `sub` claim the Cognito JWT authorizer verified. */
export function tenantOf(event: APIGatewayProxyEventV2WithJWTAuthorizer): string {
  const sub = event.requestContext?.authorizer?.jwt?.claims?.sub;
  if (typeof sub !== 'string' || sub === '')
    throw new ApiError(401, 'Unauthorized', 'No authenticated caller');
  return sub;
}

export function parseLimit(
  raw: string | undefined,
  {
    min = 1,
    max = 100,
    fallback = 20,
    name = 'limit',
  }: { min?: number; max?: number; fallback?: number; name?: string } = {},
): number {
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    throw new ApiError(400, 'InvalidRequest', `${name} must be an integer from ${min} to ${max}`, [
      { parameter: name, value: echoed(raw) },
    ]);
  }
  return value;
}

/** A parameter's value as the error details repeat it: at most 100 characters. */
const echoed = (raw: string): string => (raw.length > 100 ? `${raw.slice(0, 100)}…` : raw);

/** An opaque page cursor: base64url of DynamoDB's LastEvaluatedKey. */
export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Longer than any cursor we hand out (a gsi1 key: two partition keys and two sort keys, base64url). */
export const MAX_CURSOR_CHARS = 8_192;
/** DynamoDB's limits on one key attribute, in bytes of UTF-8. */
export const MAX_PARTITION_KEY_BYTES = 2_048;
export const MAX_SORT_KEY_BYTES = 1_024;

const invalidCursor = (reason: string) =>
  new ApiError(400, 'InvalidCursor', 'cursor is not valid for this request', [
    { parameter: 'cursor', reason },
  ]);

/**
 * The key a cursor encodes, or undefined without a cursor (an empty `cursor=` counts as none). A cursor that
 * is not ours (over MAX_CURSOR_CHARS, not base64url JSON, other key names, non-scalar values, or a `fixed`
 * value that differs, such as another tenant's partition) → 400 InvalidCursor.
 */
export function decodeCursor(
  cursor: string | undefined,
  expectedKeys: string[],
  fixed: Record<string, string | number> = {},
): Record<string, unknown> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (cursor.length > MAX_CURSOR_CHARS) throw invalidCursor(`longer than ${MAX_CURSOR_CHARS} characters`);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalidCursor('not base64url');
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor('not base64url JSON');
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw invalidCursor('not a key');
  const record = key as Record<string, unknown>;
  const names = Object.keys(record).sort();
  const expected = [...expectedKeys].sort();
  if (names.length !== expected.length || names.some((n, i) => n !== expected[i])) {
    throw invalidCursor(`must hold exactly ${expected.join(', ')}`);
  }
  for (const [name, value] of Object.entries(record)) {
    if (typeof value !== 'string' && typeof value !== 'number') throw invalidCursor(`${name}: not a scalar`);
  }
  for (const [name, value] of Object.entries(fixed)) {
    if (record[name] !== value) throw invalidCursor(`${name}: belongs to another listing`);
  }
  return record;
}

/** How one attribute of a DynamoDB key in a cursor must look: exactly this string, or a string of a shape. */
export type KeyField = string | { pattern: RegExp; maxBytes: number };

/**
 * A DynamoDB key cursor, checked for kind, type and bounds before it reaches DynamoDB (which answers a
 * ValidationException, a 500, for a key of another type, one over its size limit, or one outside the
 * query's key condition): every attribute must be a well-formed string, equal to its fixed value or of its
 * shape (the sort key prefix of this item kind) and within its byte limit. Anything else → 400 InvalidCursor.
 */
export function decodeKeyCursor(
  cursor: string | undefined,
  shape: Record<string, KeyField>,
): Record<string, string> | undefined {
  const key = decodeCursor(cursor, Object.keys(shape));
  if (key === undefined) return undefined;
  for (const [name, field] of Object.entries(shape)) {
    const value = key[name];
    if (typeof value !== 'string') throw invalidCursor(`${name}: must be a string`);
    if (typeof field === 'string') {
      if (value !== field) throw invalidCursor(`${name}: belongs to another listing`);
      continue;
    }
    const bytes = wellFormedBytes(value);
    if (bytes === undefined) throw invalidCursor(`${name}: not well-formed UTF-16`);
    if (bytes > field.maxBytes) throw invalidCursor(`${name}: longer than ${field.maxBytes} bytes`);
    if (!field.pattern.test(value)) throw invalidCursor(`${name}: not a key of this listing`);
  }
  return key as Record<string, string>;
}

/**
 * A path or query parameter that becomes part of a key or is compared with an event attribute: well-formed
 * UTF-16 and at most `maxBytes` of UTF-8, else 400 InvalidRequest naming the parameter.
 */
export function checkParam(name: string, value: string, maxBytes = MAX_ATTRIBUTE_BYTES): string {
  const bytes = wellFormedBytes(value);
  if (bytes === undefined) {
    throw new ApiError(400, 'InvalidRequest', `${name} must be well-formed UTF-16 (no lone surrogates)`, [
      { parameter: name, reason: 'not well-formed UTF-16' },
    ]);
  }
  if (bytes > maxBytes) {
    throw new ApiError(400, 'InvalidRequest', `${name} must be at most ${maxBytes} bytes of UTF-8`, [
      { parameter: name, limit: maxBytes, size: bytes },
    ]);
  }
  return value;
}

/**
 * An RFC 3339 query parameter as normalized UTC ISO. A `+` offset that arrived as a space (an unencoded `+`
 * in a query string) is read as `+`.
 */
export function parseTimeParam(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const normalized = normalizeTimestamp(raw.replace(/ (\d{2}:\d{2})$/, '+$1'));
  if (normalized === null) {
    throw new ApiError(
      400,
      'InvalidRequest',
      `${name} must be an RFC 3339 timestamp, e.g. 2024-05-01T12:00:00Z`,
      [{ parameter: name, value: echoed(raw) }],
    );
  }
  return normalized;
}

/** A header's value, whatever the case of its name. */
export function headerValue(
  headers: Record<string, string | undefined> | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** decodeURIComponent that reports failure (a bad `%` escape, or escapes that are not UTF-8) instead of throwing. */
function strictlyDecodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The request's path and query string as sent must percent-decode to UTF-8: API Gateway (and URLSearchParams)
 * would otherwise hand the handler the escapes as sent or U+FFFD in their place, and a lookup would answer 404
 * for a value no client could have stored. → 400 InvalidRequest naming the part.
 */
export function checkRawEncoding(
  rawPath: string | undefined,
  rawQueryString: string | undefined,
  pathParameters: Record<string, string | undefined> = {},
): void {
  if (rawPath !== undefined && !strictlyDecodes(rawPath)) {
    // A segment that does not decode reaches the handler as sent: that names the parameter.
    const [name = 'path'] =
      Object.entries(pathParameters).find(([, value]) => value !== undefined && !strictlyDecodes(value)) ??
      [];
    throw new ApiError(400, 'InvalidRequest', `${name} is not valid percent-encoded UTF-8`, [
      { parameter: name, reason: 'not valid percent-encoded UTF-8' },
    ]);
  }
  for (const pair of (rawQueryString ?? '').split('&')) {
    const [name = '', value = ''] = pair.split('=', 2);
    if (strictlyDecodes(name.replace(/\+/g, ' ')) && strictlyDecodes(value.replace(/\+/g, ' '))) continue;
    const shown = strictlyDecodes(name) ? decodeURIComponent(name).slice(0, 100) : name.slice(0, 100);
    const code = shown === 'cursor' ? 'InvalidCursor' : 'InvalidRequest';
    throw new ApiError(400, code, `query parameter ${shown} is not valid percent-encoded UTF-8`, [
      { parameter: shown, reason: 'not valid percent-encoded UTF-8' },
    ]);
  }
}
