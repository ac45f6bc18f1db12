/**
 * Per-event cases: each candidate travels in one POST with the others of its job, and its outcome is exact:
 * rejected with its index and reason (the reason texts are the contract's, docs/design.md and
 * shared/cloudevents/limits.ts), accepted and then readable back as sent, or counted as a duplicate. The job
 * itself must SUCCEED whatever its events hold.
 */
import { randomUUID } from 'node:crypto';
import { deepArrayText, deepObjectText, KiB, limits } from '../cloud';

/** The jobs the cases are grouped into (one POST each). */
export type EventJob = 'envelope' | 'limits' | 'schema';

export type EventExpectation =
  | {
      outcome: 'accepted';
      /** also listed by `GET /events?type=`; a string is more of that query (`since=…`) */
      byType?: boolean | string;
    }
  /** `reason`: the exact text, or a pattern where the contract fixes only the attribute it names. */
  | { outcome: 'rejected'; reason: string | RegExp; /** the rejection's id is not asserted */ anyId?: true }
  | { outcome: 'duplicate' };

export interface EventCase {
  name: string;
  job: EventJob;
  /** The candidate as JSON text (so keys like `__proto__` and lone surrogates travel exactly). */
  candidate: string;
  expect: EventExpectation;
}

export const SCHEMA_TYPE = 'com.example.hostile.order';
/** The schema PUT for SCHEMA_TYPE before the schema job runs. */
export const orderSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['amount'],
  additionalProperties: false,
  properties: { amount: { type: 'number', minimum: 0 }, code: { type: 'string', pattern: '^[a-z]+$' } },
};

const SOURCE = 'urn:sluice:hostile';
const base = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  specversion: '1.0',
  id: randomUUID(),
  source: SOURCE,
  type: 'com.example.hostile.event',
  time: '2025-06-01T12:00:00Z',
  datacontenttype: 'application/json',
  data: { n: 1 },
  ...overrides,
});
const without = (name: string, overrides: Record<string, unknown> = {}) => {
  const { [name]: _dropped, ...rest } = base(overrides);
  return rest;
};
const text = (value: unknown): string => JSON.stringify(value);
/** A candidate whose `data` (or another attribute) is JSON text spliced in, e.g. very deep nesting. */
const withRaw = (attribute: string, rawJson: string, overrides: Record<string, unknown> = {}) =>
  text(base({ ...overrides, [attribute]: 0 })).replace(`"${attribute}":0`, `"${attribute}":${rawJson}`);
/** An ASCII id of exactly `length` bytes, unique per run. */
const uniqueId = (length: number) => {
  const prefix = `${randomUUID()}-`;
  return prefix + 'x'.repeat(Math.max(0, length - prefix.length));
};

const CJK = '漢'; // 3 bytes of UTF-8
const EMOJI = '😀'; // 2 UTF-16 code units, 4 bytes of UTF-8
const accepted: EventExpectation = { outcome: 'accepted' };
const rejected = (reason: string | RegExp, anyId?: true): EventExpectation => ({
  outcome: 'rejected',
  reason,
  ...(anyId ? { anyId } : {}),
});
const tooLong = (attr: string) => rejected(`${attr}: must be at most 1000 bytes of UTF-8`);
const surrogate = (attr: string) =>
  rejected(`${attr}: must be well-formed UTF-16 (no lone surrogates)`, true);
const tooDeep = rejected('data: nested deeper than 64 levels');
const extensionName = (name: string) =>
  rejected(`${name}: extension attribute names must be lowercase a-z0-9`);
const extensionValue = (name: string) =>
  rejected(`${name}: extension attribute values must be a string, a boolean or a 32-bit integer`);
const badTime = rejected('time: must be an RFC 3339 timestamp with seconds');
const notObject = rejected('event: must be a JSON object');

const original = text(base());
const storedEarlier = text(base());
/** Stored by a job of its own before the envelope job runs, so its copy there is a duplicate. */
export const earlierJobEvent = storedEarlier;

const envelope: Omit<EventCase, 'job'>[] = [
  { name: 'a plain good event', candidate: original, expect: accepted },
  { name: 'the same event again in the job', candidate: original, expect: { outcome: 'duplicate' } },
  { name: 'an event stored by an earlier job', candidate: storedEarlier, expect: { outcome: 'duplicate' } },
  {
    name: 'specversion missing',
    candidate: text(without('specversion')),
    expect: rejected('specversion: required'),
  },
  {
    name: 'specversion null',
    candidate: text(base({ specversion: null })),
    expect: rejected('specversion: required'),
  },
  {
    name: 'specversion 0.3',
    candidate: text(base({ specversion: '0.3' })),
    expect: rejected('specversion: must be "1.0"'),
  },
  {
    name: 'specversion as a number',
    candidate: withRaw('specversion', '1.0'),
    expect: rejected('specversion: must be "1.0"'),
  },
  { name: 'id missing', candidate: text(without('id')), expect: rejected('id: required') },
  {
    name: 'id a number',
    candidate: text(base({ id: 42 })),
    expect: rejected('id: must be a non-empty string'),
  },
  { name: 'id empty', candidate: text(base({ id: '' })), expect: rejected('id: must be a non-empty string') },
  { name: 'source missing', candidate: text(without('source')), expect: rejected('source: required') },
  {
    name: 'source not a URI-reference',
    candidate: text(base({ source: 'not a uri' })),
    expect: rejected('source: must be a non-empty URI-reference'),
  },
  { name: 'type missing', candidate: text(without('type')), expect: rejected('type: required') },
  {
    name: 'type an object',
    candidate: text(base({ type: {} })),
    expect: rejected('type: must be a non-empty string'),
  },
  { name: 'time junk', candidate: text(base({ time: 'yesterday' })), expect: badTime },
  { name: 'time on 30 February', candidate: text(base({ time: '2024-02-30T00:00:00Z' })), expect: badTime },
  { name: 'time without seconds', candidate: text(base({ time: '2024-01-01T00:00Z' })), expect: badTime },
  { name: 'time a number', candidate: text(base({ time: 1_700_000_000 })), expect: badTime },
  { name: 'extension name in upper case', candidate: text(base({ Foo: 'x' })), expect: extensionName('Foo') },
  {
    name: 'extension name with a dash',
    candidate: text(base({ 'my-ext': 'x' })),
    expect: extensionName('my-ext'),
  },
  { name: 'extension name not ASCII', candidate: text(base({ é: 'x' })), expect: extensionName('é') },
  {
    name: 'extension name hasOwnProperty',
    candidate: text(base({ hasOwnProperty: 'x' })),
    expect: extensionName('hasOwnProperty'),
  },
  {
    name: 'extension value an object',
    candidate: text(base({ ext: { a: 1 } })),
    expect: extensionValue('ext'),
  },
  { name: 'extension value an array', candidate: text(base({ ext: [1] })), expect: extensionValue('ext') },
  { name: 'extension value 2^31', candidate: text(base({ ext: 2 ** 31 })), expect: extensionValue('ext') },
  { name: 'extension value 1.5', candidate: text(base({ ext: 1.5 })), expect: extensionValue('ext') },
  {
    name: 'a __proto__ key',
    candidate: withRaw('extra', '"x"').replace('"extra":', '"__proto__":'),
    expect: extensionName('__proto__'),
  },
  {
    name: 'a constructor key holding an object',
    candidate: text(base({ constructor: { prototype: { polluted: true } } })),
    expect: extensionValue('constructor'),
  },
  {
    name: 'a constructor extension holding a string',
    candidate: text(base({ constructor: 'x' })),
    expect: accepted,
  },
  {
    name: 'data with __proto__ and constructor keys',
    candidate: withRaw('data', '{"__proto__":{"polluted":true},"constructor":{"prototype":1}}'),
    expect: accepted,
  },
  {
    name: 'data and data_base64 together',
    candidate: text(base({ data_base64: 'AAAA' })),
    expect: rejected('data: data and data_base64 are mutually exclusive'),
  },
  {
    name: 'data_base64 not base64',
    candidate: text(without('data', { data_base64: 'not base64!' })),
    expect: rejected('data_base64: must be base64'),
  },
  {
    name: 'data_base64 a number',
    candidate: text(without('data', { data_base64: 12 })),
    expect: rejected('data_base64: must be base64'),
  },
  {
    name: 'valid data_base64',
    candidate: text(without('data', { data_base64: 'AAECAw==' })),
    expect: accepted,
  },
  {
    name: 'datacontenttype junk',
    candidate: text(base({ datacontenttype: 'not a type' })),
    expect: rejected('datacontenttype: must be a string (RFC 2046 media type)'),
  },
  {
    name: 'datacontenttype a number',
    candidate: text(base({ datacontenttype: 42 })),
    expect: rejected('datacontenttype: must be a string (RFC 2046 media type)'),
  },
  {
    name: 'dataschema relative',
    candidate: text(base({ dataschema: '/schemas/x' })),
    expect: rejected('dataschema: must be an absolute URI'),
  },
  {
    name: 'subject empty',
    candidate: text(base({ subject: '' })),
    expect: rejected('subject: must be a non-empty string'),
  },
  { name: 'the number 42', candidate: '42', expect: notObject },
  { name: 'null', candidate: 'null', expect: notObject },
  { name: 'an array', candidate: '[]', expect: notObject },
  { name: 'a string', candidate: '"event"', expect: notObject },
  {
    name: 'null attributes count as absent',
    candidate: text(base({ subject: null, time: null })),
    expect: accepted,
  },
  {
    name: 'a 40-character extension name',
    candidate: text(base({ ['e'.repeat(40)]: true })),
    expect: accepted,
  },
  {
    name: 'time with an offset and a fraction',
    candidate: text(base({ time: '2025-06-01T17:30:00.123456+05:30' })),
    expect: accepted,
  },
];

const limitCases: Omit<EventCase, 'job'>[] = [
  {
    name: 'id with a lone high surrogate',
    candidate: text(base({ id: `a\ud800b-${randomUUID()}` })),
    expect: surrogate('id'),
  },
  {
    name: 'id with a lone low surrogate',
    candidate: text(base({ id: `\udc00-${randomUUID()}` })),
    expect: surrogate('id'),
  },
  {
    name: 'type with a lone surrogate',
    candidate: text(base({ type: 'com.example.\ud800' })),
    expect: surrogate('type'),
  },
  {
    name: 'subject with a lone surrogate',
    candidate: text(base({ subject: 'x\udbff' })),
    expect: surrogate('subject'),
  },
  {
    name: 'source with a lone surrogate',
    candidate: text(base({ source: 'urn:x:\ud800' })),
    expect: rejected(/^source: /),
  },
  { name: 'id of 1,001 bytes', candidate: text(base({ id: uniqueId(1_001) })), expect: tooLong('id') },
  {
    name: 'id of 1,000 characters but 1,001 bytes',
    candidate: text(base({ id: `${uniqueId(999)}é` })),
    expect: tooLong('id'),
  },
  {
    name: 'id of 1,000 CJK characters (3,000 bytes)',
    candidate: text(base({ id: CJK.repeat(1_000) })),
    expect: tooLong('id'),
  },
  {
    name: 'id of 251 emoji (1,004 bytes)',
    candidate: text(base({ id: EMOJI.repeat(251) })),
    expect: tooLong('id'),
  },
  { name: 'id of 200 KB', candidate: text(base({ id: uniqueId(200 * KiB) })), expect: tooLong('id') },
  {
    name: 'source of 3 KB',
    candidate: text(base({ source: `urn:${'s'.repeat(3 * KiB)}` })),
    expect: tooLong('source'),
  },
  {
    name: 'source of 1,001 bytes',
    candidate: text(base({ source: `urn:${'s'.repeat(997)}` })),
    expect: tooLong('source'),
  },
  {
    name: 'source of 200 KB',
    candidate: text(base({ source: `urn:${'s'.repeat(200 * KiB)}` })),
    expect: tooLong('source'),
  },
  {
    name: 'source of 1,000 CJK characters',
    candidate: text(base({ source: `urn:${CJK.repeat(1_000)}` })),
    expect: rejected(/^source: /),
  },
  {
    name: 'type of 1,000 CJK characters (3,000 bytes)',
    candidate: text(base({ type: CJK.repeat(1_000) })),
    expect: tooLong('type'),
  },
  {
    name: 'type of 334 CJK characters (1,002 bytes)',
    candidate: text(base({ type: CJK.repeat(334) })),
    expect: tooLong('type'),
  },
  { name: 'type of 9 KB', candidate: text(base({ type: 't'.repeat(9 * KiB) })), expect: tooLong('type') },
  {
    name: 'subject of 1,001 bytes',
    candidate: text(base({ subject: 's'.repeat(1_001) })),
    expect: tooLong('subject'),
  },
  {
    name: 'subject of 3 KB of CJK',
    candidate: text(base({ subject: CJK.repeat(1_000) })),
    expect: tooLong('subject'),
  },
  { name: 'data nested 65 levels', candidate: withRaw('data', deepArrayText(65)), expect: tooDeep },
  { name: 'data nested 100 levels', candidate: withRaw('data', deepObjectText(100)), expect: tooDeep },
  { name: 'data nested 900 levels', candidate: withRaw('data', deepArrayText(900)), expect: tooDeep },
  {
    name: 'an extension nested 65 levels',
    candidate: withRaw('deepext', deepArrayText(65)),
    expect: rejected(/^deepext: /),
  },
  {
    name: `an event over maxEventBytes (${limits.maxEventBytes})`,
    candidate: text(base({ data: 'd'.repeat(limits.maxEventBytes + 10) })),
    expect: rejected(`event: larger than ${limits.maxEventBytes} bytes serialized`),
  },
  {
    name: 'a rejected event with a 1,000-character id (the id is truncated to 256)',
    candidate: text(base({ id: uniqueId(1_000), time: 'not a time' })),
    expect: badTime,
  },
  { name: 'id of exactly 1,000 bytes', candidate: text(base({ id: uniqueId(1_000) })), expect: accepted },
  {
    name: 'id of 333 CJK characters (999 bytes)',
    candidate: text(base({ id: CJK.repeat(333) })),
    expect: accepted,
  },
  {
    name: 'id of 1,000 bytes ending in 241 emoji',
    candidate: text(base({ id: `${randomUUID()}${EMOJI.repeat(241)}` })),
    expect: accepted,
  },
  {
    name: 'id with #, %, /, ?, + and spaces',
    candidate: text(base({ id: `a#b%c/d?e f+g&h=${randomUUID()}` })),
    expect: accepted,
  },
  {
    name: 'source of exactly 1,000 bytes',
    candidate: text(base({ source: `urn:${'s'.repeat(996)}` })),
    expect: accepted,
  },
  {
    name: 'type of 333 CJK characters (999 bytes)',
    candidate: text(base({ type: CJK.repeat(333) })),
    expect: { outcome: 'accepted', byType: true },
  },
  {
    name: 'type of 250 emoji (1,000 bytes)',
    candidate: text(base({ type: EMOJI.repeat(250) })),
    expect: { outcome: 'accepted', byType: true },
  },
  {
    name: 'time 9999-12-31T23:59:59-23:59 (year 10000 in UTC) is listed since 9999-01-01, not before year 1',
    candidate: text(base({ type: `com.example.y10k.${randomUUID()}`, time: '9999-12-31T23:59:59-23:59' })),
    expect: { outcome: 'accepted', byType: 'since=9999-01-01T00:00:00Z' },
  },
  {
    name: 'time 0000-01-01T00:00:00+23:59 (year -1 in UTC) is listed until 0000-01-02',
    candidate: text(base({ type: `com.example.y0.${randomUUID()}`, time: '0000-01-01T00:00:00+23:59' })),
    expect: { outcome: 'accepted', byType: 'until=0000-01-02T00:00:00Z' },
  },
  {
    name: 'type with # and %',
    candidate: text(base({ type: `com.example#x%y.${randomUUID()}` })),
    expect: { outcome: 'accepted', byType: true },
  },
  {
    name: 'subject of exactly 1,000 bytes',
    candidate: text(base({ subject: 's'.repeat(1_000) })),
    expect: accepted,
  },
  { name: 'data nested exactly 64 levels', candidate: withRaw('data', deepObjectText(64)), expect: accepted },
];

const schemaCases: Omit<EventCase, 'job'>[] = [
  {
    name: 'schema: required property missing',
    candidate: text(base({ type: SCHEMA_TYPE, data: {} })),
    expect: rejected("data: must have required property 'amount' (at /)"),
  },
  {
    name: 'schema: minimum',
    candidate: text(base({ type: SCHEMA_TYPE, data: { amount: -1 } })),
    expect: rejected('data: must be >= 0 (at /amount)'),
  },
  {
    name: 'schema: wrong type',
    candidate: text(base({ type: SCHEMA_TYPE, data: { amount: 'ten' } })),
    expect: rejected('data: must be number (at /amount)'),
  },
  {
    name: 'schema: pattern',
    candidate: text(base({ type: SCHEMA_TYPE, data: { amount: 1, code: 'ABC' } })),
    expect: rejected('data: must match pattern "^[a-z]+$" (at /code)'),
  },
  {
    name: 'schema: additional property',
    candidate: text(base({ type: SCHEMA_TYPE, data: { amount: 1, extra: true } })),
    expect: rejected('data: must NOT have additional properties (at /)'),
  },
  {
    name: 'schema: data_base64 cannot be validated',
    candidate: text(without('datacontenttype', { type: SCHEMA_TYPE, data: undefined, data_base64: 'AAAA' })),
    expect: rejected('data: schema requires JSON data, got base64'),
  },
  {
    name: 'schema: text data cannot be validated',
    candidate: text(base({ type: SCHEMA_TYPE, datacontenttype: 'text/plain', data: 'amount=1' })),
    expect: rejected('data: schema requires JSON data, got text/plain'),
  },
  {
    name: 'schema: no data',
    candidate: text(without('data', { type: SCHEMA_TYPE })),
    expect: rejected('data: required by the schema for this type'),
  },
  {
    name: 'schema: data nested 65 levels',
    candidate: withRaw('data', deepArrayText(65), { type: SCHEMA_TYPE }),
    expect: tooDeep,
  },
  {
    name: 'schema: valid data',
    candidate: text(base({ type: SCHEMA_TYPE, data: { amount: 5 } })),
    expect: accepted,
  },
  {
    name: 'schema: valid data with a matching code',
    candidate: text(base({ type: SCHEMA_TYPE, data: { amount: 0, code: 'abc' } })),
    expect: accepted,
  },
];

export const eventCases: EventCase[] = [
  ...envelope.map((c) => ({ ...c, job: 'envelope' as const })),
  ...limitCases.map((c) => ({ ...c, job: 'limits' as const })),
  ...schemaCases.map((c) => ({ ...c, job: 'schema' as const })),
];
