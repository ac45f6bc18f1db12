import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../functions/finalize-job/handler';
import type { ChunkResult } from '../../shared/jobs/results';
import { lambdaContext } from './api-event';
import { memoryS3, type MemoryBucket } from './memory-s3';

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'sluice',
    BUCKET_NAME: 'bucket',
    REPORT_PAGE_SIZE: '1000',
  });
});

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
let bucket: MemoryBucket;

const JOB = '01JOBFINALIZE0000000000000';
const ARN = `arn:aws:states:us-east-1:000000000000:execution:ingest:${JOB}`;
const job = {
  jobId: JOB,
  tenant: 'alice',
  source: 'api',
  status: 'RUNNING',
  counts: { received: 0, accepted: 0, rejected: 0, duplicates: 0 },
  errors: [],
  executionArn: ARN,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

function putResult(n: number, accepted: number, rejectedAt: number[], duplicates = 0) {
  const result: ChunkResult = {
    n,
    counts: {
      received: accepted + rejectedAt.length + duplicates,
      accepted,
      rejected: rejectedAt.length,
      duplicates,
    },
    rejections: rejectedAt.map((index) => ({ index, id: `e${index}`, reason: 'type: required' })),
  };
  bucket.put('bucket', `work/${JOB}/results/${n}.json`, JSON.stringify(result));
}

const finalize = (chunkCount: number, received: number) =>
  handler({ jobId: JOB, tenant: 'alice', executionArn: ARN, chunkCount, received }, lambdaContext);

/** The attribute values of the job update, by attribute name. */
const updatedFields = () => updatedFieldsOf(ddb.commandCalls(UpdateCommand)[0]!.args[0].input);

beforeEach(() => {
  process.env.REPORT_PAGE_SIZE = '1000';
  s3.reset();
  ddb.reset();
  bucket = memoryS3(s3);
  ddb
    .on(UpdateCommand)
    .callsFake((input) => ({ Attributes: { ...job, ...updatedFieldsOf(input), status: 'SUCCEEDED' } }));
});

function updatedFieldsOf(input: {
  UpdateExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}) {
  const fields: Record<string, unknown> = {};
  for (const assignment of input.UpdateExpression!.replace(/^SET /, '').split(', ')) {
    const [name, value] = assignment.split(' = ') as [string, string];
    fields[input.ExpressionAttributeNames![name] ?? name] = input.ExpressionAttributeValues![value];
  }
  return fields;
}

describe('finalize-job', () => {
  it('adds up the chunk results, writes the full report and marks the job SUCCEEDED', async () => {
    putResult(0, 2, [1]);
    putResult(1, 1, [5, 4], 1);
    putResult(2, 3, []);
    const view = await finalize(3, 10);

    const counts = { received: 10, accepted: 6, rejected: 3, duplicates: 1 };
    const prefix = `reports/alice/${JOB}/errors/`;
    expect(bucket.json('bucket', `${prefix}0.json`)).toEqual(
      [1, 4, 5].map((index) => ({ index, id: `e${index}`, reason: 'type: required' })),
    );
    expect(updatedFields()).toMatchObject({
      status: 'SUCCEEDED',
      counts,
      errors: [{ index: 1 }, { index: 4 }, { index: 5 }].map((e) => expect.objectContaining(e)),
      report: { prefix, pageSize: 1000, count: 3 },
      finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(view).toMatchObject({ jobId: JOB, status: 'SUCCEEDED', counts, executionArn: ARN });
    expect(view).not.toHaveProperty('reportKey');
    expect(view).not.toHaveProperty('report');
  });

  it('keeps the first 100 rejections on the job and all of them in the report', async () => {
    putResult(
      0,
      0,
      Array.from({ length: 130 }, (_, i) => i),
    );
    await finalize(1, 130);
    expect((updatedFields().errors as unknown[]).length).toBe(100);
    expect((bucket.json('bucket', `reports/alice/${JOB}/errors/0.json`) as unknown[]).length).toBe(130);
  });

  it('writes the report in pages of REPORT_PAGE_SIZE while it reads the chunk results', async () => {
    process.env.REPORT_PAGE_SIZE = '4';
    for (let n = 0; n < 10; n++) putResult(n, 1, [n * 10 + 3, n * 10 + 1]); // 20 rejections
    await finalize(10, 30);

    const prefix = `reports/alice/${JOB}/errors/`;
    const pages = Array.from({ length: 5 }, (_, p) => bucket.json('bucket', `${prefix}${p}.json`));
    expect(pages.map((page) => (page as { index: number }[]).map((r) => r.index))).toEqual([
      [1, 3, 11, 13],
      [21, 23, 31, 33],
      [41, 43, 51, 53],
      [61, 63, 71, 73],
      [81, 83, 91, 93],
    ]);
    expect(bucket.objects.has(`bucket/${prefix}5.json`)).toBe(false);
    expect(updatedFields().report).toEqual({ prefix, pageSize: 4, count: 20 });

    // Streaming, not all at once: the first page is out before the last chunk results are read.
    const calls = s3.calls().map((call) => call.args[0]);
    const firstPageWrite = calls.findIndex(
      (command) => command instanceof PutObjectCommand && command.input.Key === `${prefix}0.json`,
    );
    const lastResultRead = calls.findIndex(
      (command) => command instanceof GetObjectCommand && command.input.Key === `work/${JOB}/results/9.json`,
    );
    expect(firstPageWrite).toBeGreaterThanOrEqual(0);
    expect(firstPageWrite).toBeLessThan(lastResultRead);
  });

  it('fails with ResultMismatch when chunk results overlap (the report would be out of order)', async () => {
    putResult(0, 0, [4]);
    putResult(1, 0, [2]);
    await expect(finalize(2, 2)).rejects.toMatchObject({ name: 'ResultMismatch' });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('fails with ResultMismatch when the results do not add up to what was received', async () => {
    putResult(0, 2, []);
    await expect(finalize(1, 3)).rejects.toMatchObject({ name: 'ResultMismatch' });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('fails with ResultMismatch when a chunk result is missing', async () => {
    putResult(0, 2, []);
    await expect(finalize(2, 2)).rejects.toMatchObject({
      name: 'ResultMismatch',
      message: 'the result of chunk 1 does not exist',
    });
  });

  it('returns the finished job on a retry after the job already SUCCEEDED', async () => {
    putResult(0, 1, []);
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    ddb.on(GetCommand).resolves({
      Item: {
        ...job,
        status: 'SUCCEEDED',
        counts: { received: 1, accepted: 1, rejected: 0, duplicates: 0 },
      },
    });
    expect(await finalize(1, 1)).toMatchObject({ status: 'SUCCEEDED', counts: { accepted: 1 } });
  });

  it('fails with JobNotRunnable when the job already FAILED', async () => {
    putResult(0, 1, []);
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    ddb.on(GetCommand).resolves({ Item: { ...job, status: 'FAILED' } });
    await expect(finalize(1, 1)).rejects.toMatchObject({
      name: 'JobNotRunnable',
      message: `job ${JOB} is FAILED and cannot become SUCCEEDED`,
    });
  });
});
