import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../functions/submit-events/handler';
import { apiEvent, lambdaContext, parsed } from './api-event';
import { jobKey } from '../../shared/aws/stores/jobs';
import { readQueueMessage } from '../../shared/api/queue-messages';

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'sluice',
    BUCKET_NAME: 'sluice-bucket',
    QUEUE_URL: 'https://sqs.example/ingest',
    MAX_REQUEST_BYTES: '2000',
    MAX_EVENTS_PER_REQUEST: '3',
    MAX_INLINE_BYTES: '200',
  });
});

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBDocumentClient);

const event = (id: string) => ({ specversion: '1.0', id, source: 'urn:test', type: 'com.example.test' });
/** 77 bytes each: two (157 bytes as an array) travel inline under MAX_INLINE_BYTES = 200, three (235) do not. */
const small = [event('a'), event('b')];
const large = [event('a'), event('b'), event('c')];
/** One event whose array text is exactly `bytes` long, padding its id with `pad` (1 to 3 UTF-8 bytes). */
function sized(bytes: number, pad = 'x') {
  const base = JSON.stringify([event('')]).length;
  const id = pad.repeat(Math.floor((bytes - base) / Buffer.byteLength(pad)));
  return [event(id + 'x'.repeat(bytes - base - Buffer.byteLength(id)))];
}
const post = (body: string, contentType = 'application/json', tenant: string | null = 'alice') =>
  handler(
    apiEvent('POST /events', { tenant, body, headers: { 'content-type': contentType } }),
    lambdaContext,
  ).then(parsed);

beforeEach(() => {
  for (const mock of [s3, sqs, ddb]) mock.reset();
  s3.on(PutObjectCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});

describe('POST /events', () => {
  it('sends a small submission inline: exactly PutItem of the job and SendMessage, no S3 call', async () => {
    const result = await post(JSON.stringify(small));
    expect(result.status).toBe(202);
    const { jobId } = result.body;

    expect(s3.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(1);
    expect(sqs.calls()).toHaveLength(1);
    const job = ddb.commandCalls(PutCommand)[0]!.args[0].input;
    expect(job).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { jobId, tenant: 'alice', source: 'api', status: 'QUEUED' },
    });
    expect(job.Item).not.toHaveProperty('submission');
    const message = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(message.QueueUrl).toBe('https://sqs.example/ingest');
    expect(JSON.parse(message.MessageBody!)).toEqual({
      kind: 'submission',
      jobId,
      tenant: 'alice',
      events: small,
    });
    // The message is the parsed candidates, readable by the starter.
    expect(readQueueMessage(message.MessageBody!)).toEqual({
      kind: 'submission',
      jobId,
      tenant: 'alice',
      events: small,
    });
  });

  it('sends inline up to exactly maxInlineBytes of UTF-8, and stores anything larger in S3', async () => {
    const at = sized(200);
    expect(Buffer.byteLength(JSON.stringify(at))).toBe(200);
    await post(JSON.stringify(at));
    expect(s3.calls()).toHaveLength(0);
    expect(JSON.parse(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody!).events).toEqual(
      at,
    );

    for (const over of [sized(201), sized(201, 'é'), sized(201, '€')]) {
      expect(Buffer.byteLength(JSON.stringify(over))).toBe(201);
      s3.resetHistory();
      sqs.resetHistory();
      await post(JSON.stringify(over));
      expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
      expect(JSON.parse(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody!)).toHaveProperty(
        'key',
      );
    }
    // Bytes, not characters: 2-byte padding makes fewer characters than bytes.
    expect(JSON.stringify(sized(201, 'é')).length).toBeLessThan(200);
  });

  it('stores a larger submission in S3, opens a QUEUED job and queues a reference to it', async () => {
    const events = large;
    const result = await post(JSON.stringify(events));

    expect(result.status).toBe(202);
    const { jobId } = result.body;
    expect(result.body).toEqual({
      jobId: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      status: 'QUEUED',
    });
    expect(result.headers.Location).toBe(`/jobs/${jobId}`);

    const key = `submissions/alice/${jobId}.json`;
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'sluice-bucket', Key: key, ContentType: 'application/json' });
    expect(JSON.parse(put.Body as string)).toEqual(events);

    const job = ddb.commandCalls(PutCommand)[0]!.args[0].input;
    expect(job).toMatchObject({
      TableName: 'sluice',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        ...jobKey('alice', jobId, 8),
        jobId,
        tenant: 'alice',
        source: 'api',
        status: 'QUEUED',
        counts: { received: 0, accepted: 0, rejected: 0, duplicates: 0 },
        errors: [],
        submission: { bucket: 'sluice-bucket', key },
      },
    });

    const message = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(message.QueueUrl).toBe('https://sqs.example/ingest');
    expect(JSON.parse(message.MessageBody!)).toEqual({
      kind: 'submission',
      jobId,
      tenant: 'alice',
      bucket: 'sluice-bucket',
      key,
    });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('accepts a single structured event as a one-event submission', async () => {
    const result = await post(JSON.stringify(event('solo')), 'application/cloudevents+json');
    expect(result.status).toBe(202);
    const body = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody!;
    expect(JSON.parse(body).events).toEqual([event('solo')]);
  });

  it.each([
    ['a body that is not JSON', '{"id":', 'application/json', 400, 'InvalidJson'],
    ['an empty batch', '[]', 'application/cloudevents-batch+json', 400, 'EmptyBatch'],
    [
      'a body over the size limit',
      JSON.stringify([{ pad: 'x'.repeat(2100) }]),
      'application/json',
      413,
      'PayloadTooLarge',
    ],
    [
      'too many events',
      JSON.stringify([1, 2, 3, 4].map(String).map(event)),
      'application/json',
      413,
      'TooManyEvents',
    ],
    ['another content type', '<x/>', 'text/xml', 415, 'UnsupportedMediaType'],
  ])('refuses %s with %i %s and opens no job', async (_what, body, contentType, status, code) => {
    const result = await post(body, contentType);
    expect(result.status).toBe(status);
    expect(result.body.error.code).toBe(code);
    expect(s3.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('refuses a request without an authenticated caller', async () => {
    const result = await post(JSON.stringify([event('a')]), 'application/json', null);
    expect(result.status).toBe(401);
    expect(result.body.error.code).toBe('Unauthorized');
  });

  it.each([
    ['inline', small],
    ['stored', large],
  ])(
    'fails the %s job (EnqueueFailed) when its message cannot be queued, and answers 500',
    async (_kind, events) => {
      sqs.on(SendMessageCommand).rejects(new Error('queue unavailable'));
      const result = await post(JSON.stringify(events));

      expect(result.status).toBe(500);
      expect(result.body.error.code).toBe('InternalError');
      const { jobId } = ddb.commandCalls(PutCommand)[0]!.args[0].input.Item as { jobId: string };
      const update = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
      expect(update.Key).toEqual(jobKey('alice', jobId, 8));
      expect(update.ExpressionAttributeValues).toMatchObject({ ':to': 'FAILED' });
      expect(Object.values(update.ExpressionAttributeValues!)).toContainEqual({
        error: 'EnqueueFailed',
        cause: expect.stringContaining('queue unavailable'),
      });
    },
  );

  it('answers 500 and opens no job when the submission cannot be stored', async () => {
    s3.on(PutObjectCommand).rejects(new Error('S3 down'));
    const result = await post(JSON.stringify(large));
    expect(result.status).toBe(500);
    expect(ddb.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });
});
