import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
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
      { parameter: name, value: raw },
    ]);
  }
  return value;
}

/** An opaque page cursor: base64url of DynamoDB's LastEvaluatedKey. */
export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The key a cursor encodes, or undefined without a cursor (an empty `cursor=` counts as none). A cursor that
 * is not ours (not base64url JSON, other key names, non-scalar values, or a `fixed` value that differs, such
 * as another tenant's partition) → 400 InvalidCursor.
 */
export function decodeCursor(
  cursor: string | undefined,
  expectedKeys: string[],
  fixed: Record<string, string | number> = {},
): Record<string, unknown> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const invalid = () => new ApiError(400, 'InvalidCursor', 'cursor is not valid for this request');
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw invalid();
  const record = key as Record<string, unknown>;
  const names = Object.keys(record).sort();
  const expected = [...expectedKeys].sort();
  const sameNames = names.length === expected.length && names.every((n, i) => n === expected[i]);
  const scalars = Object.values(record).every((v) => typeof v === 'string' || typeof v === 'number');
  const pinned = Object.entries(fixed).every(([n, v]) => record[n] === v);
  if (!sameNames || !scalars || !pinned) throw invalid();
  return record;
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
      [{ parameter: name, value: raw }],
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
