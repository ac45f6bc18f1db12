import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { HeadObjectCommand, NotFound, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { handler } from '../../functions/start-execution/handler';
import { lambdaContext } from './api-event';
import { jobKey } from '../../shared/aws/stores/jobs';
import type { JobRef } from '../../shared/api/queue-messages';
import { memorySlots, type MemorySlots } from './memory-slots';

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
    TENANT_RUNNING_JOBS: '4',
  });
});

const sfn = mockClient(SFNClient);
const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
let slots: MemorySlots;

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
/** A minute left: room to back off inside the invocation. */
const roomy = { ...lambdaContext, getRemainingTimeInMillis: () => 60_000 };
/** Less left than the starter keeps for re-queueing: no backoff at all. */
const tight = { ...lambdaContext, getRemainingTimeInMillis: () => 5_000 };
const runIn = (context: typeof lambdaContext, ...records: SQSRecord[]) =>
  handler({ Records: records } as SQSEvent, context);
const run = (...records: SQSRecord[]) => runIn(roomy, ...records);
const throttling = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 400 },
  });

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
/** Job updates (the slot claims and releases on `RUNNING` left out). */
const updates = () =>
  ddb
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Key?.sk !== 'RUNNING');
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
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `re-${entry.Id}` })),
    Failed: [],
  }));
  s3.on(PutObjectCommand).resolves({});
  // Backoff waits are random() × the cap: zero here, so retries run at once.
  vi.spyOn(Math, 'random').mockReturnValue(0);
  ddb.on(UpdateCommand).resolves({ Attributes: { status: 'FAILED' } });
  // Jobs read as still open (and no tenant limits override) unless a test says otherwise.
  ddb.on(GetCommand).resolves({ Item: { status: 'QUEUED' } });
  slots = memorySlots(ddb);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('start-execution', () => {
  it('starts one execution per stored job and reports exactly the record that failed', async () => {
    sfn
      .on(StartExecutionCommand, { name: 'JOB-BAD' })
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

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

describe('start-execution: inline submissions', () => {
  const inline = (jobId: string, events: unknown[] = [{ id: jobId }], tenant = 'alice') => ({
    kind: 'submission',
    jobId,
    tenant,
    events,
  });
  const puts = () => s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
  const groupIdOf = (jobIds: string[]) =>
    `g-${createHash('sha256')
      .update([...jobIds].sort().join('\n'))
      .digest('hex')
      .slice(0, 40)}`;

  /**
   * StartExecution as Step Functions does it: a second start of a name is ExecutionAlreadyExists. The first
   * `crashes` calls fail with a network error before reaching it.
   */
  function stepFunctionsNames(crashes = 0): Set<string> {
    const started = new Set<string>();
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => {
      if (crashes-- > 0) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      if (started.has(input.name)) throw new ExecutionAlreadyExists({ message: 'exists', $metadata: {} });
      started.add(input.name);
      return { executionArn: `arn:execution:${input.name}`, startDate: new Date() };
    });
    return started;
  }

  it('writes each group once and starts one execution for it, named by the groupId, carrying its jobs', async () => {
    const result = await run(
      record(inline('JOB-B', [{ id: 'b1' }, { id: 'b2' }]), 'm-b'),
      record(inline('JOB-A', [{ id: 'a1' }], 'bob'), 'm-a'),
      record(inline('JOB-C'), 'm-c'),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    const groupId = groupIdOf(['JOB-A', 'JOB-B', 'JOB-C']);
    expect(groupId).toMatch(/^g-[0-9a-f]{40}$/);

    const [put, ...morePuts] = puts();
    expect(morePuts).toEqual([]);
    expect(put).toMatchObject({
      Bucket: 'sluice-bucket',
      Key: `work/groups/${groupId}.json`,
      ContentType: 'application/json',
    });
    expect(JSON.parse(put!.Body as string)).toEqual({
      groupId,
      jobs: [
        { jobId: 'JOB-A', tenant: 'bob', events: [{ id: 'a1' }] },
        { jobId: 'JOB-B', tenant: 'alice', events: [{ id: 'b1' }, { id: 'b2' }] },
        { jobId: 'JOB-C', tenant: 'alice', events: [{ id: 'JOB-C' }] },
      ],
    });

    const [start, ...moreStarts] = starts();
    expect(moreStarts).toEqual([]);
    expect(start!.name).toBe(groupId);
    expect(start!.stateMachineArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:ingest');
    expect(JSON.parse(start!.input!)).toEqual({
      group: { id: groupId, bucket: 'sluice-bucket', key: `work/groups/${groupId}.json` },
      jobs: [
        { jobId: 'JOB-A', tenant: 'bob' },
        { jobId: 'JOB-B', tenant: 'alice' },
        { jobId: 'JOB-C', tenant: 'alice' },
      ],
    });
    expect(updates()).toEqual([]); // no per-job write: ingest-group finishes each job
  });

  it('puts the group object before starting its execution', async () => {
    const order: string[] = [];
    s3.on(PutObjectCommand).callsFake(() => (order.push('put'), {}));
    sfn.on(StartExecutionCommand).callsFake(() => (order.push('start'), { executionArn: 'arn:x' }));
    await run(record(inline('JOB-1'), 'm-1'));
    expect(order).toEqual(['put', 'start']);
  });

  it('groups at most 1,000 jobs per execution, and mixes with stored jobs and uploads', async () => {
    const records = Array.from({ length: 2_500 }, (_, n) =>
      record(inline(`JOB-${String(n).padStart(5, '0')}`), `m-${n}`),
    );
    records.push(record(submission('JOB-BIG'), 'm-big'));
    records.push(record(s3Notification('uploads/alice/JOB-UP/f.ndjson'), 'm-up'));
    expect(await run(...records)).toEqual({ batchItemFailures: [] });

    const groups = starts().filter((input) => input.name!.startsWith('g-'));
    expect(groups.map((input) => JSON.parse(input.input!).jobs.length).sort()).toEqual([1000, 1000, 500]);
    expect(puts()).toHaveLength(3);
    const carried = groups.flatMap((input) => JSON.parse(input.input!).jobs.map((j: JobRef) => j.jobId));
    expect(new Set(carried).size).toBe(2_500);
    expect(
      starts()
        .map((input) => input.name)
        .filter((name) => !name!.startsWith('g-'))
        .sort(),
    ).toEqual(['JOB-BIG', 'JOB-UP']);
  });

  it('carries a job delivered twice in one batch once, and acknowledges both deliveries', async () => {
    const result = await run(
      record(inline('JOB-1'), 'm-1'),
      record(inline('JOB-2'), 'm-2'),
      record(inline('JOB-1'), 'm-1-again'),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(JSON.parse(starts()[0]!.input!).jobs).toEqual([
      { jobId: 'JOB-1', tenant: 'alice' },
      { jobId: 'JOB-2', tenant: 'alice' },
    ]);
    expect(starts()[0]!.name).toBe(groupIdOf(['JOB-1', 'JOB-2']));
  });

  it('counts ExecutionAlreadyExists (the same set delivered again, in any order) as success', async () => {
    const started = stepFunctionsNames();
    expect(await run(record(inline('JOB-1'), 'm-1'), record(inline('JOB-2'), 'm-2'))).toEqual({
      batchItemFailures: [],
    });
    expect(await run(record(inline('JOB-2'), 'm-2', 2), record(inline('JOB-1'), 'm-1', 2))).toEqual({
      batchItemFailures: [],
    });
    expect(starts().map((input) => input.name)).toEqual([
      groupIdOf(['JOB-1', 'JOB-2']),
      groupIdOf(['JOB-1', 'JOB-2']),
    ]);
    expect([...started]).toEqual([groupIdOf(['JOB-1', 'JOB-2'])]);
  });

  it('runs a group exactly once across a crash after its PutObject and before StartExecution', async () => {
    const started = stepFunctionsNames(1);
    const batch = (receiveCount: number) => [
      record(inline('JOB-1'), 'm-1', receiveCount),
      record(inline('JOB-2'), 'm-2', receiveCount),
    ];

    // First delivery: the object is written, the start never happens, the messages come back.
    expect(await run(...batch(1))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }],
    });
    expect(started.size).toBe(0);
    // Redelivery: the same jobs, so the same group and name; the execution starts now.
    expect(await run(...batch(2))).toEqual({ batchItemFailures: [] });

    const groupId = groupIdOf(['JOB-1', 'JOB-2']);
    expect([...started]).toEqual([groupId]);
    expect(puts().map((put) => put.Key)).toEqual([
      `work/groups/${groupId}.json`,
      `work/groups/${groupId}.json`,
    ]);
    expect(puts()[0]!.Body).toBe(puts()[1]!.Body);
    expect(updates()).toEqual([]); // not the last receive: no job was failed
  });

  it('runs a group exactly once when the start reached Step Functions but its answer was lost', async () => {
    const started = stepFunctionsNames();
    let first = true;
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => {
      started.add(input.name);
      if (first) {
        first = false;
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
      throw new ExecutionAlreadyExists({ message: 'exists', $metadata: {} });
    });
    expect((await run(record(inline('JOB-1'), 'm-1'))).batchItemFailures).toHaveLength(1);
    expect(await run(record(inline('JOB-1'), 'm-1', 2))).toEqual({ batchItemFailures: [] });
    expect([...started]).toEqual([groupIdOf(['JOB-1'])]);
  });

  it('fails every job of a group whose object cannot be written on the last receive (DeliveryFailed)', async () => {
    s3.on(PutObjectCommand).rejects(new Error('bucket gone'));
    const result = await run(record(inline('JOB-1'), 'm-1', 5), record(inline('JOB-2'), 'm-2', 1));
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m-1', 'm-2']);
    expect(starts()).toEqual([]);
    // Only the message on its last receive fails its job; the other comes back.
    expect(updates().map((update) => update.Key)).toEqual([jobKey('alice', 'JOB-1', 8)]);
    expect(written(updates()[0]!).failure).toEqual({ error: 'DeliveryFailed', cause: 'bucket gone' });
  });

  it('refuses an inline message with no events or with a stored submission too', async () => {
    const result = await run(
      record({ kind: 'submission', jobId: 'J1', tenant: 'alice', events: [] }, 'm-empty'),
      record({ ...inline('J2'), bucket: 'b', key: 'k' }, 'm-both'),
    );
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m-both', 'm-empty']);
    expect(starts()).toEqual([]);
    expect(puts()).toEqual([]);
  });
});

describe('start-execution: throttling', () => {
  const inline = (jobId: string) => ({ kind: 'submission', jobId, tenant: 'alice', events: [{ id: jobId }] });
  const resent = () =>
    sqs.commandCalls(SendMessageBatchCommand).flatMap((call) => call.args[0].input.Entries ?? []);

  it('backs off and retries a throttled StartExecution until it goes through', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejectsOnce(throttling())
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'TooManyRequestsException' }))
      .rejectsOnce(Object.assign(new Error('busy'), { $metadata: { httpStatusCode: 503 } }))
      .rejectsOnce(Object.assign(new Error('rate'), { $metadata: { httpStatusCode: 429 } }))
      .resolves({ executionArn: 'arn:execution', startDate: new Date() });
    const result = await run(record(inline('JOB-1'), 'm-1'), record(inline('JOB-2'), 'm-2'));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(starts()).toHaveLength(5);
    expect(new Set(starts().map((input) => input.name)).size).toBe(1);
    expect(resent()).toEqual([]);
    expect(updates()).toEqual([]);
  });

  it('waits with full jitter: random × min(cap, base × 2^n)', async () => {
    vi.mocked(Math.random).mockReturnValue(0.5);
    const waits: number[] = [];
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms: number) => {
      waits.push(ms);
      fn();
      return 0;
    }) as unknown as typeof setTimeout);
    sfn
      .on(StartExecutionCommand)
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .resolves({});
    expect(await run(record(submission('JOB-1'), 'm-1'))).toEqual({ batchItemFailures: [] });
    expect(waits).toEqual([50, 100, 200]);
  });

  it('re-queues with a delay what a storm keeps throttled, and fails nothing, even on the last receive', async () => {
    sfn.on(StartExecutionCommand).rejects(throttling());
    const records = [
      record(inline('JOB-1'), 'm-1', 5),
      record(inline('JOB-2'), 'm-2', 5),
      record(submission('JOB-BIG'), 'm-big', 5),
      record(s3Notification('uploads/alice/JOB-UP/f.ndjson'), 'm-up', 5),
    ];
    const result = await run(...records);

    expect(result).toEqual({ batchItemFailures: [] }); // all acknowledged
    expect(
      resent()
        .map((entry) => entry.MessageBody)
        .sort(),
    ).toEqual(records.map((r) => r.body).sort());
    for (const entry of resent()) {
      expect(entry.DelaySeconds).toBeGreaterThanOrEqual(30);
      expect(entry.DelaySeconds).toBeLessThanOrEqual(90);
    }
    expect(sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.QueueUrl).toBe(
      'https://sqs.example/ingest',
    );
    // No DeliveryFailed: throttling alone never fails a job. The upload, parked and not started, is QUEUED.
    expect(updates().map((u) => [u.Key!.sk, written(u).status])).toEqual([['JOB#JOB-UP', 'QUEUED']]);
    // The retries stopped at the attempt cap (10 per start: one group, then alice's oldest waiting job; the
    // admission pass stops at a throttled start and the upload waits behind it).
    expect(starts()).toHaveLength(20);
    expect(slots.parked('alice')).toEqual(['JOB-BIG', 'JOB-UP']);
  });

  it('re-queues at once when the time budget is spent, without waiting', async () => {
    vi.mocked(Math.random).mockReturnValue(0.5);
    sfn.on(StartExecutionCommand).rejects(throttling());
    const result = await runIn(tight, record(inline('JOB-1'), 'm-1', 5), record(inline('JOB-2'), 'm-2', 5));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(starts()).toHaveLength(1);
    expect(resent()).toHaveLength(2);
    expect(updates()).toEqual([]);
  });

  it('reports a message it could not re-queue, and fails its job only on the last receive', async () => {
    sfn.on(StartExecutionCommand).rejects(throttling());
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: [{ Id: input.Entries[0]!.Id, MessageId: 'x' }],
      Failed: input.Entries.slice(1).map((entry) => ({
        Id: entry.Id,
        Code: 'InternalError',
        SenderFault: false,
      })),
    }));
    const result = await runIn(tight, record(inline('JOB-1'), 'm-1', 1), record(inline('JOB-2'), 'm-2', 5));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    expect(updates().map((update) => update.Key)).toEqual([jobKey('alice', 'JOB-2', 8)]);
    expect(written(updates()[0]!).failure).toMatchObject({
      error: 'DeliveryFailed',
      cause: expect.stringMatching(/could not re-queue after throttling: InternalError/),
    });
  });
});

describe('start-execution: running-jobs cap per tenant', () => {
  const stored = (jobId: string, tenant: string) => ({
    kind: 'submission',
    jobId,
    tenant,
    bucket: 'sluice-bucket',
    key: `submissions/${tenant}/${jobId}.json`,
  });
  const id = (n: number) => `01JCAP${String(n).padStart(20, '0')}`;
  const startedNames = () => starts().map((input) => input.name);
  /** A tenant's override item: `runningJobs` slots. Tenants differ per test (the limits are cached a minute). */
  const capOf = (tenant: string, runningJobs: number) =>
    ddb.on(GetCommand, { Key: { pk: `TENANT#${tenant}`, sk: 'LIMITS' } }).resolves({ Item: { runningJobs } });
  const jobIs = (tenant: string, jobId: string, status: string) =>
    ddb.on(GetCommand, { Key: jobKey(tenant, jobId, 8) }).resolves({ Item: { tenant, jobId, status } });
  const admit = (tenant: string) => ({ kind: 'admit', tenant });
  const resent = () =>
    sqs.commandCalls(SendMessageBatchCommand).flatMap((call) => call.args[0].input.Entries ?? []);

  it('starts at most the default 4 of a tenant, oldest first, and keeps the rest waiting, acknowledged', async () => {
    const records = [6, 2, 5, 1, 4, 3].map((n) => record(stored(id(n), 'dora'), `m-${n}`));
    expect(await run(...records)).toEqual({ batchItemFailures: [] });
    expect(startedNames()).toEqual([id(1), id(2), id(3), id(4)]);
    expect(slots.held('dora')).toEqual([id(1), id(2), id(3), id(4)]);
    expect(slots.parked('dora')).toEqual([id(5), id(6)]);
    expect(updates()).toEqual([]); // waiting API jobs stay QUEUED: no write
    // The waiting item holds exactly the execution input.
    const item = slots.waiting.get('TENANT#dora')!.get(`WAIT#${id(5)}`)!;
    expect(JSON.parse(item.input as string)).toEqual({
      ...stored(id(5), 'dora'),
      kind: undefined,
      source: 'api',
    });
  });

  it("applies the tenant's override and leaves other tenants alone", async () => {
    capOf('erin', 1);
    const records = [
      record(stored(id(1), 'erin'), 'e-1'),
      record(stored(id(2), 'erin'), 'e-2'),
      record(stored(id(3), 'fred'), 'f-3'),
    ];
    expect(await run(...records)).toEqual({ batchItemFailures: [] });
    expect(startedNames().sort()).toEqual([id(1), id(3)]);
    expect(slots.parked('erin')).toEqual([id(2)]);
    expect(slots.parked('fred')).toEqual([]);
  });

  it('admits the oldest waiting job when an admit message follows a release', async () => {
    capOf('gail', 1);
    await run(record(stored(id(1), 'gail'), 'g-1'), record(stored(id(2), 'gail'), 'g-2'));
    await run(record(stored(id(3), 'gail'), 'g-3'));
    expect(startedNames()).toEqual([id(1)]);
    slots.running.get('TENANT#gail')!.delete(id(1)); // record-execution-end released it
    expect(await run(record(admit('gail'), 'a-1'))).toEqual({ batchItemFailures: [] });
    expect(startedNames()).toEqual([id(1), id(2)]);
    expect(slots.parked('gail')).toEqual([id(3)]);
    // An admit with nothing free starts nothing.
    await run(record(admit('gail'), 'a-2'));
    expect(startedNames()).toEqual([id(1), id(2)]);
  });

  it('leaves inline submissions uncapped: no slot, no waiting item', async () => {
    capOf('hank', 1);
    const inline = (jobId: string) => ({
      kind: 'submission',
      jobId,
      tenant: 'hank',
      events: [{ id: jobId }],
    });
    await run(record(inline(id(1)), 'i-1'), record(inline(id(2)), 'i-2'));
    expect(starts()).toHaveLength(1); // one group
    expect(slots.held('hank')).toEqual([]);
    expect(slots.parked('hank')).toEqual([]);
  });

  it('crash after the claim, before the start (throttled to the end): re-queued, then started once', async () => {
    capOf('ivan', 1);
    sfn.on(StartExecutionCommand).rejects(throttling());
    const first = record(stored(id(1), 'ivan'), 'v-1', 5);
    expect(await runIn(tight, first)).toEqual({ batchItemFailures: [] });
    expect(resent().map((entry) => entry.MessageBody)).toEqual([first.body]);
    expect(slots.held('ivan')).toEqual([id(1)]); // the claim stays with the job
    expect(updates()).toEqual([]); // never DeliveryFailed for throttling

    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
    const second = record(stored(id(2), 'ivan'), 'v-2');
    await run(record(stored(id(1), 'ivan'), 'v-1b'), second);
    // The re-queued job goes first (its claim is its own); the second waits for the one slot.
    expect(startedNames().at(-1)).toBe(id(1));
    expect(slots.held('ivan')).toEqual([id(1)]);
    expect(slots.parked('ivan')).toEqual([id(2)]);
  });

  it('crash after the start, before the waiting item is deleted: the retry finds it started and keeps one slot', async () => {
    capOf('jane', 2);
    slots.failNext('unpark');
    const first = record(stored(id(1), 'jane'), 'j-1');
    expect(await run(first)).toEqual({ batchItemFailures: [{ itemIdentifier: 'j-1' }] });
    expect(slots.parked('jane')).toEqual([id(1)]);
    jobIs('jane', id(1), 'RUNNING');
    sfn
      .on(StartExecutionCommand, { name: id(1) })
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    expect(await run(first)).toEqual({ batchItemFailures: [] }); // the redelivery
    expect(slots.parked('jane')).toEqual([]);
    expect(slots.held('jane')).toEqual([id(1)]); // still its slot: the execution runs
  });

  it('a duplicate delivery of a job that already ran gives back the claim it made', async () => {
    capOf('kate', 1);
    jobIs('kate', id(1), 'SUCCEEDED');
    sfn
      .on(StartExecutionCommand, { name: id(1) })
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    await run(record(stored(id(1), 'kate'), 'k-1'));
    expect(slots.held('kate')).toEqual([]);
    expect(slots.parked('kate')).toEqual([]);
  });

  it('the same job delivered twice in one batch takes one slot and starts once', async () => {
    capOf('liam', 2);
    await run(record(stored(id(1), 'liam'), 'l-1'), record(stored(id(1), 'liam'), 'l-1b'));
    expect(startedNames()).toEqual([id(1)]);
    expect(slots.held('liam')).toEqual([id(1)]);
  });

  it('reclaims slots whose jobs finished (a lost release), then admits', async () => {
    capOf('mona', 2);
    slots.running.set('TENANT#mona', new Set([id(1), id(2)]));
    jobIs('mona', id(1), 'SUCCEEDED');
    jobIs('mona', id(2), 'RUNNING');
    await run(record(stored(id(3), 'mona'), 'n-3'));
    expect(startedNames()).toEqual([id(3)]);
    expect(slots.held('mona')).toEqual([id(2), id(3)]);
  });

  it('marks an upload that waits for a slot QUEUED, not one that started', async () => {
    capOf('nick', 1);
    const upload = (n: number) => s3Notification(`uploads/nick/${id(n)}/f.ndjson`);
    await run(record(upload(1), 'u-1'), record(upload(2), 'u-2'));
    expect(startedNames()).toEqual([id(1)]);
    const queued = updates().map((u) => [u.Key!.sk, written(u).status]);
    expect(queued).toEqual([[`JOB#${id(2)}`, 'QUEUED']]);
    expect(Object.values(updates()[0]!.ExpressionAttributeValues!)).toContain('PENDING_UPLOAD');
  });

  it('a start that keeps failing is its record failure; on the last receive the job fails and leaves the list', async () => {
    capOf('olga', 1);
    sfn
      .on(StartExecutionCommand, { name: id(1) })
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    expect(await run(record(stored(id(1), 'olga'), 'o-1', 2))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'o-1' }],
    });
    expect(slots.parked('olga')).toEqual([id(1)]);
    expect(await run(record(stored(id(1), 'olga'), 'o-1', 5))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'o-1' }],
    });
    expect(written(updates().at(-1)!)).toMatchObject({ status: 'FAILED' });
    expect(slots.parked('olga')).toEqual([]);
    expect(slots.held('olga')).toEqual([]);
  });

  it('a failed park is the record failure, as before the cap (DeliveryFailed only on the last receive)', async () => {
    slots.failNext('park');
    expect(await run(record(stored(id(1), 'pete'), 'p-1'))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'p-1' }],
    });
    expect(starts()).toEqual([]);
    expect(updates()).toEqual([]);
  });

  it('a throttled waiting-list read re-queues the records that asked, as a throttled start does', async () => {
    slots.failNext('waiting', throttling());
    expect(await run(record(stored(id(1), 'rita'), 'r-1', 5))).toEqual({ batchItemFailures: [] });
    expect(resent().map((entry) => JSON.parse(entry.MessageBody!).jobId)).toEqual([id(1)]);
    expect(updates()).toEqual([]);
    expect(slots.parked('rita')).toEqual([id(1)]);
  });

  it('an admission that cannot read the list fails the records that asked, never their jobs', async () => {
    slots.failNext('waiting');
    expect(await run(record(stored(id(1), 'quin'), 'q-1', 5))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'q-1' }],
    });
    expect(updates()).toEqual([]); // parked: no DeliveryFailed even on the last receive
    expect(slots.parked('quin')).toEqual([id(1)]);
  });
});
