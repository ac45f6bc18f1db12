import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import { handler } from '../../functions/start-execution/handler';
import { lambdaContext } from './api-event';
import { jobKey } from '../../shared/aws/stores/jobs';

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'sluice',
    BUCKET_NAME: 'sluice-bucket',
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:ingest',
    MAX_RECEIVE_COUNT: '5',
    UPLOAD_GRACE_SECONDS: '60',
    QUEUE_URL: 'https://sqs.example/ingest',
  });
});

const sfn = mockClient(SFNClient);
const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);

function record(body: unknown, messageId: string, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '0',
      SenderId: 'sender',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:ingest',
    awsRegion: 'us-east-1',
  };
}
const run = (...records: SQSRecord[]) => handler({ Records: records } as SQSEvent, lambdaContext);

const submission = (jobId: string) => ({
  kind: 'submission',
  jobId,
  tenant: 'alice',
  bucket: 'sluice-bucket',
  key: `submissions/alice/${jobId}.json`,
});
const s3Notification = (key: string, eventName = 'ObjectCreated:Put') => ({
  Records: [
    {
      eventSource: 'aws:s3',
      eventName,
      s3: { bucket: { name: 'sluice-bucket' }, object: { key, size: 10 } },
    },
  ],
});
const starts = () => sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
const updates = () => ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
/** The attributes an UpdateCommand sets, by name. */
const written = (input: ReturnType<typeof updates>[number]) =>
  Object.fromEntries(
    Object.entries(input.ExpressionAttributeNames!)
      .filter(([placeholder]) => input.UpdateExpression!.includes(`${placeholder} = `))
      .map(([placeholder, name]) => {
        const value = input.UpdateExpression!.match(new RegExp(`${placeholder} = (:\\w+)`))![1]!;
        return [name, input.ExpressionAttributeValues![value]];
      }),
  );

beforeEach(() => {
  for (const mock of [sfn, sqs, ddb, s3]) mock.reset();
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution', startDate: new Date() });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
  ddb.on(UpdateCommand).resolves({ Attributes: { status: 'FAILED' } });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('start-execution', () => {
  it('starts one execution per job and reports exactly the record that failed', async () => {
    sfn
      .on(StartExecutionCommand, { name: 'JOB-BAD' })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    const result = await run(record(submission('JOB-OK'), 'm-ok'), record(submission('JOB-BAD'), 'm-bad'));

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-bad' }] });
    const ok = starts().find((input) => input.name === 'JOB-OK')!;
    expect(ok.stateMachineArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:ingest');
    expect(JSON.parse(ok.input!)).toEqual({
      jobId: 'JOB-OK',
      tenant: 'alice',
      source: 'api',
      bucket: 'sluice-bucket',
      key: 'submissions/alice/JOB-OK.json',
    });
    expect(updates()).toEqual([]); // not the last receive: the job stays as it is
  });

  it('counts ExecutionAlreadyExists (a duplicate delivery) as success', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    expect(await run(record(submission('JOB-1'), 'm-1'))).toEqual({ batchItemFailures: [] });
  });

  it("ignores S3's test event", async () => {
    expect(await run(record({ Service: 'Amazon S3', Event: 's3:TestEvent' }, 'm-test'))).toEqual({
      batchItemFailures: [],
    });
    expect(starts()).toEqual([]);
  });

  it('starts an upload job from its S3 notification, decoding the key', async () => {
    const notification = s3Notification('uploads/alice/JOB-UP/my+events+%281%29.ndjson');
    expect(await run(record(notification, 'm-s3'))).toEqual({ batchItemFailures: [] });
    expect(starts()).toHaveLength(1);
    expect(starts()[0]!.name).toBe('JOB-UP');
    expect(JSON.parse(starts()[0]!.input!)).toEqual({
      jobId: 'JOB-UP',
      tenant: 'alice',
      source: 'upload',
      bucket: 'sluice-bucket',
      key: 'uploads/alice/JOB-UP/my events (1).ndjson',
    });
  });

  it('ignores notifications for other keys and other event names', async () => {
    const result = await run(
      record(s3Notification('submissions/alice/JOB.json'), 'm-other-key'),
      record(s3Notification('uploads/alice/JOB/a.ndjson', 'ObjectRemoved:Delete'), 'm-removed'),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(starts()).toEqual([]);
  });

  it('fails an unreadable message without touching any job', async () => {
    const result = await run(record('not json', 'm-junk', 5), record({ kind: 'mystery' }, 'm-kind', 5));
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m-junk', 'm-kind']);
    expect(starts()).toEqual([]);
    expect(updates()).toEqual([]);
  });

  it('fails the job (DeliveryFailed) on the last receive, and still reports the failure', async () => {
    const poison = { kind: 'submission', jobId: 'JOB-P', tenant: 'alice' }; // no bucket, no key
    const result = await run(record(poison, 'm-poison', 5));

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-poison' }] });
    expect(starts()).toEqual([]);
    const [update] = updates();
    expect(update!.Key).toEqual(jobKey('alice', 'JOB-P', 8));
    expect(written(update!)).toMatchObject({
      status: 'FAILED',
      failure: { error: 'DeliveryFailed', cause: expect.stringMatching(/bucket.*key/) },
      finishedAt: expect.any(String),
    });
    // Only a job that has not started: a RUNNING job belongs to its execution.
    expect(update!.ConditionExpression).toBe('attribute_exists(pk) AND #status IN (:from0, :from1)');
    expect([
      update!.ExpressionAttributeValues![':from0'],
      update!.ExpressionAttributeValues![':from1'],
    ]).toEqual(['PENDING_UPLOAD', 'QUEUED']);
  });

  it('records why StartExecution kept failing on the last receive', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('state machine does not exist'));
    const result = await run(record(submission('JOB-2'), 'm-2', 6));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-2' }]);
    expect(written(updates()[0]!).failure).toEqual({
      error: 'DeliveryFailed',
      cause: 'state machine does not exist',
    });
  });

  describe('upload deadline', () => {
    const expiresAt = '2026-03-01T12:15:00.000Z';
    const deadline = { kind: 'upload-deadline', jobId: 'JOB-D', tenant: 'alice', expiresAt };
    const at = (iso: string) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date(iso));
    };

    it('re-queues a deadline that is not due yet with the remaining delay', async () => {
      at('2026-03-01T12:15:30.000Z'); // expired 30 s ago, grace 60 s
      expect(await run(record(deadline, 'm-d'))).toEqual({ batchItemFailures: [] });
      const [sent] = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
      expect(sent).toMatchObject({ QueueUrl: 'https://sqs.example/ingest', DelaySeconds: 30 });
      expect(JSON.parse(sent!.MessageBody!)).toEqual(deadline);
      expect(updates()).toEqual([]);
    });

    it('waits at most 15 minutes per hop', async () => {
      at('2026-03-01T11:00:00.000Z');
      await run(record(deadline, 'm-d'));
      expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.DelaySeconds).toBe(900);
    });

    const uploadKey = 'uploads/alice/JOB-D/events.ndjson';
    const waitingJob = {
      ...jobKey('alice', 'JOB-D', 8),
      jobId: 'JOB-D',
      tenant: 'alice',
      source: 'upload',
      status: 'PENDING_UPLOAD',
      filename: 'events.ndjson',
      uploadExpiresAt: expiresAt,
      counts: { received: 0, accepted: 0, rejected: 0, duplicates: 0 },
      errors: [],
    };
    const notFound = () => new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
    const heads = () => s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input);

    beforeEach(() => {
      ddb.on(GetCommand).resolves({ Item: waitingJob });
      s3.on(HeadObjectCommand).rejects(notFound());
    });

    it('fails a job still waiting for its file once due, when S3 has no file (UploadNotReceived)', async () => {
      at('2026-03-01T12:16:01.000Z');
      expect(await run(record(deadline, 'm-d'))).toEqual({ batchItemFailures: [] });
      expect(sqs.calls()).toHaveLength(0);
      expect(heads()).toEqual([{ Bucket: 'sluice-bucket', Key: uploadKey }]);
      expect(starts()).toEqual([]);
      const [update] = updates();
      expect(update!.Key).toEqual(jobKey('alice', 'JOB-D', 8));
      expect(update!.ConditionExpression).toBe('attribute_exists(pk) AND #status IN (:from0)');
      expect(update!.ExpressionAttributeValues![':from0']).toBe('PENDING_UPLOAD');
      expect(written(update!)).toMatchObject({
        status: 'FAILED',
        failure: {
          error: 'UploadNotReceived',
          cause: `no file was uploaded before the signed URL expired at ${expiresAt}`,
        },
        finishedAt: '2026-03-01T12:16:01.000Z',
      });
    });

    it('starts the job instead when its file landed (a PUT that finished after expiry)', async () => {
      at('2026-03-01T12:16:01.000Z');
      s3.on(HeadObjectCommand, { Bucket: 'sluice-bucket', Key: uploadKey }).resolves({ ContentLength: 10 });
      expect(await run(record(deadline, 'm-d'))).toEqual({ batchItemFailures: [] });
      expect(updates()).toEqual([]);
      expect(starts()).toHaveLength(1);
      expect(starts()[0]!.name).toBe('JOB-D');
      // Exactly the input the file's own notification starts it with, so that start is a no-op.
      expect(JSON.parse(starts()[0]!.input!)).toEqual({
        jobId: 'JOB-D',
        tenant: 'alice',
        source: 'upload',
        bucket: 'sluice-bucket',
        key: uploadKey,
      });
    });

    it('counts an execution the notification already started as success', async () => {
      at('2026-03-01T12:16:01.000Z');
      s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
      sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
      expect(await run(record(deadline, 'm-d'))).toEqual({ batchItemFailures: [] });
      expect(updates()).toEqual([]);
    });

    it('leaves a job that is no longer waiting alone, without looking at S3', async () => {
      at('2026-03-01T12:20:00.000Z');
      for (const status of ['RUNNING', 'SUCCEEDED', 'FAILED']) {
        ddb.on(GetCommand).resolves({ Item: { ...waitingJob, status } });
        expect(await run(record(deadline, `m-${status}`))).toEqual({ batchItemFailures: [] });
      }
      ddb.on(GetCommand).resolves({});
      expect(await run(record(deadline, 'm-gone'))).toEqual({ batchItemFailures: [] });
      expect(heads()).toEqual([]);
      expect(updates()).toEqual([]);
      expect(starts()).toEqual([]);
    });

    it('leaves a job whose file arrived meanwhile alone (the condition fails)', async () => {
      at('2026-03-01T12:20:00.000Z');
      // DynamoDB returns the item whose condition failed (ReturnValuesOnConditionCheckFailure).
      const Item = { pk: { S: jobKey('alice', 'JOB-D', 8).pk } };
      ddb
        .on(UpdateCommand)
        .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item }));
      expect(await run(record(deadline, 'm-d'))).toEqual({ batchItemFailures: [] });
      expect(updates()).toHaveLength(1);
    });

    it('retries the deadline when S3 cannot answer, rather than failing the job', async () => {
      at('2026-03-01T12:20:00.000Z');
      s3.on(HeadObjectCommand).rejects(
        Object.assign(new Error('Service Unavailable'), {
          name: 'ServiceUnavailable',
          $metadata: { httpStatusCode: 503 },
        }),
      );
      expect(await run(record(deadline, 'm-d'))).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-d' }] });
      expect(updates()).toEqual([]);
      expect(starts()).toEqual([]);
    });
  });
});
