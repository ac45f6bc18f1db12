import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { handler } from '../../functions/ingest-chunk/handler';
import { metrics } from '../../shared/aws/observability';
import { rejectedLine } from '../../shared/pipeline/lines';
import { lambdaContext } from './api-event';
import { memoryS3, type MemoryBucket } from './memory-s3';

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'sluice',
    BUCKET_NAME: 'bucket',
    MAX_EVENT_BYTES: '1000',
    WRITE_CONCURRENCY: '4',
  });
});

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
let bucket: MemoryBucket;
/** Event items by pk, with the job and index that wrote them. */
let table: Map<string, { jobId: string; idx: number }>;

const JOB = '01JOBINGEST000000000000000';
const event = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ specversion: '1.0', id, source: 'urn:test', type: 'com.example.plain', ...extra });
const payment = (id: string, amount: number) => event(id, { type: 'com.example.payment', data: { amount } });
const paymentSchema = {
  type: 'object',
  required: ['amount'],
  properties: { amount: { type: 'number', minimum: 0 } },
};

const ingest = (n: number, start: number, jobId = JOB) =>
  handler({ jobId, tenant: 'alice', chunk: { n, start } }, lambdaContext);

beforeEach(() => {
  s3.reset();
  ddb.reset();
  bucket = memoryS3(s3);
  table = new Map();
  // The store's condition: attribute_not_exists(pk) OR (jobId = :jobId AND idx = :idx).
  ddb.on(PutCommand).callsFake((input) => {
    const existing = table.get(input.Item.pk);
    const { ':jobId': jobId, ':idx': idx } = input.ExpressionAttributeValues;
    if (existing && !(existing.jobId === jobId && existing.idx === idx)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
    table.set(input.Item.pk, { jobId: input.Item.jobId, idx: input.Item.idx });
    return {};
  });
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { pk: 'TENANT#alice', sk: 'SCHEMA#com.example.payment' } }).resolves({
    Item: {
      type: 'com.example.payment',
      schema: JSON.stringify(paymentSchema),
      createdAt: 't',
      updatedAt: 't',
    },
  });
});

describe('ingest-chunk', () => {
  it('validates and stores a chunk, writes its result and returns its counts', async () => {
    table.set('EVENT#alice#urn%3Atest#old', { jobId: 'OTHER', idx: 0 });
    const lines = [
      event('a'), // 20
      '{"specversion":"1.0"', // 21 not JSON
      event('b', { source: undefined }), // 22 no source
      payment('p1', 3), // 23
      payment('p2', -3), // 24 schema
      event('old'), // 25 stored by another job
      '', // 26 blank
      event('a'), // 27 same event again
    ];
    bucket.put('bucket', `work/${JOB}/chunks/2.ndjson`, lines.join('\n'));
    const out = await ingest(2, 20);

    expect(out).toEqual({ n: 2, received: 7, accepted: 2, rejected: 3, duplicates: 2 });
    expect(bucket.json('bucket', `work/${JOB}/results/2.json`)).toEqual({
      n: 2,
      counts: { received: 7, accepted: 2, rejected: 3, duplicates: 2 },
      rejections: [
        { index: 21, id: null, reason: expect.stringMatching(/^event: not valid JSON/) },
        { index: 22, id: 'b', reason: 'source: required' },
        { index: 24, id: 'p2', reason: expect.stringMatching(/^data: /) },
      ],
    });
    expect(table.get('EVENT#alice#urn%3Atest#a')).toEqual({ jobId: JOB, idx: 20 });
    expect(table.get('EVENT#alice#urn%3Atest#p1')).toEqual({ jobId: JOB, idx: 23 });
    // One schema lookup per type in the chunk, whatever the number of its events.
    expect(
      ddb
        .commandCalls(GetCommand)
        .map((c) => c.args[0].input.Key?.sk)
        .sort(),
    ).toEqual(['SCHEMA#com.example.payment', 'SCHEMA#com.example.plain']);
  });

  it('counts the same on a retry that finds its own writes already there', async () => {
    bucket.put('bucket', `work/${JOB}/chunks/0.ndjson`, [event('a'), event('b'), event('a')].join('\n'));
    const first = await ingest(0, 0);
    const retried = await ingest(0, 0);
    expect(first).toEqual({ n: 0, received: 3, accepted: 2, rejected: 0, duplicates: 1 });
    expect(retried).toEqual(first);
  });

  it('counts events another job stored first as duplicates', async () => {
    bucket.put('bucket', `work/OTHERJOB/chunks/0.ndjson`, event('a'));
    bucket.put('bucket', `work/${JOB}/chunks/0.ndjson`, [event('a'), event('c')].join('\n'));
    await ingest(0, 0, 'OTHERJOB');
    expect(await ingest(0, 0)).toEqual({ n: 0, received: 2, accepted: 1, rejected: 0, duplicates: 1 });
  });

  it('emits the accepted, rejected and duplicate counts as metrics', async () => {
    const addMetric = vi.spyOn(metrics, 'addMetric');
    bucket.put('bucket', `work/${JOB}/chunks/0.ndjson`, [event('a'), event('a'), 'nope'].join('\n'));
    await ingest(0, 0);
    expect(addMetric).toHaveBeenCalledWith('EventsAccepted', MetricUnit.Count, 1);
    expect(addMetric).toHaveBeenCalledWith('EventsRejected', MetricUnit.Count, 1);
    expect(addMetric).toHaveBeenCalledWith('EventsDuplicate', MetricUnit.Count, 1);
    addMetric.mockRestore();
  });

  it('lets a throttled write fail the task under its own name (the workflow retries it)', async () => {
    ddb
      .on(PutCommand)
      .rejects(
        Object.assign(new Error('throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }),
      );
    bucket.put('bucket', `work/${JOB}/chunks/0.ndjson`, event('a'));
    await expect(ingest(0, 0)).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(bucket.text('bucket', `work/${JOB}/results/0.json`)).toBeUndefined();
  });

  it('rejects what the reader rejected and what DynamoDB refuses, and the job goes on', async () => {
    ddb.on(PutCommand, { Item: { id: 'huge' } }).rejects(
      Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const lines = [event('a'), rejectedLine('event: not valid UTF-8'), event('huge'), event('x'.repeat(900))];
    bucket.put('bucket', `work/${JOB}/chunks/0.ndjson`, lines.join('\n'));
    expect(await ingest(0, 0)).toEqual({ n: 0, received: 4, accepted: 2, rejected: 2, duplicates: 0 });
    expect(bucket.json('bucket', `work/${JOB}/results/0.json`)).toMatchObject({
      rejections: [
        { index: 1, id: null, reason: 'event: not valid UTF-8' },
        {
          index: 2,
          id: 'huge',
          reason:
            'event: could not be stored (ValidationException: Item size has exceeded the maximum allowed size)',
        },
      ],
    });
  });

  it('fails with JobNotRunnable when the chunk does not exist', async () => {
    await expect(ingest(5, 0)).rejects.toMatchObject({
      name: 'JobNotRunnable',
      message: `chunk 5 of job ${JOB} does not exist`,
    });
  });
});
