import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { memoryS3, type MemoryBucket } from './memory-s3';
import { handler, type ExecutionStatusChange } from '../../functions/record-execution-end/handler';
import { lambdaContext } from './api-event';
import { jobKey } from '../../shared/aws/stores/jobs';

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'sluice',
    BUCKET_NAME: 'sluice-bucket',
    QUEUE_URL: 'https://sqs.example/ingest',
  });
});

const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const RUNNING = { pk: 'TENANT#alice', sk: 'RUNNING' };
/** The job updates, the slot releases left out. */
const jobUpdates = () =>
  ddb
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Key?.sk !== 'RUNNING');
const releases = () =>
  ddb
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Key?.sk === 'RUNNING');
const admits = () => sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
const JOB = '01JOBENDED0000000000000000';

function statusChange(status: string, extra: Record<string, unknown> = {}): ExecutionStatusChange {
  return {
    version: '0',
    id: 'event-1',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '000000000000',
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:states:us-east-1:000000000000:execution:ingest:${JOB}`],
    detail: {
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:ingest:${JOB}`,
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:ingest',
      name: JOB,
      status,
      input: JSON.stringify({ jobId: JOB, tenant: 'alice', source: 'api', bucket: 'b', key: 'k' }),
      error: null,
      cause: null,
      ...extra,
    },
  };
}

const s3 = mockClient(S3Client);
let bucket: MemoryBucket;

beforeEach(() => {
  ddb.reset();
  s3.reset();
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
  bucket = memoryS3(s3);
});

describe('record-execution-end', () => {
  it('fails the open job of a timed-out execution', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { jobId: JOB, status: 'FAILED' } });
    expect(await handler(statusChange('TIMED_OUT'), lambdaContext)).toEqual({
      jobId: JOB,
      recorded: true,
      released: true,
    });
    const update = jobUpdates()[0]!;
    expect(update.Key).toEqual(jobKey('alice', JOB, 8));
    expect(Object.values(update.ExpressionAttributeValues!)).toEqual(
      expect.arrayContaining(['FAILED', { error: 'ExecutionTimedOut', cause: 'execution timed out' }]),
    );
    // Only a job still open may change: the condition lists non-final statuses.
    expect(Object.values(update.ExpressionAttributeValues!)).not.toContain('SUCCEEDED');
  });

  it('keeps the error and cause Step Functions reported', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { jobId: JOB, status: 'FAILED' } });
    await handler(
      statusChange('FAILED', { error: 'States.Runtime', cause: 'An error occurred' }),
      lambdaContext,
    );
    expect(Object.values(jobUpdates()[0]!.ExpressionAttributeValues!)).toContainEqual({
      error: 'States.Runtime',
      cause: 'An error occurred',
    });
  });

  it('changes nothing when the job already finished', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    expect(await handler(statusChange('ABORTED'), lambdaContext)).toEqual({
      jobId: JOB,
      recorded: false,
      released: true, // the release's own condition failing (no slot item) is not an error
    });
  });

  it('leaves the job of a succeeded execution alone and releases its slot', async () => {
    expect(await handler(statusChange('SUCCEEDED'), lambdaContext)).toEqual({
      jobId: JOB,
      recorded: false,
      released: true,
    });
    expect(jobUpdates()).toHaveLength(0);
  });
});

describe('record-execution-end: the tenant slot of a one-job execution', () => {
  it.each(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'])(
    'on %s: deletes the job from its running set, after the job write, then sends an admit for the tenant',
    async (status) => {
      ddb.on(UpdateCommand).resolves({});
      await handler(statusChange(status), lambdaContext);
      const release = releases();
      expect(release).toHaveLength(1);
      expect(release[0]).toMatchObject({
        Key: RUNNING,
        UpdateExpression: 'DELETE #jobs :job',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':job': new Set([JOB]) },
      });
      const calls = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key?.sk);
      expect(calls.at(-1)).toBe('RUNNING'); // the job is final before its slot is given back
      expect(admits()).toEqual([
        {
          QueueUrl: 'https://sqs.example/ingest',
          MessageBody: JSON.stringify({ kind: 'admit', tenant: 'alice' }),
        },
      ]);
    },
  );

  it('a retried event (Lambda async retry or a duplicate) repeats the release harmlessly and admits again', async () => {
    ddb.on(UpdateCommand).resolves({});
    sqs.on(SendMessageCommand).rejectsOnce(new Error('socket hang up')).resolves({ MessageId: 'm' });
    await expect(handler(statusChange('SUCCEEDED'), lambdaContext)).rejects.toThrow('socket hang up');
    expect(releases()).toHaveLength(1); // released, the admit not sent: the invocation fails and is retried
    await handler(statusChange('SUCCEEDED'), lambdaContext);
    expect(releases()).toHaveLength(2);
    expect(admits()).toHaveLength(2);
  });

  it('a failed release fails the invocation, before any admit', async () => {
    ddb
      .on(UpdateCommand, { Key: RUNNING })
      .rejects(Object.assign(new Error('boom'), { name: 'InternalServerError' }));
    await expect(handler(statusChange('SUCCEEDED'), lambdaContext)).rejects.toThrow('boom');
    expect(admits()).toHaveLength(0);
  });

  it('releases nothing for a group execution or an input without a tenant', async () => {
    ddb.on(UpdateCommand).resolves({});
    const GROUP = 'g-00000000000000000000000000000000000000cc';
    const input = JSON.stringify({ group: { id: GROUP, bucket: 'b', key: 'k' }, jobs: [] });
    await handler(statusChange('SUCCEEDED', { name: GROUP, input }), lambdaContext);
    await handler(statusChange('SUCCEEDED', { input: '{}' }), lambdaContext);
    expect(releases()).toHaveLength(0);
    expect(admits()).toHaveLength(0);
  });
});

describe('record-execution-end for a group execution', () => {
  const GROUP = 'g-00000000000000000000000000000000000000bb';
  const listed = ['01JGROUPENDA0000000000000', '01JGROUPENDB0000000000000'];
  const groupEnd = (input: string | null) => {
    const change = statusChange('TIMED_OUT', { name: GROUP, input });
    change.detail.executionArn = `arn:aws:states:us-east-1:000000000000:execution:ingest:${GROUP}`;
    return change;
  };
  const fromOf = (input: { ExpressionAttributeValues?: Record<string, unknown> }) =>
    Object.entries(input.ExpressionAttributeValues!)
      .filter(([k]) => k.startsWith(':from'))
      .map(([, v]) => v);

  it("fails the group's jobs still QUEUED, named by the execution input", async () => {
    ddb.on(UpdateCommand).callsFake((input) => {
      if (String(input.Key.sk).endsWith(listed[0]!)) {
        // As DynamoDB answers a failed condition asked for ReturnValuesOnConditionCheckFailure: the item as it is.
        const Item = { pk: { S: String(input.Key.pk) } };
        throw new ConditionalCheckFailedException({ message: 'no', $metadata: {}, Item });
      }
      return { Attributes: { status: 'FAILED' } };
    });
    const input = JSON.stringify({
      group: { id: GROUP, bucket: 'sluice-bucket', key: `work/groups/${GROUP}.json` },
      jobs: listed.map((jobId) => ({ jobId, tenant: 'alice' })),
    });
    expect(await handler(groupEnd(input), lambdaContext)).toEqual({ groupId: GROUP, jobs: 2, recorded: 1 });
    const updates = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates.map(fromOf)).toEqual([['QUEUED'], ['QUEUED']]);
    expect(Object.values(updates[1]!.ExpressionAttributeValues!)).toEqual(
      expect.arrayContaining([{ error: 'ExecutionTimedOut', cause: 'execution timed out' }, GROUP]),
    );
    expect(s3.calls()).toHaveLength(0);
  });

  it('reads the jobs from the group object when the event carries no input', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { status: 'FAILED' } });
    bucket.put(
      'sluice-bucket',
      `work/groups/${GROUP}.json`,
      JSON.stringify({ groupId: GROUP, jobs: listed.map((jobId) => ({ jobId, tenant: 'bob', events: [] })) }),
    );
    expect(await handler(groupEnd(null), lambdaContext)).toEqual({ groupId: GROUP, jobs: 2, recorded: 2 });
    const sks = ddb.commandCalls(UpdateCommand).map((call) => String(call.args[0].input.Key!.sk));
    expect(sks.sort()).toEqual(listed.map((jobId) => `JOB#${jobId}`));
  });
});
