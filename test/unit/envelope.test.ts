import { describe, expect, it } from 'vitest';
import { checkEnvelope, eventKey, parseEventLine, sortTime } from '../../shared/cloudevents/envelope';
import type { CloudEvent } from '../../shared/cloudevents/types';

const limits = { maxEventBytes: 262144 };
const minimal = { specversion: '1.0', id: 'e-1', source: 'https://example.com/src', type: 'com.example.t' };

const reasonFor = (candidate: unknown) => {
  const result = checkEnvelope(candidate, limits);
  return result.ok ? null : result.reason;
};

describe('checkEnvelope accepts', () => {
  it('a minimal event, keeping it and its key order exactly as sent', () => {
    const sent = {
      type: 'com.example.t',
      id: 'e-1',
      specversion: '1.0',
      source: '/s',
      myext: 'x',
      data: { b: 1, a: 2 },
    };
    const result = checkEnvelope(sent, limits);
    expect(result).toEqual({ ok: true, event: sent, serialized: JSON.stringify(sent) });
  });

  it.each([
    ['a relative source', { source: '#fragment' }],
    ['a URN source', { source: 'urn:event:from:myapi' }],
    ['null optional attributes', { time: null, subject: null, datacontenttype: null, dataschema: null }],
    [
      'every optional core attribute',
      {
        time: '2018-04-05T17:31:00Z',
        subject: 's',
        datacontenttype: 'text/plain',
        dataschema: 'https://x.io/s',
      },
    ],
    ['data_base64', { data_base64: 'TWE=' }],
    ['data: null next to data_base64', { data: null, data_base64: '' }],
    ['typed extensions', { extint: -2147483648, extbool: false, extstr: '', extnull: null }],
    ['a long extension name (only a SHOULD)', { averyveryverylongextensionname: 1 }],
  ])('%s', (_label, extra) => {
    expect(reasonFor({ ...minimal, ...extra })).toBeNull();
  });
});

describe('checkEnvelope rejects, naming the attribute', () => {
  it.each([
    ['event: must be a JSON object', 'not an object'],
    ['event: must be a JSON object', null],
    ['event: must be a JSON object', [minimal]],
    ['specversion: required', { ...minimal, specversion: undefined }],
    ['specversion: required', { ...minimal, specversion: null }],
    ['specversion: must be "1.0"', { ...minimal, specversion: '0.3' }],
    ['specversion: must be "1.0"', { ...minimal, specversion: 1 }],
    ['id: required', { ...minimal, id: undefined }],
    ['id: must be a non-empty string', { ...minimal, id: '' }],
    ['id: must be a non-empty string', { ...minimal, id: 7 }],
    ['source: required', { ...minimal, source: undefined }],
    ['source: must be a non-empty URI-reference', { ...minimal, source: '' }],
    ['source: must be a non-empty URI-reference', { ...minimal, source: 'has space' }],
    ['source: must be a non-empty URI-reference', { ...minimal, source: 42 }],
    ['type: required', { ...minimal, type: undefined }],
    ['type: must be a non-empty string', { ...minimal, type: '' }],
    ['type: must be a non-empty string', { ...minimal, type: ['t'] }],
    ['datacontenttype: must be a string (RFC 2046 media type)', { ...minimal, datacontenttype: 'json' }],
    ['datacontenttype: must be a string (RFC 2046 media type)', { ...minimal, datacontenttype: 5 }],
    ['dataschema: must be an absolute URI', { ...minimal, dataschema: '/relative/schema' }],
    ['dataschema: must be an absolute URI', { ...minimal, dataschema: '' }],
    ['subject: must be a non-empty string', { ...minimal, subject: '' }],
    ['subject: must be a non-empty string', { ...minimal, subject: 3 }],
    ['time: must be an RFC 3339 timestamp with seconds', { ...minimal, time: 'yesterday' }],
    ['time: must be an RFC 3339 timestamp with seconds', { ...minimal, time: 1712345678 }],
    ['data: data and data_base64 are mutually exclusive', { ...minimal, data: 'x', data_base64: 'eA==' }],
    ['data_base64: must be base64', { ...minimal, data_base64: 'not base64!' }],
    ['data_base64: must be base64', { ...minimal, data_base64: 'TWE' }],
    ['data_base64: must be base64', { ...minimal, data_base64: { b: 1 } }],
    ['MyExt: extension attribute names must be lowercase a-z0-9', { ...minimal, MyExt: 'x' }],
    ['my_ext: extension attribute names must be lowercase a-z0-9', { ...minimal, my_ext: 'x' }],
    [
      'myext: extension attribute values must be a string, a boolean or a 32-bit integer',
      { ...minimal, myext: 1.5 },
    ],
    [
      'myext: extension attribute values must be a string, a boolean or a 32-bit integer',
      { ...minimal, myext: 2 ** 31 },
    ],
    [
      'myext: extension attribute values must be a string, a boolean or a 32-bit integer',
      { ...minimal, myext: { a: 1 } },
    ],
    [
      'myext: extension attribute values must be a string, a boolean or a 32-bit integer',
      { ...minimal, myext: [1] },
    ],
  ])('%s', (reason, candidate) => {
    expect(reasonFor(candidate)).toBe(reason);
  });

  it('reports the id when it is a string, else null', () => {
    expect(checkEnvelope({ ...minimal, specversion: '0.3' }, limits)).toEqual({
      ok: false,
      id: 'e-1',
      reason: 'specversion: must be "1.0"',
    });
    expect(checkEnvelope({ ...minimal, id: 25 }, limits)).toMatchObject({ ok: false, id: null });
  });

  it('an event over maxEventBytes serialized (UTF-8 bytes); exactly the limit is fine', () => {
    const event = { ...minimal, data: 'é'.repeat(100) };
    const bytes = Buffer.byteLength(JSON.stringify(event));
    expect(checkEnvelope(event, { maxEventBytes: bytes }).ok).toBe(true);
    expect(checkEnvelope(event, { maxEventBytes: bytes - 1 })).toEqual({
      ok: false,
      id: 'e-1',
      reason: `event: larger than ${bytes - 1} bytes serialized`,
    });
  });
});

describe('parseEventLine', () => {
  it('parses and checks one NDJSON line', () => {
    expect(parseEventLine(JSON.stringify(minimal), limits)).toMatchObject({ ok: true, event: minimal });
    expect(parseEventLine('{"specversion":"1.0"}', limits)).toMatchObject({
      ok: false,
      reason: 'id: required',
    });
  });

  it('a line that is not JSON is rejected with the parser message', () => {
    const result = parseEventLine('{"id": "x",', limits);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^event: not valid JSON \(.+\)$/);
    expect(!result.ok && result.id).toBeNull();
  });
});

describe('eventKey and sortTime', () => {
  it('encodes source and id so # never splits the key', () => {
    expect(eventKey('t1', 'https://x.io/a#b', 'id#1 2')).toEqual({
      pk: 'EVENT#t1#https%3A%2F%2Fx.io%2Fa%23b#id%231%202',
      sk: 'EVENT',
    });
    expect(eventKey('t1', 'a#b', 'c')).not.toEqual(eventKey('t1', 'a', 'b#c'));
  });

  it('sorts by time in UTC with milliseconds, else by ingestion time', () => {
    const event = minimal as CloudEvent;
    expect(sortTime({ ...event, time: '2018-04-05T18:31:00.5+01:00' }, '2024-01-01T00:00:00.000Z')).toBe(
      '2018-04-05T17:31:00.500Z',
    );
    expect(sortTime(event, '2024-01-01T00:00:00Z')).toBe('2024-01-01T00:00:00.000Z');
    expect(sortTime({ ...event, time: null }, '2024-01-01T00:00:00.000Z')).toBe('2024-01-01T00:00:00.000Z');
  });

  it('keeps a four-digit year when an offset carries the instant out of 0000-9999 (the key sorts as the time)', () => {
    const event = minimal as CloudEvent;
    const now = '2024-01-01T00:00:00.000Z';
    // In UTC these are in year 10000 (`+010000-…` would sort before every other key) and in year -1.
    expect(sortTime({ ...event, time: '9999-12-31T23:59:59-23:59' }, now)).toBe('9999-12-31T23:59:59.999Z');
    expect(sortTime({ ...event, time: '0000-01-01T00:00:00+23:59' }, now)).toBe('0000-01-01T00:00:00.000Z');
    expect(sortTime({ ...event, time: '0000-01-01T00:00:00Z' }, now)).toBe('0000-01-01T00:00:00.000Z');
    expect(sortTime({ ...event, time: '9999-12-31T23:59:59.999Z' }, now)).toBe('9999-12-31T23:59:59.999Z');
  });
});

describe('checkEnvelope limits (README "Limits")', () => {
  const lone = '\ud800';
  it.each(['id', 'source', 'type', 'subject'])(
    '%s: well-formed UTF-16, at most 1000 bytes of UTF-8',
    (attr) => {
      const atLimit = attr === 'source' ? `urn:${'a'.repeat(996)}` : '漢'.repeat(333); // 1000 / 999 bytes
      expect(reasonFor({ ...minimal, [attr]: atLimit })).toBeNull();
      expect(reasonFor({ ...minimal, [attr]: `${atLimit}aa` })).toBe(
        `${attr}: must be at most 1000 bytes of UTF-8`,
      );
      expect(reasonFor({ ...minimal, [attr]: `urn:a${lone}` })).toBe(
        `${attr}: must be well-formed UTF-16 (no lone surrogates)`,
      );
      expect(reasonFor({ ...minimal, [attr]: `urn:a${'\udc00'}b` })).toBe(
        `${attr}: must be well-formed UTF-16 (no lone surrogates)`,
      );
    },
  );

  it('checks a source’s length before its URI-reference pattern runs', () => {
    expect(reasonFor({ ...minimal, source: 'a'.repeat(200_000) })).toBe(
      'source: must be at most 1000 bytes of UTF-8',
    );
  });

  it('nesting: 64 levels of data are fine, 65 are rejected, 20,000 do not throw', () => {
    const nested = (depth: number): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
      return value;
    };
    expect(reasonFor({ ...minimal, data: nested(64) })).toBeNull();
    expect(reasonFor({ ...minimal, data: nested(65) })).toBe('data: nested deeper than 64 levels');
    expect(reasonFor({ ...minimal, myext: nested(65) })).toBe('myext: nested deeper than 64 levels');
    const line = `{"specversion":"1.0","id":"deep","source":"/s","type":"t","data":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    expect(parseEventLine(line, limits)).toEqual({
      ok: false,
      id: 'deep',
      reason: 'data: nested deeper than 64 levels',
    });
  });

  it('a number past a double (read as ±Infinity, which would be stored as null), with where it is', () => {
    const line = (data: string) => `{"specversion":"1.0","id":"inf","source":"/s","type":"t","data":${data}}`;
    const reason = (at: string) => `data: holds a number outside the range of a double (at ${at})`;
    expect(parseEventLine(line('1e400'), limits)).toMatchObject({
      ok: false,
      id: 'inf',
      reason: reason('/'),
    });
    expect(parseEventLine(line('{"a":[0,-1e999]}'), limits)).toMatchObject({ reason: reason('/a/1') });
    expect(parseEventLine(line('{"~/":1e400}'), limits)).toMatchObject({ reason: reason('/~0~1') });
    expect(reasonFor({ ...minimal, data: { n: NaN } })).toBe(reason('/n'));
    expect(parseEventLine(line('1.7976931348623157e308'), limits)).toMatchObject({ ok: true });
  });

  it('names with lone surrogates or of any length make short, well-formed reasons', () => {
    const name = `x${lone}`.repeat(10_000);
    const result = checkEnvelope({ ...minimal, [name]: 1 }, limits);
    expect(result.ok).toBe(false);
    const reason = !result.ok ? result.reason : '';
    expect(reason.length).toBeLessThanOrEqual(500);
    expect(reason.isWellFormed()).toBe(true);
    expect(reason).toMatch(/^x\uFFFDx\uFFFD.*: extension attribute names must be lowercase a-z0-9$/);
  });

  it('keeps lone surrogates in extension values and data as escapes in the serialized form', () => {
    const result = checkEnvelope({ ...minimal, myext: lone, data: { [lone]: lone } }, limits);
    expect(result.ok && result.serialized).toContain('\\ud800');
  });

  it('an own __proto__ or constructor attribute is an extension like any other', () => {
    const candidate = JSON.parse(
      '{"specversion":"1.0","id":"p","source":"/s","type":"t","__proto__":{"x":1}}',
    );
    expect(reasonFor(candidate)).toBe('__proto__: extension attribute names must be lowercase a-z0-9');
    expect(reasonFor({ ...minimal, constructor: 'x' })).toBeNull();
  });
});
