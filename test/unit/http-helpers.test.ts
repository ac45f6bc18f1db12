import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ApiError, errorBody } from '../../shared/http/errors';
import {
  checkRawEncoding,
  decodeCursor,
  encodeCursor,
  headerValue,
  parseLimit,
  parseTimeParam,
  tenantOf,
} from '../../shared/http/request';
import { errorResponse, json } from '../../shared/http/responses';

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('errors and responses', () => {
  it('ApiError carries status, code, message and details', () => {
    const err = new ApiError(404, 'NotFound', 'no such job', [{ jobId: 'x' }]);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'ApiError', status: 404, code: 'NotFound', message: 'no such job' });
    expect(err.details).toEqual([{ jobId: 'x' }]);
    expect(new ApiError(400, 'InvalidRequest', 'm').details).toEqual([]);
  });

  it('errorBody has the documented shape, details defaulting to []', () => {
    expect(errorBody('NotFound', 'gone')).toEqual({
      error: { code: 'NotFound', message: 'gone', details: [] },
    });
    expect(errorBody('X', 'y', [1])).toEqual({ error: { code: 'X', message: 'y', details: [1] } });
  });

  it('json sets the status, a JSON content type, extra headers and the serialized body', () => {
    const res = json(202, { jobId: 'j' }, { location: '/jobs/j' });
    expect(res).toEqual({
      statusCode: 202,
      headers: { 'content-type': 'application/json', location: '/jobs/j' },
      body: '{"jobId":"j"}',
    });
  });

  it('errorResponse renders an ApiError with its own status and body', () => {
    const res = errorResponse(new ApiError(413, 'TooManyEvents', 'too many', [{ limit: 2 }]));
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body as string)).toEqual({
      error: { code: 'TooManyEvents', message: 'too many', details: [{ limit: 2 }] },
    });
  });

  it('errorResponse hides anything else behind a generic 500', () => {
    const res = errorResponse(new Error('ECONNREFUSED 10.0.0.1:8000 secret-table'));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret-table');
    expect(JSON.parse(res.body as string).error.code).toBe('InternalError');
    expect(errorResponse('a string').statusCode).toBe(500);
  });
});

describe('tenantOf', () => {
  const withClaims = (claims: Record<string, unknown> | undefined) =>
    ({
      requestContext: { authorizer: claims ? { jwt: { claims, scopes: [] } } : undefined },
    }) as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;

  it('returns the sub claim', () => {
    expect(tenantOf(withClaims({ sub: 'user-123', email: 'a@b.c' }))).toBe('user-123');
  });

  it.each([
    ['no authorizer', undefined],
    ['no sub', { email: 'a@b.c' }],
    ['empty sub', { sub: '' }],
  ])('401 Unauthorized with %s', (_label, claims) => {
    expect(thrown(() => tenantOf(withClaims(claims)))).toMatchObject({ status: 401, code: 'Unauthorized' });
  });
});

describe('parseLimit', () => {
  it('defaults to 20 and accepts 1..100', () => {
    expect(parseLimit(undefined)).toBe(20);
    expect(parseLimit('')).toBe(20);
    expect(parseLimit('1')).toBe(1);
    expect(parseLimit('100')).toBe(100);
  });

  it('honours custom bounds and fallback', () => {
    expect(parseLimit(undefined, { fallback: 5 })).toBe(5);
    expect(parseLimit('500', { max: 1000 })).toBe(500);
  });

  it.each(['0', '101', '-1', '1.5', 'ten', '1e2', ' 5'])('400 InvalidRequest naming limit for %j', (raw) => {
    const err = thrown(() => parseLimit(raw));
    expect(err).toMatchObject({ status: 400, code: 'InvalidRequest' });
    expect(err.message).toContain('limit');
    expect(err.details).toEqual([{ parameter: 'limit', value: raw }]);
  });
});

describe('cursors', () => {
  const key = { pk: 'TENANT#t1', sk: 'JOB#01HX' };

  it('round-trips a key as URL-safe text', () => {
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, ['sk', 'pk'])).toEqual(key);
  });

  it('no cursor means the first page', () => {
    expect(decodeCursor(undefined, ['pk', 'sk'])).toBeUndefined();
    expect(decodeCursor('', ['pk', 'sk'])).toBeUndefined();
  });

  it('accepts a cursor whose pinned values match', () => {
    expect(decodeCursor(encodeCursor(key), ['pk', 'sk'], { pk: 'TENANT#t1' })).toEqual(key);
  });

  const b64 = (text: string) => Buffer.from(text).toString('base64url');
  it.each([
    ['not base64url', 'abc+/='],
    ['not JSON', b64('{pk:')],
    ['a JSON array', b64('["pk","sk"]')],
    ['a JSON string', b64('"pk"')],
    ['a missing key', encodeCursor({ pk: 'TENANT#t1' })],
    ['an extra key', encodeCursor({ ...key, gsi1pk: 'x' })],
    ['a non-scalar value', encodeCursor({ pk: { S: 'x' }, sk: 'JOB#1' })],
  ])('400 InvalidCursor for %s', (_label, cursor) => {
    expect(thrown(() => decodeCursor(cursor, ['pk', 'sk']))).toMatchObject({
      status: 400,
      code: 'InvalidCursor',
    });
  });

  it("400 InvalidCursor for another tenant's partition", () => {
    const other = encodeCursor({ pk: 'TENANT#t2', sk: 'JOB#01HX' });
    expect(thrown(() => decodeCursor(other, ['pk', 'sk'], { pk: 'TENANT#t1' }))).toMatchObject({
      code: 'InvalidCursor',
    });
  });
});

describe('parseTimeParam', () => {
  it('normalizes RFC 3339 to UTC ISO with milliseconds', () => {
    expect(parseTimeParam('since', '2024-05-01T12:00:00Z')).toBe('2024-05-01T12:00:00.000Z');
    expect(parseTimeParam('since', '2024-05-01T14:30:00.123456+02:30')).toBe('2024-05-01T12:00:00.123Z');
  });

  it('reads an unencoded + offset that arrived as a space', () => {
    expect(parseTimeParam('until', '2024-05-01T14:00:00 02:00')).toBe('2024-05-01T12:00:00.000Z');
  });

  it('absent → undefined', () => {
    expect(parseTimeParam('since', undefined)).toBeUndefined();
  });

  it.each(['yesterday', '2024-05-01', '2024-13-01T00:00:00Z', '2024-05-01T12:00Z'])(
    '400 naming the parameter for %j',
    (raw) => {
      const err = thrown(() => parseTimeParam('since', raw));
      expect(err).toMatchObject({ status: 400, code: 'InvalidRequest' });
      expect(err.message).toMatch(/^since /);
    },
  );
});

describe('headerValue', () => {
  it('finds a header whatever its case', () => {
    const headers = { 'Content-Type': 'application/json', 'ce-id': '1' };
    expect(headerValue(headers, 'content-type')).toBe('application/json');
    expect(headerValue(headers, 'CE-ID')).toBe('1');
    expect(headerValue(headers, 'x-missing')).toBeUndefined();
    expect(headerValue(undefined, 'content-type')).toBeUndefined();
  });
});

describe('checkRawEncoding', () => {
  const refused = (run: () => void) => {
    try {
      run();
    } catch (error) {
      const e = error as ApiError;
      return { status: e.status, code: e.code, details: e.details };
    }
    throw new Error('expected a refusal');
  };

  it('passes well-formed escapes, plus signs and an empty query', () => {
    expect(() => checkRawEncoding('/events/a%20b%C3%A9', 'source=x%2Fy&type=a+b&limit=5')).not.toThrow();
    expect(() => checkRawEncoding('/jobs', '')).not.toThrow();
    expect(() => checkRawEncoding('/jobs', undefined)).not.toThrow();
  });

  it('names the path parameter whose escapes are not UTF-8', () => {
    expect(refused(() => checkRawEncoding('/events/%ED%A0%80', '', { id: '%ED%A0%80' }))).toEqual({
      status: 400,
      code: 'InvalidRequest',
      details: [{ parameter: 'id', reason: 'not valid percent-encoded UTF-8' }],
    });
    expect(refused(() => checkRawEncoding('/events/%zz', '')).details).toEqual([
      { parameter: 'path', reason: 'not valid percent-encoded UTF-8' },
    ]);
  });

  it('names the query parameter, and a bad cursor is InvalidCursor', () => {
    expect(refused(() => checkRawEncoding('/events/a', 'source=%ED%A0%80'))).toMatchObject({
      code: 'InvalidRequest',
      details: [{ parameter: 'source' }],
    });
    expect(refused(() => checkRawEncoding('/jobs', 'limit=1&cursor=%E0%80'))).toMatchObject({
      code: 'InvalidCursor',
      details: [{ parameter: 'cursor' }],
    });
    expect(refused(() => checkRawEncoding('/jobs', '%FF=1')).code).toBe('InvalidRequest');
  });
});
