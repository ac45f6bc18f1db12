import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
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
    putResult(1, 1, [4, 5], 1);
    putResult(2, 3, []);
    const view = await finalize(3, 10);

    const counts = { received: 10, accepted: 6, rejected: 3, duplicates: 1 };
    const report = `reports/alice/${JOB}/errors.json`;
    expect(bucket.json('bucket', report)).toEqual(
      [1, 4, 5].map((index) => ({ index, id: `e${index}`, reason: 'type: required' })),
    );
    expect(updatedFields()).toMatchObject({
      status: 'SUCCEEDED',
      counts,
      errors: [{ index: 1 }, { index: 4 }, { index: 5 }].map((e) => expect.objectContaining(e)),
      reportKey: report,
      finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(view).toMatchObject({ jobId: JOB, status: 'SUCCEEDED', counts, executionArn: ARN });
    expect(view).not.toHaveProperty('reportKey');
  });

  it('keeps the first 100 rejections on the job and all of them in the report', async () => {
    putResult(
      0,
      0,
      Array.from({ length: 130 }, (_, i) => i),
    );
    await finalize(1, 130);
    expect((updatedFields().errors as unknown[]).length).toBe(100);
    expect((bucket.json('bucket', `reports/alice/${JOB}/errors.json`) as unknown[]).length).toBe(130);
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
