import { describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../shared/cloudevents/types';
import { ingestChunk, type IngestDeps } from '../../shared/pipeline/ingest';
import { rejectedLine } from '../../shared/pipeline/lines';

const event = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ specversion: '1.0', id, source: 'urn:test', type: 'com.example.plain', ...extra });

const paymentSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['amount'],
  properties: { amount: { type: 'number', minimum: 0 } },
};

/** Deps over an in-memory table keyed by (source, id); `existing` holds events stored by earlier jobs. */
function fakeDeps(existing: string[] = [], overrides: Partial<IngestDeps> = {}) {
  const stored = new Map<string, { index: number; serialized: string }>(
    existing.map((id) => [`urn:test|${id}`, { index: -1, serialized: '' }]),
  );
  const schemaLookups: string[] = [];
  const deps: IngestDeps = {
    maxEventBytes: 1024,
    writeConcurrency: 4,
    async schemaFor(type) {
      schemaLookups.push(type);
      if (type === 'com.example.payment') return paymentSchema;
      if (type === 'com.example.broken') return { type: 'object', properties: { a: { type: 12 } } };
      return undefined;
    },
    async store(e: CloudEvent, serialized, index) {
      const key = `${e.source}|${e.id}`;
      const current = stored.get(key);
      if (current && current.index !== index) return 'duplicate';
      stored.set(key, { index, serialized });
      return 'stored';
    },
    ...overrides,
  };
  return { deps, stored, schemaLookups };
}

describe('ingestChunk', () => {
  it('counts accepted, rejected and duplicate events, indexing from the chunk start', async () => {
    const { deps, stored } = fakeDeps(['old']);
    const lines = [
      event('a'), // 10 accepted
      '', // 11 blank: not an event
      '{not json', // 12 rejected
      event('b', { specversion: '0.3' }), // 13 rejected
      event('old'), // 14 duplicate of an earlier job
      event('a'), // 15 duplicate within the chunk
      event('c', { type: 'com.example.payment', data: { amount: 5 } }), // 16 accepted
      event('d', { type: 'com.example.payment', data: { amount: -1 } }), // 17 rejected by the schema
    ];
    const result = await ingestChunk({ n: 3, start: 10, lines }, deps);
    expect(result.n).toBe(3);
    expect(result.counts).toEqual({ received: 7, accepted: 2, rejected: 3, duplicates: 2 });
    expect(result.rejections.map((r) => [r.index, r.id])).toEqual([
      [12, null],
      [13, 'b'],
      [17, 'd'],
    ]);
    expect(result.rejections[0]!.reason).toMatch(/^event: not valid JSON/);
    expect(result.rejections[1]!.reason).toMatch(/^specversion/);
    expect(result.rejections[2]!.reason).toMatch(/^data/);
    expect(stored.get('urn:test|a')).toEqual({ index: 10, serialized: event('a') });
    expect(stored.get('urn:test|c')?.index).toBe(16);
  });

  it('stores the first valid copy of an event when an earlier copy failed its schema', async () => {
    const { deps, stored } = fakeDeps();
    const lines = [
      event('p', { type: 'com.example.payment', data: { amount: -1 } }),
      event('p', { type: 'com.example.payment', data: { amount: 1 } }),
    ];
    const result = await ingestChunk({ n: 0, start: 0, lines }, deps);
    expect(result.counts).toEqual({ received: 2, accepted: 1, rejected: 1, duplicates: 0 });
    expect(stored.get('urn:test|p')?.index).toBe(1);
  });

  it('gives the same counts when the chunk is retried after its writes went through', async () => {
    const { deps } = fakeDeps(['old']);
    const lines = [event('a'), event('a'), event('old'), event('b')];
    const first = await ingestChunk({ n: 0, start: 0, lines }, deps);
    const retry = await ingestChunk({ n: 0, start: 0, lines }, deps);
    expect(first.counts).toEqual({ received: 4, accepted: 2, rejected: 0, duplicates: 2 });
    expect(retry).toEqual(first);
  });

  it('looks up each type’s schema once and rejects data when a stored schema no longer compiles', async () => {
    const { deps, schemaLookups } = fakeDeps();
    const lines = ['x', 'y', 'z'].map((id) => event(id, { type: 'com.example.broken', data: {} }));
    const result = await ingestChunk({ n: 0, start: 0, lines: [...lines, event('w')] }, deps);
    expect(schemaLookups.sort()).toEqual(['com.example.broken', 'com.example.plain']);
    expect(result.counts).toMatchObject({ accepted: 1, rejected: 3 });
    expect(result.rejections[0]!.reason).toMatch(
      /^data: the schema for type com\.example\.broken does not compile/,
    );
  });

  it('rejects an event over the size limit', async () => {
    const { deps } = fakeDeps();
    const result = await ingestChunk(
      { n: 0, start: 0, lines: [event('big', { data: 'x'.repeat(2000) })] },
      deps,
    );
    expect(result.rejections).toEqual([
      { index: 0, id: 'big', reason: expect.stringMatching(/^event: larger than 1024 bytes/) },
    ]);
  });

  it('keeps at most writeConcurrency writes in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const { deps } = fakeDeps([], {
      writeConcurrency: 3,
      async store() {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight--;
        return 'stored';
      },
    });
    const lines = Array.from({ length: 12 }, (_, i) => event(`e${i}`));
    expect((await ingestChunk({ n: 0, start: 0, lines }, deps)).counts.accepted).toBe(12);
    expect(most).toBe(3);
  });

  it('fails the chunk when a write fails (the workflow retries it whole)', async () => {
    const throttled = Object.assign(new Error('throttled'), {
      name: 'ProvisionedThroughputExceededException',
    });
    const { deps } = fakeDeps([], {
      async store() {
        throw throttled;
      },
    });
    await expect(ingestChunk({ n: 0, start: 0, lines: [event('a')] }, deps)).rejects.toBe(throttled);
  });

  it('turns lines the reader rejected (`!`) into rejections with their reason', async () => {
    const { deps } = fakeDeps();
    const lines = [
      event('a'),
      rejectedLine('event: larger than 1024 bytes serialized'),
      rejectedLine('event: not valid UTF-8'),
    ];
    const result = await ingestChunk({ n: 0, start: 5, lines }, deps);
    expect(result.counts).toEqual({ received: 3, accepted: 1, rejected: 2, duplicates: 0 });
    expect(result.rejections).toEqual([
      { index: 6, id: null, reason: 'event: larger than 1024 bytes serialized' },
      { index: 7, id: null, reason: 'event: not valid UTF-8' },
    ]);
  });

  it('rejects the events whose store fails for their own sake, and stores the others', async () => {
    const tooLarge = Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
    const { deps } = fakeDeps([], {
      async store(e) {
        if (e.id === 'big') throw tooLarge;
        if (e.id === 'bug') throw new TypeError('x is undefined');
        return 'stored';
      },
    });
    const result = await ingestChunk(
      { n: 0, start: 0, lines: [event('big'), event('ok'), event('bug')] },
      deps,
    );
    expect(result.counts).toEqual({ received: 3, accepted: 1, rejected: 2, duplicates: 0 });
    expect(result.rejections).toEqual([
      {
        index: 0,
        id: 'big',
        reason:
          'event: could not be stored (ValidationException: Item size has exceeded the maximum allowed size)',
      },
      { index: 2, id: 'bug', reason: 'event: could not be stored (TypeError: x is undefined)' },
    ]);
  });

  it.each([
    ['a 5xx', { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }],
    ['an unnamed 503', { name: 'Weird', $metadata: { httpStatusCode: 503 } }],
    ['a timeout', { name: 'TimeoutError' }],
    ['a reset socket', { code: 'ECONNRESET' }],
    ['a missing table', { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } }],
  ])('fails the chunk on %s from the store or the schema lookup', async (_label, fields) => {
    const error = Object.assign(new Error('infrastructure'), fields);
    const failingStore = fakeDeps([], {
      async store() {
        throw error;
      },
    });
    await expect(ingestChunk({ n: 0, start: 0, lines: [event('a')] }, failingStore.deps)).rejects.toBe(error);
    const failingLookup = fakeDeps([], {
      async schemaFor() {
        throw error;
      },
    });
    await expect(ingestChunk({ n: 0, start: 0, lines: [event('a')] }, failingLookup.deps)).rejects.toBe(
      error,
    );
  });

  it('rejects the events of a type whose schema cannot be read (not infrastructure)', async () => {
    const { deps } = fakeDeps([], {
      async schemaFor(type) {
        if (type === 'com.example.plain') throw new SyntaxError('Unexpected token');
        return undefined;
      },
    });
    const result = await ingestChunk(
      { n: 0, start: 0, lines: [event('a'), event('b', { type: 'com.example.other' })] },
      deps,
    );
    expect(result.counts).toMatchObject({ accepted: 1, rejected: 1 });
    expect(result.rejections[0]!.reason).toBe(
      'data: the schema for type com.example.plain could not be read (SyntaxError: Unexpected token)',
    );
  });

  it('cuts long ids in rejections and marks them', async () => {
    const { deps } = fakeDeps();
    const id = 'x'.repeat(900);
    const result = await ingestChunk({ n: 0, start: 0, lines: [event(id, { specversion: '2' })] }, deps);
    expect(result.rejections).toEqual([
      { index: 0, id: 'x'.repeat(256), idTruncated: true, reason: 'specversion: must be "1.0"' },
    ]);
  });

  it('runs a catastrophic-backtracking pattern in linear time: 40 a’s and a ! are simply rejected', async () => {
    const { deps } = fakeDeps([], {
      async schemaFor() {
        return { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } };
      },
    });
    const lines = [
      event('bad', { data: { s: `${'a'.repeat(40)}!` } }),
      event('good', { data: { s: 'aaaa' } }),
    ];
    const result = await ingestChunk({ n: 0, start: 0, lines }, deps);
    expect(result.counts).toMatchObject({ accepted: 1, rejected: 1 });
    expect(result.rejections).toEqual([
      { index: 0, id: 'bad', reason: 'data: must match pattern "^(a+)+$" (at /s)' },
    ]);
  });

  it('stops a validation that runs too long and rejects the event, then goes on with the others', async () => {
    // uniqueItems over objects is quadratic: 20,000 distinct objects take far longer than 20 ms.
    const { deps } = fakeDeps([], {
      validationTime: { perEventMs: 20, perChunkMs: 10_000 },
      async schemaFor() {
        return { type: 'array', uniqueItems: true };
      },
    });
    const slow = Array.from({ length: 20_000 }, (_, i) => ({ i }));
    const lines = [event('slow', { data: slow }), event('fast', { data: [{ i: 1 }, { i: 2 }] })];
    const result = await ingestChunk({ n: 0, start: 0, lines }, { ...deps, maxEventBytes: 1_000_000 });
    expect(result.rejections).toEqual([
      { index: 0, id: 'slow', reason: 'data: schema validation stopped after 20 ms' },
    ]);
    expect(result.counts).toMatchObject({ accepted: 1, rejected: 1 });
  });
});
