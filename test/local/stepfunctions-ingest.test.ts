import { readFile } from 'node:fs/promises';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localAccount, workflow } from '../../cdk/wiring';
import type { ExecutionStatusChangeEvent, StepFunctionsService } from '../../local/stepfunctions/service';
import {
  functionArn,
  historyOf,
  LambdaInvokeError,
  startService,
  tempDataDir,
  waitForStatus,
} from './stepfunctions-helpers';

/** The real workflow document, its placeholders replaced by the local function ARNs. */
async function ingestDefinition(): Promise<string> {
  let definition = await readFile(workflow.definitionFile, 'utf8');
  for (const [placeholder, fn] of Object.entries(workflow.functionPlaceholders)) {
    definition = definition.replaceAll(`\${${placeholder}}`, functionArn(fn));
  }
  return definition;
}

type Behaviour = 'ok' | 'empty-submission' | 'transient-chunk' | 'chunk-not-runnable';
const behaviours = new Map<string, Behaviour>();
const calls: { fn: string; payload: Record<string, unknown> }[] = [];
const failedOnce = new Set<string>();
const statusEvents: ExecutionStatusChangeEvent[] = [];

const chunks = [
  { n: 0, start: 0 },
  { n: 1, start: 120 },
];

async function invokeFunction(arn: string, payload: unknown): Promise<unknown> {
  const fn = arn.replace(functionArn(''), '');
  const request = payload as Record<string, unknown> & {
    jobId: string;
    jobs?: unknown[];
    tenant: string;
    chunk?: { n: number };
  };
  calls.push({ fn, payload: request });
  const behaviour = behaviours.get(request.jobId) ?? 'ok';
  switch (fn) {
    case 'prepare-job':
      if (behaviour === 'empty-submission') throw new LambdaInvokeError('EmptySubmission', 'no events');
      return {
        jobId: request.jobId,
        tenant: request.tenant,
        executionArn: request.executionArn,
        received: 5,
        chunks,
      };
    case 'ingest-chunk': {
      const n = request.chunk!.n;
      if (behaviour === 'chunk-not-runnable' && n === 1)
        throw new LambdaInvokeError('JobNotRunnable', 'job is FAILED');
      if (behaviour === 'transient-chunk' && n === 1 && !failedOnce.has(request.jobId)) {
        failedOnce.add(request.jobId);
        throw new LambdaInvokeError('TransientError', 'throttled');
      }
      return { n, received: n + 2, accepted: n + 2, rejected: 0, duplicates: 0 };
    }
    case 'finalize-job':
      return { jobId: request.jobId, status: 'SUCCEEDED', counts: { received: request.received } };
    case 'mark-job-failed':
      return request.jobs ? { jobs: 1, failed: 1 } : { jobId: request.jobId, status: 'FAILED' };
    case 'ingest-group':
      throw new LambdaInvokeError('SubmissionUnreadable', 'the group object is gone');
    default:
      throw new LambdaInvokeError('ResourceNotFoundException', `no function ${arn}`);
  }
}

let service: StepFunctionsService;
let client: SFNClient;
let removeDataDir: () => Promise<void>;

beforeAll(async () => {
  const data = await tempDataDir();
  removeDataDir = data.remove;
  ({ service, client } = await startService({
    dataDir: data.dir,
    region: localAccount.region,
    accountId: localAccount.accountId,
    stateMachines: [{ name: 'sluice-ingest', definition: await ingestDefinition() }],
    invokeFunction,
    onExecutionStatusChange: (event) => void statusEvents.push(event),
  }));
});

afterAll(async () => {
  await service?.stop();
  await removeDataDir?.();
});

async function startJob(jobId: string, behaviour: Behaviour) {
  behaviours.set(jobId, behaviour);
  const input = {
    jobId,
    tenant: 'acme',
    source: 'api',
    bucket: 'sluice-data',
    key: `submissions/acme/${jobId}.json`,
  };
  const { executionArn } = await client.send(
    new StartExecutionCommand({
      stateMachineArn: service.stateMachineArns['sluice-ingest'],
      name: jobId,
      input: JSON.stringify(input),
    }),
  );
  return executionArn!;
}

const callsFor = (jobId: string, fn: string) =>
  calls.filter((call) => call.fn === fn && call.payload.jobId === jobId).map((call) => call.payload);

describe('workflows/ingest.asl.json on the local service', () => {
  it('prepares, ingests every chunk, finalizes and succeeds with the job view', async () => {
    const executionArn = await startJob('01JOBOK', 'ok');
    const described = await waitForStatus(client, executionArn, 'SUCCEEDED');

    expect(JSON.parse(described.output!)).toEqual({
      jobId: '01JOBOK',
      status: 'SUCCEEDED',
      counts: { received: 5 },
    });
    expect(callsFor('01JOBOK', 'prepare-job')).toEqual([
      {
        jobId: '01JOBOK',
        tenant: 'acme',
        executionArn,
        source: 'api',
        bucket: 'sluice-data',
        key: 'submissions/acme/01JOBOK.json',
      },
    ]);
    expect(callsFor('01JOBOK', 'ingest-chunk')).toEqual(
      expect.arrayContaining(chunks.map((chunk) => ({ jobId: '01JOBOK', tenant: 'acme', chunk }))),
    );
    expect(callsFor('01JOBOK', 'finalize-job')).toEqual([
      { jobId: '01JOBOK', tenant: 'acme', executionArn, chunkCount: 2, received: 5 },
    ]);
    expect(callsFor('01JOBOK', 'mark-job-failed')).toEqual([]);
  });

  it('retries a chunk that failed with TransientError and still succeeds', async () => {
    const executionArn = await startJob('01JOBRETRY', 'transient-chunk');
    await waitForStatus(client, executionArn, 'SUCCEEDED');
    const events = await historyOf(client, executionArn);
    const failed = events.filter((event) => event.type === 'TaskFailed');
    expect(failed.map((event) => event.taskFailedEventDetails?.error)).toEqual(['TransientError']);
    expect(events.find((event) => event.previousEventId === failed[0]!.id)?.type).toBe('TaskScheduled');
    expect(callsFor('01JOBRETRY', 'ingest-chunk').filter((call) => call.chunk).length).toBe(3);
  });

  it('sends a failed PrepareJob to MarkJobFailed with the error and cause, then fails as JobFailed', async () => {
    const executionArn = await startJob('01JOBEMPTY', 'empty-submission');
    const described = await waitForStatus(client, executionArn, 'FAILED');

    expect(described.error).toBe('JobFailed');
    expect(callsFor('01JOBEMPTY', 'mark-job-failed')).toEqual([
      {
        jobId: '01JOBEMPTY',
        tenant: 'acme',
        executionArn,
        failure: {
          Error: 'EmptySubmission',
          Cause: JSON.stringify({ errorMessage: 'no events', errorType: 'EmptySubmission', trace: [] }),
        },
      },
    ]);
    expect(callsFor('01JOBEMPTY', 'ingest-chunk')).toEqual([]);
    expect(callsFor('01JOBEMPTY', 'finalize-job')).toEqual([]);
    const states = (await historyOf(client, executionArn))
      .filter((event) => event.type.endsWith('StateEntered'))
      .map((event) => event.stateEnteredEventDetails?.name);
    expect(states).toEqual(['SingleJobOrGroup', 'PrepareJob', 'MarkJobFailed', 'JobFailed']);
  });

  it('catches a chunk that fails for good on the Map, marks the job failed and announces FAILED', async () => {
    const executionArn = await startJob('01JOBBROKEN', 'chunk-not-runnable');
    await waitForStatus(client, executionArn, 'FAILED');

    const [marked] = callsFor('01JOBBROKEN', 'mark-job-failed');
    expect(marked?.failure).toMatchObject({ Error: 'JobNotRunnable' });
    expect(callsFor('01JOBBROKEN', 'finalize-job')).toEqual([]);
    const types = (await historyOf(client, executionArn)).map((event) => event.type);
    expect(types).toContain('MapIterationFailed');
    expect(types.at(-1)).toBe('ExecutionFailed');
    await expect
      .poll(() =>
        statusEvents.find((e) => e.detail.executionArn === executionArn && e.detail.status === 'FAILED'),
      )
      .toMatchObject({ detail: { error: 'JobFailed' } });
  });

  it('sends a group input down the Choice to IngestGroup, and its failure to MarkGroupFailed, then GroupFailed', async () => {
    const groupId = 'g-00000000000000000000000000000000000000cc';
    const input = {
      group: { id: groupId, bucket: 'sluice-data', key: `work/groups/${groupId}.json` },
      jobs: [{ jobId: '01JOBGROUPED', tenant: 'acme' }],
    };
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn: service.stateMachineArns['sluice-ingest'],
        name: groupId,
        input: JSON.stringify(input),
      }),
    );
    const described = await waitForStatus(client, executionArn!, 'FAILED');
    expect(described.error).toBe('GroupFailed');
    const states = (await historyOf(client, executionArn!))
      .filter((event) => event.type.endsWith('StateEntered'))
      .map((event) => event.stateEnteredEventDetails?.name);
    expect(states).toEqual(['SingleJobOrGroup', 'IngestGroup', 'MarkGroupFailed', 'GroupFailed']);
    const marked = calls.filter((call) => call.fn === 'mark-job-failed' && call.payload.jobs);
    expect(marked.map((call) => call.payload)).toEqual([
      { ...input, executionArn, failure: { Error: 'SubmissionUnreadable', Cause: expect.any(String) } },
    ]);
  });
});
