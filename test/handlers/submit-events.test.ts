import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../functions/submit-events/handler';
import { apiEvent, lambdaContext, parsed } from './api-event';
import { jobKey } from '../../shared/aws/stores/jobs';

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
  });
});

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBDocumentClient);

const event = (id: string) => ({ specversion: '1.0', id, source: 'urn:test', type: 'com.example.test' });
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
  it('stores the submission, opens a QUEUED job and queues it', async () => {
    const events = [event('a'), event('b')];
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
    const body = s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body as string;
    expect(JSON.parse(body)).toEqual([event('solo')]);
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

  it('fails the job (EnqueueFailed) when its message cannot be queued, and answers 500', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('queue unavailable'));
    const result = await post(JSON.stringify([event('a')]));

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
  });

  it('answers 500 and opens no job when the submission cannot be stored', async () => {
    s3.on(PutObjectCommand).rejects(new Error('S3 down'));
    const result = await post(JSON.stringify([event('a')]));
    expect(result.status).toBe(500);
    expect(ddb.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });
});
