import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../functions/ingest-group/handler';
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
    REPORT_PAGE_SIZE: '1000',
  });
});

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
let bucket: MemoryBucket;
let events: Map<string, { jobId: string; idx: number }>;
/** Job records by jobId (the sk after `JOB#`), as the conditional update leaves them. */
let jobs: Map<string, Record<string, unknown>>;

const GROUP = 'g-0123456789abcdef0123456789abcdef01234567';
const ARN = `arn:aws:states:us-east-1:000000000000:execution:ingest:${GROUP}`;
const KEY = `work/groups/${GROUP}.json`;
const event = (id: string, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id,
  source: 'urn:test',
  type: 'com.example.plain',
  ...extra,
});
const jobIds = ['01JGROUPA00000000000000000', '01JGROUPB00000000000000000', '01JGROUPC00000000000000000'];

const run = () =>
  handler({ group: { id: GROUP, bucket: 'bucket', key: KEY }, executionArn: ARN }, lambdaContext);
const putGroup = (jobsOfGroup: unknown[]) =>
  bucket.put('bucket', KEY, JSON.stringify({ groupId: GROUP, jobs: jobsOfGroup }));

beforeEach(() => {
  s3.reset();
  ddb.reset();
  bucket = memoryS3(s3);
  events = new Map();
  jobs = new Map(jobIds.map((jobId) => [jobId, { jobId, tenant: 'alice', status: 'QUEUED' }]));
  ddb.on(GetCommand).resolves({}); // no schemas
  ddb.on(PutCommand).callsFake((input) => {
    const existing = events.get(input.Item.pk);
    const { ':jobId': jobId, ':idx': idx } = input.ExpressionAttributeValues;
    if (existing && !(existing.jobId === jobId && existing.idx === idx)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
    events.set(input.Item.pk, { jobId: input.Item.jobId, idx: input.Item.idx });
    return {};
  });
  // The job store's transition: SET #status = :to, #fN = :vN … IF #status IN (:from0, …).
  ddb.on(UpdateCommand).callsFake((input) => {
    const jobId = String(input.Key.sk).replace(/^JOB#/, '');
    const job = jobs.get(jobId);
    const values = input.ExpressionAttributeValues as Record<string, unknown>;
    const names = input.ExpressionAttributeNames as Record<string, string>;
    const from = Object.entries(values)
      .filter(([k]) => k.startsWith(':from'))
      .map(([, v]) => v);
    if (!job || !from.includes(job.status)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
    const updated: Record<string, unknown> = { ...job, status: values[':to'] };
    for (const [alias, name] of Object.entries(names)) {
      if (alias.startsWith('#f')) updated[name] = values[`:v${alias.slice(2)}`];
    }
    jobs.set(jobId, updated);
    return { Attributes: updated };
  });
});

describe('ingest-group', () => {
  it('finishes every job of the group SUCCEEDED in one conditional write from QUEUED', async () => {
    putGroup(
      jobIds.map((jobId, i) => ({ jobId, tenant: 'alice', events: [event(`e-${i}`), event(`f-${i}`)] })),
    );
    expect(await run()).toEqual({ groupId: GROUP, jobs: 3, succeeded: 3, failed: 0, skipped: 0 });
    const updates = ddb.commandCalls(UpdateCommand);
    expect(updates).toHaveLength(3);
    for (const call of updates) {
      const values = Object.values(call.args[0].input.ExpressionAttributeValues!);
      expect(values).toContain('QUEUED');
      expect(values).not.toContain('RUNNING');
    }
    for (const jobId of jobIds) {
      expect(jobs.get(jobId)).toEqual({
        jobId,
        tenant: 'alice',
        status: 'SUCCEEDED',
        counts: { received: 2, accepted: 2, rejected: 0, duplicates: 0 },
        errors: [],
        executionArn: ARN,
        groupId: GROUP,
        finishedAt: expect.any(String),
        updatedAt: expect.any(String),
      });
    }
    expect(events.size).toBe(6);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(1); // one schema read for the group's one (tenant, type)
  });

  it('fails a poisoned job alone with its reason; the others SUCCEED', async () => {
    putGroup([
      { jobId: jobIds[0], tenant: 'alice', events: [event('ok-0')] },
      { jobId: jobIds[1], tenant: 'alice', events: 'not an array' },
      { jobId: jobIds[2], tenant: 'alice', events: [event('ok-2')] },
    ]);
    expect(await run()).toMatchObject({ succeeded: 2, failed: 1 });
    expect(jobs.get(jobIds[1]!)).toMatchObject({
      status: 'FAILED',
      failure: { error: 'SubmissionUnreadable', cause: 'the submission is not a JSON array of events' },
      executionArn: ARN,
      groupId: GROUP,
    });
    expect(jobs.get(jobIds[0]!)!.status).toBe('SUCCEEDED');
    expect(jobs.get(jobIds[2]!)!.status).toBe('SUCCEEDED');
  });

  it('skips a job that another execution already finished', async () => {
    jobs.set(jobIds[0]!, { jobId: jobIds[0], tenant: 'alice', status: 'SUCCEEDED', executionArn: 'earlier' });
    putGroup(jobIds.map((jobId, i) => ({ jobId, tenant: 'alice', events: [event(`s-${i}`)] })));
    expect(await run()).toEqual({ groupId: GROUP, jobs: 3, succeeded: 2, failed: 0, skipped: 1 });
    expect(jobs.get(jobIds[0]!)).toEqual({
      jobId: jobIds[0],
      tenant: 'alice',
      status: 'SUCCEEDED',
      executionArn: 'earlier',
    });
  });

  it('fails the task with SubmissionUnreadable when the group object is missing', async () => {
    await expect(run()).rejects.toMatchObject({
      name: 'SubmissionUnreadable',
      message: `the group object ${KEY} does not exist`,
    });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('fails the task with a retryable error on a 5xx from DynamoDB, finishing no job it could not store', async () => {
    putGroup([{ jobId: jobIds[0], tenant: 'alice', events: [event('x')] }]);
    ddb.on(PutCommand).rejects(
      Object.assign(new Error('We encountered an internal error'), {
        name: 'InternalFailure',
        $metadata: { httpStatusCode: 500 },
      }),
    );
    await expect(run()).rejects.toMatchObject({ name: 'TransientError' });
    expect(jobs.get(jobIds[0]!)!.status).toBe('QUEUED');
  });
});
