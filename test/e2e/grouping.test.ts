/**
 * Group executions against a local cloud: a group object in S3 and an execution named by its group id, started
 * directly with the Step Functions API (as the starter does), run by the same workflow document. Every job ends
 * SUCCEEDED with exact counts and the group's executionArn; a poisoned job fails alone; a group execution that
 * is stopped fails its still-QUEUED jobs through the EventBridge rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { localCredentials as s3Credentials } from '../../local/services/credentials';
import { jobStore } from '../../shared/aws/stores/jobs';
import { newJobId, zeroCounts } from '../../shared/jobs/model';
import { groupKey } from '../../shared/pipeline/keys';
import {
  Api,
  event,
  localCredentials,
  signUpAndIn,
  startTestCloud,
  type TestCloud,
  type TestUser,
} from './harness';

let env: TestCloud;
let alice: TestUser;
let api: Api;
let sfn: SFNClient;
let s3: S3Client;
let jobs: ReturnType<typeof jobStore>;

beforeAll(async () => {
  env = await startTestCloud();
  alice = await signUpAndIn(env.endpoints, 'alice');
  api = new Api(env.endpoints.apiUrl, alice.idToken);
  const common = { region: env.endpoints.region, credentials: localCredentials };
  sfn = new SFNClient({ ...common, endpoint: env.endpoints.sfnEndpoint });
  s3 = new S3Client({
    ...common,
    credentials: s3Credentials,
    endpoint: env.endpoints.s3Endpoint,
    forcePathStyle: true,
  });
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...common, endpoint: env.endpoints.dynamodbEndpoint }),
    {
      marshallOptions: { removeUndefinedValues: true },
    },
  );
  jobs = jobStore(env.endpoints.tableName, db);
}, 120_000);

afterAll(async () => {
  sfn?.destroy();
  s3?.destroy();
  await env?.dispose();
});

/** QUEUED jobs as submit-events leaves inline submissions, the group object, and the execution started by name. */
async function startGroup(submissions: unknown[]) {
  const tenant = alice.sub;
  const now = new Date().toISOString();
  const members = await Promise.all(
    submissions.map(async (events) => {
      const jobId = newJobId();
      await jobs.create({
        jobId,
        tenant,
        source: 'api',
        status: 'QUEUED',
        counts: zeroCounts(),
        errors: [],
        createdAt: now,
        updatedAt: now,
      });
      return { jobId, tenant, events };
    }),
  );
  const ids = members.map((m) => m.jobId).sort();
  const groupId = `g-${createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 40)}`;
  const bucket = env.endpoints.bucketName;
  const key = groupKey(groupId);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify({ groupId, jobs: members }),
      ContentType: 'application/json',
    }),
  );
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: env.endpoints.stateMachineArn,
      name: groupId,
      input: JSON.stringify({
        group: { id: groupId, bucket, key },
        jobs: members.map(({ jobId }) => ({ jobId, tenant })),
      }),
    }),
  );
  return { groupId, executionArn: executionArn!, jobIds: members.map((m) => m.jobId) };
}

async function finished(executionArn: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    if (Date.now() > deadline) throw new Error(`execution ${executionArn} still RUNNING`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('group executions', () => {
  it('ingests every job of a group: SUCCEEDED with exact counts and the group execution, in one execution', async () => {
    const type = `com.example.group.${Date.now()}`;
    const submissions = Array.from({ length: 25 }, (_, i) =>
      i === 3
        ? [
            event({ id: 'g-dup', type }),
            event({ id: 'g-dup', type }),
            event({ id: 'g-bad', type, specversion: '0.3' }),
          ]
        : [event({ id: `g-${i}`, type })],
    );
    const { groupId, executionArn, jobIds } = await startGroup(submissions);
    const execution = await finished(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toEqual({
      groupId,
      jobs: 25,
      succeeded: 25,
      failed: 0,
      skipped: 0,
    });

    for (const [i, jobId] of jobIds.entries()) {
      const { status, body } = await api.get(`/jobs/${jobId}`);
      expect(status).toBe(200);
      const counts =
        i === 3
          ? { received: 3, accepted: 1, rejected: 1, duplicates: 1 }
          : { received: 1, accepted: 1, rejected: 0, duplicates: 0 };
      expect(body).toMatchObject({
        jobId,
        status: 'SUCCEEDED',
        counts,
        executionArn,
        finishedAt: expect.any(String),
      });
    }
    const third = (await api.get(`/jobs/${jobIds[3]}`)).body as { errors: unknown[] };
    expect(third.errors).toEqual([{ index: 2, id: 'g-bad', reason: expect.stringMatching(/^specversion/) }]);
    const errors = await api.get(`/jobs/${jobIds[3]}/errors`);
    expect(errors.body).toMatchObject({ items: third.errors, nextCursor: null });
    const listed = await api.get(`/events?type=${encodeURIComponent(type)}&limit=100`);
    expect((listed.body as { items: unknown[] }).items).toHaveLength(25);

    // The execution went down the group branch only: no PrepareJob, one IngestGroup.
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    const entered = history
      .events!.filter((e) => e.type?.endsWith('StateEntered'))
      .map((e) => e.stateEnteredEventDetails?.name);
    expect(entered).toEqual(['SingleJobOrGroup', 'IngestGroup']);
  });

  it('fails a poisoned job alone with its reason; the rest of the group SUCCEEDS', async () => {
    const { executionArn, jobIds } = await startGroup([[event()], 'not an array of events', [event()], []]);
    expect((await finished(executionArn)).status).toBe('SUCCEEDED');
    const views = await Promise.all(jobIds.map(async (jobId) => (await api.get(`/jobs/${jobId}`)).body));
    expect(views.map((v) => (v as { status: string }).status)).toEqual([
      'SUCCEEDED',
      'FAILED',
      'SUCCEEDED',
      'FAILED',
    ]);
    expect(views[1]).toMatchObject({
      failure: { error: 'SubmissionUnreadable', cause: 'the submission is not a JSON array of events' },
      executionArn,
    });
    expect(views[3]).toMatchObject({
      failure: { error: 'EmptySubmission', cause: 'the submission holds no events' },
    });
    expect(views[0]).toMatchObject({ counts: { received: 1, accepted: 1, rejected: 0, duplicates: 0 } });
  });

  it('runs a redelivered group once: the same name is ExecutionAlreadyExists and the jobs keep their result', async () => {
    const { groupId, executionArn, jobIds } = await startGroup([[event()], [event()]]);
    await finished(executionArn);
    const input = JSON.stringify({
      group: { id: groupId, bucket: env.endpoints.bucketName, key: groupKey(groupId) },
      jobs: jobIds.map((jobId) => ({ jobId, tenant: alice.sub })),
    });
    await expect(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: env.endpoints.stateMachineArn,
          name: groupId,
          input: input + ' ',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    for (const jobId of jobIds)
      expect((await api.get(`/jobs/${jobId}`)).body).toMatchObject({ status: 'SUCCEEDED', executionArn });
  });

  it('fails the still-QUEUED jobs of a group execution that is stopped (EventBridge → record-execution-end)', async () => {
    // IngestGroup keeps failing transiently, so the execution waits between retries until it is stopped.
    env.cloud.faults.inject({ function: 'ingest-group', errorType: 'TransientError', times: 6 });
    try {
      const { executionArn, jobIds } = await startGroup([[event()], [event()]]);
      await sfn.send(
        new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped by the test' }),
      );
      expect((await finished(executionArn)).status).toBe('ABORTED');
      for (const jobId of jobIds) {
        const job = await api.waitForJob(jobId);
        expect(job).toMatchObject({
          status: 'FAILED',
          failure: { error: 'Operator', cause: 'stopped by the test' },
          executionArn,
        });
      }
    } finally {
      env.cloud.faults.clear();
    }
  });
});
