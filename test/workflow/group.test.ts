/**
 * The group branch of the ingest workflow, executed locally with the real task handlers: the Choice sends a
 * group execution to IngestGroup, each job finishes on its own, and a failed IngestGroup is caught into
 * MarkGroupFailed, which fails every job still QUEUED and ends the execution in GroupFailed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { resetClients } from '../../shared/aws/clients';
import { eventStore } from '../../shared/aws/stores/events';
import { jobStore } from '../../shared/aws/stores/jobs';
import { zeroCounts, type JobRecord } from '../../shared/jobs/model';
import { memoryS3, type MemoryBucket } from '../handlers/memory-s3';
import { BUCKET, TABLE, executionArn, localWorkflow, startBackends } from './harness';

vi.hoisted(() => {
  Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' });
});

const s3 = mockClient(S3Client);
let bucket: MemoryBucket;
let backends: { stop(): Promise<void> };
let count = 0;

beforeAll(async () => {
  backends = await startBackends();
  resetClients();
});

afterAll(async () => {
  await backends?.stop();
  resetClients();
});

beforeEach(() => {
  s3.reset();
  bucket = memoryS3(s3);
});

const jobs = () => jobStore(TABLE);
const event = (id: string, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id,
  source: 'urn:sluice:workflow-group',
  type: 'com.example.workflow',
  data: { n: 1 },
  ...extra,
});

/** QUEUED jobs (as submit-events leaves inline submissions), their group object, and the execution input. */
async function grouped(submissions: unknown[], { writeObject = true } = {}) {
  const n = ++count;
  const groupId = `g-${String(n).padStart(40, '0')}`;
  const now = new Date().toISOString();
  const members = await Promise.all(
    submissions.map(async (events, i) => {
      const jobId = `01JGROUPWF${String(n).padStart(8, '0')}${String(i).padStart(8, '0')}`;
      const record: JobRecord = {
        jobId,
        tenant: 'alice',
        source: 'api',
        status: 'QUEUED',
        counts: zeroCounts(),
        errors: [],
        createdAt: now,
        updatedAt: now,
      };
      await jobs().create(record);
      return { jobId, tenant: 'alice', events };
    }),
  );
  const key = `work/groups/${groupId}.json`;
  if (writeObject) bucket.put(BUCKET, key, JSON.stringify({ groupId, jobs: members }));
  const input = {
    group: { id: groupId, bucket: BUCKET, key },
    jobs: members.map(({ jobId, tenant }) => ({ jobId, tenant })),
  };
  return { groupId, jobIds: members.map((m) => m.jobId), input };
}

describe('ingest workflow, group branch', () => {
  it('routes a group input to IngestGroup and finishes every job SUCCEEDED with its execution', async () => {
    const { groupId, jobIds, input } = await grouped([
      [event('a-0')],
      [event('a-1'), event('a-2')],
      [event('a-3')],
    ]);
    const wf = localWorkflow();
    const output = await wf.run(groupId, input);

    expect(output).toEqual({ groupId, jobs: 3, succeeded: 3, failed: 0, skipped: 0 });
    expect(wf.calls.IngestGroup).toEqual([{ group: input.group, executionArn: executionArn(groupId) }]);
    expect(wf.calls.PrepareJob).toEqual([]);
    expect(wf.calls.MarkGroupFailed).toEqual([]);
    const second = await jobs().get('alice', jobIds[1]!);
    expect(second).toMatchObject({
      status: 'SUCCEEDED',
      counts: { received: 2, accepted: 2, rejected: 0, duplicates: 0 },
      errors: [],
      executionArn: executionArn(groupId),
      groupId,
      finishedAt: expect.any(String),
    });
    expect(await eventStore(TABLE).get('alice', 'urn:sluice:workflow-group', 'a-2')).toEqual(event('a-2'));
  });

  it('fails a poisoned job alone; the execution and the other jobs succeed', async () => {
    const { groupId, jobIds, input } = await grouped([
      [event('p-0')],
      { not: 'an array' },
      [event('p-2', { specversion: '0.3' })],
    ]);
    const output = await localWorkflow().run(groupId, input);

    expect(output).toMatchObject({ jobs: 3, succeeded: 2, failed: 1 });
    expect(await jobs().get('alice', jobIds[1]!)).toMatchObject({
      status: 'FAILED',
      failure: { error: 'SubmissionUnreadable', cause: 'the submission is not a JSON array of events' },
      executionArn: executionArn(groupId),
    });
    expect(await jobs().get('alice', jobIds[0]!)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await jobs().get('alice', jobIds[2]!)).toMatchObject({
      status: 'SUCCEEDED',
      counts: { received: 1, accepted: 0, rejected: 1, duplicates: 0 },
      errors: [{ index: 0, id: 'p-2', reason: expect.stringMatching(/^specversion/) }],
    });
  });

  it('retries IngestGroup after a transient error; the retry finishes each job once', async () => {
    const { groupId, jobIds, input } = await grouped([[event('r-0')], [event('r-1')]]);
    bucket.failNextGet(
      BUCKET,
      input.group.key,
      Object.assign(new Error('Slow Down'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }),
    );
    const wf = localWorkflow();
    expect(await wf.run(groupId, input)).toMatchObject({ succeeded: 2, failed: 0 });
    expect(wf.calls.IngestGroup).toHaveLength(2);
    for (const jobId of jobIds) {
      expect(await jobs().get('alice', jobId)).toMatchObject({
        status: 'SUCCEEDED',
        counts: { received: 1, accepted: 1, rejected: 0, duplicates: 0 },
      });
    }
  });

  it('catches a fatal IngestGroup error into MarkGroupFailed: queued jobs FAILED, finished ones kept, GroupFailed', async () => {
    const { groupId, jobIds, input } = await grouped([[event('m-0')], [event('m-1')], [event('m-2')]], {
      writeObject: false,
    });
    // One of the group's jobs was finished by an earlier execution: it keeps its result.
    await jobs().transition(
      'alice',
      jobIds[0]!,
      'SUCCEEDED',
      { executionArn: 'earlier' },
      { from: ['QUEUED'] },
    );
    const wf = localWorkflow();
    const failure = await wf.run(groupId, input).then(
      () => undefined,
      (error: Error) => error,
    );

    expect((failure?.cause as Error | undefined)?.name).toBe('GroupFailed');
    expect(wf.calls.IngestGroup).toHaveLength(1); // SubmissionUnreadable is fatal: not retried
    expect(wf.calls.MarkGroupFailed).toEqual([
      {
        group: input.group,
        jobs: input.jobs,
        executionArn: executionArn(groupId),
        failure: { Error: 'SubmissionUnreadable', Cause: expect.stringContaining('does not exist') },
      },
    ]);
    expect(await jobs().get('alice', jobIds[0]!)).toMatchObject({
      status: 'SUCCEEDED',
      executionArn: 'earlier',
    });
    for (const jobId of jobIds.slice(1)) {
      expect(await jobs().get('alice', jobId)).toMatchObject({
        status: 'FAILED',
        failure: {
          error: 'SubmissionUnreadable',
          cause: `the group object ${input.group.key} does not exist`,
        },
        executionArn: executionArn(groupId),
        groupId,
      });
    }
  });
});
