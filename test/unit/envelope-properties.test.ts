/** Property tests: whatever a line or a JSON value holds, the envelope checks answer once and never throw. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checkEnvelope,
  eventKey,
  parseEventLine,
  type EnvelopeResult,
} from '../../shared/cloudevents/envelope';
import {
  MAX_REJECTION_ID_CHARS,
  MAX_REJECTION_REASON_CHARS,
  rejection,
} from '../../shared/cloudevents/limits';

const limits = { maxEventBytes: 262_144 };

/** Strings of any UTF-16 code units, lone surrogates included. */
const anyString = fc.string({ unit: 'binary', maxLength: 40 });
const loneSurrogates = fc.string({
  unit: fc.constantFrom('\ud800', '\udfff', 'a', '😀', '#', '%'),
  maxLength: 40,
});
const nastyKey = fc.oneof(
  anyString,
  fc.constantFrom('__proto__', 'constructor', 'toString', 'data', 'id', 'type'),
);
const huge = fc.constantFrom('x'.repeat(300_000), '漢'.repeat(2_000), `${'\ud800'.repeat(1_000)}`);
const deep = fc.integer({ min: 0, max: 3_000 }).map((depth) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { d: value };
  return value;
});
const attrValue = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue() },
  { weight: 2, arbitrary: loneSurrogates },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.constantFrom('1.0', 'urn:x', '/s', '2020-01-01T00:00:00Z', 'application/json') },
);
/** Mostly near-valid events, so the later checks run too. */
const candidate = fc.oneof(
  fc.jsonValue(),
  fc.dictionary(nastyKey, attrValue, { maxKeys: 6 }),
  fc
    .record({
      specversion: fc.constant('1.0'),
      id: fc.oneof(anyString, loneSurrogates, huge),
      source: fc.oneof(fc.constant('urn:x'), loneSurrogates, huge),
      type: fc.oneof(fc.constant('t'), loneSurrogates, huge),
      subject: fc.oneof(anyString, huge),
      data: attrValue,
    })
    .chain((base) =>
      fc.dictionary(nastyKey, attrValue, { maxKeys: 3 }).map((extra) => Object.assign({}, base, extra)),
    ),
);

function expectOneOutcome(result: EnvelopeResult) {
  if (result.ok) {
    expect(typeof result.serialized).toBe('string');
    expect(JSON.parse(result.serialized)).toBeTypeOf('object');
    // An accepted event's keys can always be built.
    expect(() => eventKey('tenant', result.event.source, result.event.id)).not.toThrow();
    return;
  }
  expect(result.reason.length).toBeLessThanOrEqual(MAX_REJECTION_REASON_CHARS);
  expect(result.reason).toMatch(/^(?:[^\s:"]+|"(?:[^"\\]|\\.)*"): /); // starts with the attribute
  const shown = rejection(0, result.id, result.reason);
  expect(shown.id === null || shown.id.length <= MAX_REJECTION_ID_CHARS).toBe(true);
  expect(shown.reason.isWellFormed() && (shown.id ?? '').isWellFormed()).toBe(true);
}

describe('envelope properties', () => {
  it('checkEnvelope never throws and gives exactly one outcome for any value', () => {
    fc.assert(
      fc.property(candidate, (value) => {
        expectOneOutcome(checkEnvelope(value, limits));
      }),
      { numRuns: 400 },
    );
  });

  it('parseEventLine never throws for any line, JSON or not', () => {
    const line = fc.oneof(
      anyString,
      candidate.map((value) => {
        try {
          return JSON.stringify(value) ?? 'null';
        } catch {
          return '[]';
        }
      }),
      fc.integer({ min: 1, max: 50_000 }).map((n) => `{"data":${'['.repeat(n)}${']'.repeat(n)}}`),
      fc.integer({ min: 1, max: 50_000 }).map((n) => '['.repeat(n)),
    );
    fc.assert(
      fc.property(line, (text) => {
        expectOneOutcome(parseEventLine(text, limits));
      }),
      { numRuns: 300 },
    );
  });

  it('an accepted event has well-formed limited attributes within 1000 bytes', () => {
    fc.assert(
      fc.property(candidate, (value) => {
        const result = checkEnvelope(value, limits);
        if (!result.ok) return;
        for (const attr of ['id', 'source', 'type', 'subject'] as const) {
          const v = result.event[attr];
          if (typeof v !== 'string') continue;
          expect(v.isWellFormed()).toBe(true);
          expect(Buffer.byteLength(v)).toBeLessThanOrEqual(1000);
        }
      }),
      { numRuns: 300 },
    );
  });
});
