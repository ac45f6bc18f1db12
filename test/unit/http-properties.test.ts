/**
 * Properties of the HTTP submission parser (POST /events) for arbitrary bytes, headers and JSON values: it
 * never throws anything but the API's own error (a 4xx), what it returns can always be serialized (the next
 * thing submit-events does), and every event candidate it finds gets exactly one outcome.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEnvelope } from '../../shared/cloudevents/envelope';
import { parseHttpSubmission, type HttpSubmission } from '../../shared/cloudevents/http';
import { MAX_DOCUMENT_DEPTH } from '../../shared/cloudevents/limits';
import { ApiError } from '../../shared/http/errors';

const limits = { maxRequestBytes: 256 * 1024, maxEventsPerRequest: 20 };
const CODES = new Set([
  'InvalidJson',
  'InvalidRequest',
  'EmptyBatch',
  'PayloadTooLarge',
  'TooManyEvents',
  'UnsupportedMediaType',
]);

type Outcome = { ok: true; mode: string; candidates: unknown[] } | { ok: false; error: ApiError };

/** Runs the parser; any throw that is not a well-formed 4xx ApiError fails the property. */
function outcome(req: HttpSubmission, l = limits): Outcome {
  try {
    return { ok: true, ...parseHttpSubmission(req, l) };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    expect(error.status).toBeGreaterThanOrEqual(400);
    expect(error.status).toBeLessThan(500);
    expect(CODES.has(error.code), error.code).toBe(true);
    expect(Array.isArray(error.details)).toBe(true);
    expect(error.message.length).toBeLessThan(1000);
    JSON.stringify(error.details); // the error body itself must serialize
    return { ok: false, error };
  }
}

/** Any UTF-16 string, lone surrogates included. */
const anyString = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
const mediaTypes = fc.constantFrom(
  'application/json',
  'application/cloudevents+json',
  'application/cloudevents-batch+json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-8; charset=utf-8',
  'text/plain; charset=klingon',
  'text/plain; charset=utf-16le',
  'application/xml',
  'application/octet-stream',
  'application/vnd.example+json',
  'multipart/form-data; boundary=x',
  '',
  ' ',
  'json',
  '*/*',
);
const headerNames = fc.constantFrom(
  'content-type',
  'Content-Type',
  'ce-specversion',
  'CE-SpecVersion',
  'ce-id',
  'ce-source',
  'ce-type',
  'ce-time',
  'ce-data',
  'ce-data_base64',
  'ce-__proto__',
  'ce-constructor',
  'ce-',
  '__proto__',
  'x-other',
);
const headers = fc.dictionary(
  headerNames,
  fc.oneof(mediaTypes, anyString, fc.constant('1.0'), fc.constant(undefined)),
  { maxKeys: 8 },
) as fc.Arbitrary<Record<string, string | undefined>>;

/**
 * Nested arrays/objects around any JSON value: near MAX_DOCUMENT_DEPTH, and up to 30,000 levels (where
 * JSON.stringify overflows the stack).
 */
const deepJson = fc
  .tuple(
    fc.oneof(fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 1500, max: 30_000 })),
    fc.boolean(),
    fc.jsonValue({ maxDepth: 2 }),
  )
  .map(([levels, objects, inner]) => {
    const core = JSON.stringify(inner) ?? 'null';
    return objects
      ? '{"a":'.repeat(levels) + core + '}'.repeat(levels)
      : '['.repeat(levels) + core + ']'.repeat(levels);
  });

const eventLike = fc.record(
  {
    specversion: fc.oneof(fc.constant('1.0'), fc.jsonValue()),
    id: fc.oneof(fc.string(), anyString, fc.jsonValue()),
    source: fc.oneof(fc.constant('urn:x'), anyString),
    type: fc.oneof(fc.constant('t'), anyString),
    time: fc.oneof(fc.constant('2026-01-01T00:00:00Z'), fc.string()),
    data: fc.jsonValue({ maxDepth: 4 }),
    __proto__: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);
const jsonBodies = fc.oneof(
  fc.json({ maxDepth: 4 }),
  eventLike.map((e) => JSON.stringify(e)),
  fc
    .array(fc.oneof(eventLike, fc.jsonValue({ maxDepth: 3 })), { maxLength: 30 })
    .map((a) => JSON.stringify(a)),
  deepJson,
);
const rawBodies = fc.oneof(
  fc
    .uint8Array({ maxLength: 300 })
    .map((bytes) => ({ body: Buffer.from(bytes).toString('base64'), b64: true })),
  anyString.map((body) => ({ body, b64: false })),
  jsonBodies.map((body) => ({ body, b64: false })),
  jsonBodies.map((body) => ({ body: Buffer.from(body).toString('base64'), b64: true })),
  fc.constant({ body: undefined, b64: false }),
  fc.constant({ body: '', b64: true }),
);

const requests = fc
  .tuple(headers, rawBodies)
  .map(([h, { body, b64 }]): HttpSubmission => ({ headers: h, body, isBase64Encoded: b64 }));

describe('parseHttpSubmission properties', () => {
  it('throws nothing but a 4xx ApiError, and what it returns serializes, for any request', () => {
    fc.assert(
      fc.property(requests, (req) => {
        const result = outcome(req);
        if (result.ok) expect(() => JSON.stringify(result.candidates)).not.toThrow();
      }),
      { numRuns: 1500 },
    );
  });

  it('refuses exactly the JSON bodies nested deeper than MAX_DOCUMENT_DEPTH, with InvalidJson and a pointer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2500 }), fc.boolean(), (levels, objects) => {
        const body = objects
          ? '{"a":'.repeat(levels) + '1' + '}'.repeat(levels)
          : '['.repeat(levels) + ']'.repeat(levels);
        const result = outcome({
          headers: { 'content-type': 'application/json' },
          body,
          isBase64Encoded: false,
        });
        if (levels <= MAX_DOCUMENT_DEPTH) {
          expect(
            result.ok || result.error.code === 'EmptyBatch' || result.error.code === 'InvalidRequest',
          ).toBe(true);
        } else {
          expect(result.ok).toBe(false);
          if (result.ok) return;
          expect(result.error.code).toBe('InvalidJson');
          expect(result.error.details).toEqual([
            { limit: MAX_DOCUMENT_DEPTH, pointer: (objects ? '/a' : '/0').repeat(MAX_DOCUMENT_DEPTH) },
          ]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('gives every event of a JSON batch exactly one candidate, in order, and each candidate one outcome', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(eventLike, fc.jsonValue({ maxDepth: 3 })), { minLength: 1, maxLength: 20 }),
        fc.constantFrom('application/json', 'application/cloudevents-batch+json'),
        (events, contentType) => {
          const body = JSON.stringify(events);
          const result = outcome({ headers: { 'content-type': contentType }, body, isBase64Encoded: false });
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect(result.candidates).toEqual(JSON.parse(body));
          const outcomes = result.candidates.map((candidate) =>
            checkEnvelope(candidate, { maxEventBytes: 4096 }),
          );
          expect(outcomes).toHaveLength(events.length);
          for (const o of outcomes) {
            expect(typeof o.ok).toBe('boolean');
            if (!o.ok) expect(o.reason).toMatch(/^[a-z_0-9]+: /);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('makes one candidate of any binary-mode request it accepts, the ce-* headers as own attributes', () => {
    fc.assert(
      fc.property(headers, rawBodies, (h, { body, b64 }) => {
        const withSpec = { ...h, 'ce-specversion': '1.0' };
        const result = outcome({ headers: withSpec, body, isBase64Encoded: b64 });
        if (!result.ok) return;
        expect(result.mode).toBe('binary');
        expect(result.candidates).toHaveLength(1);
        const [event] = result.candidates as Record<string, unknown>[];
        expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
        expect(Object.keys(event!)).toContain('specversion');
        const outcomeOf = checkEnvelope(event, { maxEventBytes: 4096 });
        expect(typeof outcomeOf.ok).toBe('boolean');
      }),
      { numRuns: 800 },
    );
  });

  it('never lets a JSON body change Object.prototype', () => {
    fc.assert(
      fc.property(jsonBodies, (body) => {
        outcome({ headers: {}, body: body.replace(/"a"/g, '"__proto__"'), isBase64Encoded: false });
        expect(Object.keys(Object.prototype)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
