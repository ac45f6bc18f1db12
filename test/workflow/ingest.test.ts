/**
 * The ingest workflow document, validated and then executed locally with the real task handlers: success,
 * rejections, a retried transient failure and a caught fatal failure, with the job record checked each time.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { workflow } from '../../cdk/wiring';
import { resetClients } from '../../shared/aws/clients';
import { eventStore } from '../../shared/aws/stores/events';
import { jobStore } from '../../shared/aws/stores/jobs';
import { RETRIED_ERROR_NAMES } from '../../shared/pipeline/errors';
import { zeroCounts, type JobRecord } from '../../shared/jobs/model';
import { memoryS3, type MemoryBucket } from '../handlers/memory-s3';
import {
  BUCKET,
  TABLE,
  definitionText,
  executionArn,
  functionOf,
  localWorkflow,
  startBackends,
  substituted,
  taskHandlers,
  taskStates,
} from './harness';

vi.hoisted(() => {
  Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' });
});

const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errorsText(separator?: string): string;
};

const s3 = mockClient(S3Client);
let bucket: MemoryBucket;
let backends: { stop(): Promise<void> };
let jobCount = 0;

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
  bucket = memoryS3(s3, { pieceBytes: 512 });
});

const jobs = () => jobStore(TABLE);
const event = (id: string, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id,
  source: 'urn:sluice:workflow-test',
  type: 'com.example.workflow',
  time: '2026-01-01T00:00:00Z',
  data: { payload: 'x'.repeat(40) },
  ...extra,
});

/** A job record as submit-events or create-upload leaves it, and its submission in the bucket. */
async function submitted(source: 'api' | 'upload', body: string, filename = 'events.ndjson') {
  const jobId = `01JWORKFLOW${String(++jobCount).padStart(15, '0')}`;
  const key = source === 'api' ? `submissions/alice/${jobId}.json` : `uploads/alice/${jobId}/${filename}`;
  bucket.put(BUCKET, key, body);
  const now = new Date().toISOString();
  const record: JobRecord = {
    jobId,
    tenant: 'alice',
    source,
    status: source === 'api' ? 'QUEUED' : 'PENDING_UPLOAD',
    counts: zeroCounts(),
    errors: [],
    createdAt: now,
    updatedAt: now,
  };
  await jobs().create(record);
  return { jobId, input: { jobId, tenant: 'alice', source, bucket: BUCKET, key } };
}

describe('workflow documents', () => {
  it.each(readdirSync('workflows').filter((f) => f.endsWith('.json')))('%s is valid ASL', (file) => {
    const text = readFileSync(join('workflows', file), 'utf8');
    const raw = aslValidator(JSON.parse(text));
    expect(raw.errorsText(), 'as stored').toBe('');
    expect(raw.isValid).toBe(true);
    if (file === workflow.definitionFile.split('/').pop()) {
      expect(aslValidator(substituted(text)).isValid, 'with the function ARNs substituted').toBe(true);
    }
  });

  it('maps every Task state, including those inside the Map, to a real task handler', () => {
    const tasks = taskStates(JSON.parse(definitionText()));
    expect(tasks.map((t) => t.name).sort()).toEqual([
      'FinalizeJob',
      'IngestChunk',
      'IngestGroup',
      'MarkGroupFailed',
      'MarkJobFailed',
      'PrepareJob',
    ]);
    const unmapped = tasks.filter(({ state }) => {
      const fn = functionOf(state);
      return !fn || !taskHandlers[fn];
    });
    expect(unmapped.map((t) => t.name)).toEqual([]);
    expect(Object.keys(localWorkflow().handlers).sort()).toEqual(tasks.map((t) => t.name).sort());
  });

  it('retries by name exactly the errors the task handlers raise as retryable', () => {
    for (const { name, state } of taskStates(JSON.parse(definitionText()))) {
      const retried = ((state.Retry ?? []) as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals);
      const byName = retried.filter((e) => !e.startsWith('Lambda.') && !e.startsWith('States.'));
      expect(byName.sort(), name).toEqual([...RETRIED_ERROR_NAMES].sort());
    }
  });

  it("retries every task on Lambda's own transient errors, the client execution timeout included", () => {
    const lambdaErrors = [
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
      'Lambda.ClientExecutionTimeoutException',
      'Lambda.Unknown',
    ];
    for (const { name, state } of taskStates(JSON.parse(definitionText()))) {
      const retried = ((state.Retry ?? []) as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals);
      expect(retried, name).toEqual(expect.arrayContaining(lambdaErrors));
    }
  });
});

describe('ingest workflow, executed', () => {
  it('ingests an API submission over several chunks and finishes the job SUCCEEDED with exact counts', async () => {
    const events = Array.from({ length: 12 }, (_, i) => event(`ok-${i}`));
    const { jobId, input } = await submitted('api', JSON.stringify(events));
    const wf = localWorkflow();
    const output = (await wf.run(jobId, input)) as { status: string };

    const counts = { received: 12, accepted: 12, rejected: 0, duplicates: 0 };
    expect(output).toMatchObject({ jobId, status: 'SUCCEEDED', counts, executionArn: executionArn(jobId) });
    expect(wf.calls.IngestChunk!.length).toBeGreaterThan(1);
    expect(wf.calls.MarkJobFailed).toEqual([]);
    const job = await jobs().get('alice', jobId);
    expect(job).toMatchObject({ status: 'SUCCEEDED', counts, errors: [], executionArn: executionArn(jobId) });
    const stored = await eventStore(TABLE).get('alice', 'urn:sluice:workflow-test', 'ok-7');
    expect(stored).toEqual(events[7]);
  });

  it('records rejected and duplicate events with their indexes, on the job and in the report', async () => {
    const lines = [
      JSON.stringify(event('mixed-0')),
      JSON.stringify(event('mixed-1', { specversion: '0.3' })),
      '{not json',
      JSON.stringify(event('ok-0')), // stored by the previous case
      JSON.stringify(event('mixed-0')),
      '',
      JSON.stringify(event('mixed-5', { time: 'yesterday' })),
    ];
    const { jobId, input } = await submitted('upload', lines.join('\n'));
    await localWorkflow().run(jobId, input);

    const job = await jobs().get('alice', jobId);
    expect(job?.status).toBe('SUCCEEDED');
    expect(job?.counts).toEqual({ received: 6, accepted: 1, rejected: 3, duplicates: 2 });
    expect(job?.errors.map((e) => [e.index, e.id])).toEqual([
      [1, 'mixed-1'],
      [2, null],
      [6, 'mixed-5'],
    ]);
    expect(job?.errors[0]!.reason).toMatch(/^specversion/);
    expect(job?.errors[2]!.reason).toMatch(/^time/);
    expect(job?.report).toEqual({ prefix: `reports/alice/${jobId}/errors/`, pageSize: 1000, count: 3 });
    expect(bucket.json(BUCKET, `${job!.report!.prefix}0.json`)).toEqual(job?.errors);
  });

  it('retries a chunk that fails once with a transient error and still succeeds', async () => {
    const { jobId, input } = await submitted('api', JSON.stringify([event('retry-0'), event('retry-1')]));
    // A 502 under a name the workflow does not list: the handler must call it a TransientError.
    const badGateway = Object.assign(new Error('Bad Gateway'), {
      name: 'BadGateway',
      $metadata: { httpStatusCode: 502 },
    });
    bucket.failNextGet(BUCKET, `work/${jobId}/chunks/0.ndjson`, badGateway);
    const wf = localWorkflow();
    await wf.run(jobId, input);

    const chunk0 = wf.calls.IngestChunk!.filter(
      (payload) => (payload as { chunk: { n: number } }).chunk.n === 0,
    );
    expect(chunk0).toEqual([
      { jobId, tenant: 'alice', chunk: { n: 0, start: 0 } },
      { jobId, tenant: 'alice', chunk: { n: 0, start: 0 } },
    ]);
    const job = await jobs().get('alice', jobId);
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      counts: { received: 2, accepted: 2, rejected: 0, duplicates: 0 },
    });
  });

  it('catches a fatal task error, fails the job with its cause and ends the execution in JobFailed', async () => {
    const { jobId, input } = await submitted('upload', '<html>not events</html>', 'page.html');
    const wf = localWorkflow();
    const failure = await wf.run(jobId, input).then(
      () => undefined,
      (error: Error) => error,
    );

    expect((failure?.cause as Error | undefined)?.name).toBe('JobFailed');
    expect(wf.calls.IngestChunk).toEqual([]);
    expect(wf.calls.MarkJobFailed).toEqual([
      {
        jobId,
        tenant: 'alice',
        executionArn: executionArn(jobId),
        failure: {
          Error: 'SubmissionUnreadable',
          Cause: expect.stringContaining('expected NDJSON or a JSON array'),
        },
      },
    ]);
    const job = await jobs().get('alice', jobId);
    expect(job).toMatchObject({
      status: 'FAILED',
      failure: { error: 'SubmissionUnreadable', cause: 'expected NDJSON or a JSON array, found "<"' },
      finishedAt: expect.any(String),
    });
  });
});
