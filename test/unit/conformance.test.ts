/**
 * The CloudEvents project's JSON-format conformance vectors (test/fixtures/cloudevents-json, Apache-2.0),
 * with the outcome its README says Sluice owes each one.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkEnvelope, eventKey } from '../../shared/cloudevents/envelope';
import { parseHttpSubmission } from '../../shared/cloudevents/http';

interface Vector {
  id: string;
  sampleId?: string;
  event?: unknown;
  batch?: unknown[];
}

const load = (name: string): Vector[] =>
  JSON.parse(readFileSync(new URL(`../fixtures/cloudevents-json/${name}.json`, import.meta.url), 'utf8'))
    .tests;

const limits = { maxEventBytes: 262144 };
const request = { maxRequestBytes: 5 * 1024 * 1024, maxEventsPerRequest: 10_000 };
const submit = (contentType: string, body: unknown) =>
  parseHttpSubmission(
    { headers: { 'content-type': contentType }, body: JSON.stringify(body), isBase64Encoded: false },
    request,
  );
const keyOf = (event: unknown) => {
  const { source, id } = event as { source: string; id: string };
  return eventKey('tenant', source, id).pk;
};

describe('valid-events.json: each event accepted alone', () => {
  const vectors = load('valid-events');

  it.each(vectors.map((v) => [v.id, v] as const))('%s', (_id, vector) => {
    const { candidates } = submit('application/cloudevents+json', vector.event);
    expect(checkEnvelope(candidates[0], limits)).toMatchObject({ ok: true, event: vector.event });
  });

  it('events that share a sampleId share a dedupe key; different samples do not', () => {
    const keysBySample = new Map<string, Set<string>>();
    for (const v of vectors) {
      const keys = keysBySample.get(v.sampleId!) ?? new Set();
      keysBySample.set(v.sampleId!, keys.add(keyOf(v.event)));
    }
    for (const keys of keysBySample.values()) expect(keys.size).toBe(1);
    const distinct = new Set([...keysBySample.values()].flatMap((keys) => [...keys]));
    expect(distinct.size).toBe(keysBySample.size);
  });
});

describe('invalid-events.json: rejected with a reason naming the attribute at fault', () => {
  const attributeAtFault: Record<string, string> = {
    invalidNoSpecVersion: 'specversion',
    invalidNoId: 'id',
    invalidNoType: 'type',
    invalidNoSource: 'source',
    invalidTimeGarbage: 'time',
    invalidTimeToMinute: 'time',
    invalidTimeOffsetX: 'time',
    invalidTimeOffsetOutOfRange: 'time',
    invalidTimeOffsetNonInteger: 'time',
    invalidTimeOffsetHourOnly: 'time',
    invalidEmptyId: 'id',
    invalidEmptyType: 'type',
    invalidEmptySource: 'source',
    invalidEmptySpecVersion: 'specversion',
    invalidUnknownSpecVersion: 'specversion',
    invalidNonRfc2046DataContentType: 'datacontenttype',
    invalidEmptyDataContentType: 'datacontenttype',
    invalidEmptyDataSchema: 'dataschema',
    invalidEmptySubject: 'subject',
    invalidNumericId: 'id',
    invalidObjectId: 'id',
    invalidCapitalizedExtension: 'MyExtension',
    invalidPunctuatedExtension: 'my.extension',
    invalidNonIntegerExtensionValue: 'my.extension',
    invalidBothDataAndDataBase64: 'data',
  };
  const vectors = load('invalid-events');

  it('every vector has an expected outcome', () => {
    expect(vectors.map((v) => v.id).sort()).toEqual(Object.keys(attributeAtFault).sort());
  });

  it.each(vectors.map((v) => [v.id, v] as const))('%s', (id, vector) => {
    // The request itself is fine: the event is rejected later, inside the job.
    const { candidates } = submit('application/cloudevents+json', vector.event);
    const result = checkEnvelope(candidates[0], limits);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason.startsWith(`${attributeAtFault[id]}: `)).toBe(true);
  });
});

describe('valid-batches.json: every element accepted', () => {
  const vectors = load('valid-batches');

  it.each(vectors.filter((v) => v.batch!.length > 0).map((v) => [v.id, v] as const))('%s', (_id, vector) => {
    const { mode, candidates } = submit('application/cloudevents-batch+json', vector.batch);
    expect(mode).toBe('batch');
    expect(candidates.map((c) => checkEnvelope(c, limits).ok)).toEqual(vector.batch!.map(() => true));
  });

  it('validBatchEmpty: 400 EmptyBatch, nothing to ingest', () => {
    const empty = vectors.find((v) => v.id === 'validBatchEmpty')!;
    expect(() => submit('application/cloudevents-batch+json', empty.batch)).toThrow(
      expect.objectContaining({ status: 400, code: 'EmptyBatch' }),
    );
  });

  it('validBatchMinimal2: the repeated event has the same dedupe key (a duplicate in storage)', () => {
    const [first, second] = vectors.find((v) => v.id === 'validBatchMinimal2')!.batch!;
    expect(keyOf(second)).toBe(keyOf(first));
  });
});

describe('invalid-batches.json: valid elements accepted, each invalid one rejected with its index', () => {
  const expected: Record<string, { rejected: Record<number, string>; accepted: number[] }> = {
    invalidBatchMixedSpecVersions: { rejected: { 1: 'specversion' }, accepted: [0] },
    invalidBatchContainingInvalidCloudEvent: { rejected: { 0: 'id' }, accepted: [] },
    invalidBatchContainingNonObject: { rejected: { 0: 'event' }, accepted: [1] },
  };
  const vectors = load('invalid-batches');

  it('every vector has an expected outcome', () => {
    expect(vectors.map((v) => v.id).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(vectors.map((v) => [v.id, v] as const))('%s', (id, vector) => {
    const { candidates } = submit('application/cloudevents-batch+json', vector.batch);
    const results = candidates.map((c, index) => ({ index, result: checkEnvelope(c, limits) }));
    expect(results.filter((r) => r.result.ok).map((r) => r.index)).toEqual(expected[id]!.accepted);
    const rejected = Object.fromEntries(
      results.flatMap(({ index, result }) => (result.ok ? [] : [[index, result.reason.split(': ')[0]]])),
    );
    expect(rejected).toEqual(expected[id]!.rejected);
  });
});
