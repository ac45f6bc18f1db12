import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../functions/read-jobs/handler';
import { jobKey } from '../../shared/aws/stores/jobs';
import { encodeCursor } from '../../shared/http/request';
import type { JobRecord } from '../../shared/jobs/model';
import { apiEvent, lambdaContext, parsed, type ApiEventOptions } from './api-event';
import { memoryS3 } from './memory-s3';

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'sluice',
    BUCKET_NAME: 'sluice-bucket',
  });
});

const ddb = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);

const jobId = '01JABCDEFGHJKMNPQRSTVWXYZ0';
const key = jobKey('alice', jobId, 8);
/** What a GET /jobs cursor holds: the page's last job, pinned to the tenant. */
const cursorKey = { pk: 'TENANT#alice', sk: `JOB#${jobId}` };
const rejection = { index: 1, id: 'e-1', reason: 'specversion must be "1.0"' };
const job: JobRecord = {
  jobId,
  tenant: 'alice',
  source: 'api',
  status: 'SUCCEEDED',
  counts: { received: 3, accepted: 2, rejected: 1, duplicates: 0 },
  errors: [rejection],
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:ingest:' + jobId,
  submission: { bucket: 'sluice-bucket', key: `submissions/alice/${jobId}.json` },
  reportKey: `reports/alice/${jobId}/errors.json`,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:05.000Z',
  finishedAt: '2026-01-01T00:00:05.000Z',
};
const view = {
  jobId,
  source: 'api',
  status: 'SUCCEEDED',
  counts: job.counts,
  errors: [rejection],
  executionArn: job.executionArn,
  createdAt: job.createdAt,
  updatedAt: job.updatedAt,
  finishedAt: job.finishedAt,
};

const get = (routeKey: string, options: ApiEventOptions = {}) =>
  handler(apiEvent(routeKey, options), lambdaContext).then(parsed);

beforeEach(() => {
  ddb.reset();
  s3.reset();
  ddb
    .on(GetCommand)
    .resolves({})
    .on(GetCommand, { Key: key })
    .resolves({ Item: { ...key, ...job } });
});

describe('GET /jobs/{jobId}', () => {
  it("returns the caller's job as its public view", async () => {
    const result = await get('GET /jobs/{jobId}', { pathParameters: { jobId } });
    expect(result).toMatchObject({ status: 200, body: view });
    expect(Object.keys(result.body).sort()).toEqual(Object.keys(view).sort());
  });

  it("answers 404 for another tenant's job or an unknown one", async () => {
    const foreign = await get('GET /jobs/{jobId}', { tenant: 'bob', pathParameters: { jobId } });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('NotFound');
    // Its shard, then the partition of jobs written before sharding.
    expect(ddb.commandCalls(GetCommand).map((call) => call.args[0].input.Key)).toEqual([
      jobKey('bob', jobId, 8),
      { pk: 'TENANT#bob', sk: `JOB#${jobId}` },
    ]);
    expect((await get('GET /jobs/{jobId}', { pathParameters: { jobId: 'nope' } })).status).toBe(404);
  });

  it('answers 401 without a caller and 500 when the table fails', async () => {
    expect((await get('GET /jobs/{jobId}', { tenant: null, pathParameters: { jobId } })).status).toBe(401);
    ddb.on(GetCommand).rejects(new Error('throttled'));
    const failed = await get('GET /jobs/{jobId}', { pathParameters: { jobId } });
    expect(failed).toMatchObject({ status: 500, body: { error: { code: 'InternalError' } } });
  });
});

describe('GET /jobs', () => {
  it('lists newest first, 20 by default, with a cursor for the next page', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': key.pk } })
      .resolves({ Items: [{ ...key, ...job }], LastEvaluatedKey: key });
    const result = await get('GET /jobs');
    expect(result.status).toBe(200);
    expect(result.body.items).toEqual([view]);
    expect(result.body.nextCursor).toBe(encodeCursor(cursorKey));
    // Each of the 8 shards and the legacy partition, one more than the page.
    const queries = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries).toHaveLength(9);
    for (const query of queries) expect(query).toMatchObject({ Limit: 21, ScanIndexForward: false });
  });

  it('passes the limit and cursor on and ends with a null cursor', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const cursor = encodeCursor(cursorKey);
    const result = await get('GET /jobs', { queryStringParameters: { limit: '5', cursor } });
    expect(result.body).toEqual({ items: [], nextCursor: null });
    const queries = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries.map((query) => query.ExclusiveStartKey)).toEqual([
      ...Array.from({ length: 8 }, (_, k) => ({ pk: `TENANT#alice#${k}`, sk: cursorKey.sk })),
      cursorKey,
    ]);
    for (const query of queries) expect(query.Limit).toBe(6);
  });

  it.each([['0'], ['101'], ['ten']])('refuses limit=%s with 400 InvalidRequest', async (limit) => {
    const result = await get('GET /jobs', { queryStringParameters: { limit } });
    expect(result).toMatchObject({ status: 400, body: { error: { code: 'InvalidRequest' } } });
    expect(ddb.calls()).toHaveLength(0);
  });

  it("refuses a broken cursor or another tenant's with 400 InvalidCursor", async () => {
    for (const cursor of ['%%%', encodeCursor({ pk: 'TENANT#bob', sk: 'JOB#x' })]) {
      const result = await get('GET /jobs', { queryStringParameters: { cursor } });
      expect(result).toMatchObject({ status: 400, body: { error: { code: 'InvalidCursor' } } });
    }
  });
});

describe('GET /jobs/{jobId}/errors (paged report)', () => {
  const prefix = `reports/alice/${jobId}/errors/`;
  const all = Array.from({ length: 45 }, (_, i) => ({ index: i * 3, id: `e${i}`, reason: 'type: required' }));

  /** A finished job whose 45 rejections sit in pages of 7 (the last one holds 3). */
  function pagedJob(count = all.length) {
    const bucket = memoryS3(s3);
    for (let p = 0; p * 7 < count; p++) {
      bucket.put('sluice-bucket', `${prefix}${p}.json`, JSON.stringify(all.slice(p * 7, p * 7 + 7)));
    }
    const { reportKey: _legacy, ...paged } = job;
    const item = {
      ...key,
      ...paged,
      counts: { ...job.counts, rejected: count },
      report: { prefix, pageSize: 7, count },
    };
    ddb.on(GetCommand, { Key: key }).resolves({ Item: item });
    return bucket;
  }

  async function readAll(limit?: number) {
    const pages: { items: typeof all; nextCursor: string | null; pageReads: number }[] = [];
    let cursor: string | undefined;
    do {
      const before = s3.commandCalls(GetObjectCommand).length;
      const query: Record<string, string> = {
        ...(cursor ? { cursor } : {}),
        ...(limit ? { limit: String(limit) } : {}),
      };
      const result = await get('GET /jobs/{jobId}/errors', {
        pathParameters: { jobId },
        queryStringParameters: query,
      });
      expect(result.status).toBe(200);
      expect(result.body.jobId).toBe(jobId);
      pages.push({ ...result.body, pageReads: s3.commandCalls(GetObjectCommand).length - before });
      cursor = pages.at(-1)!.nextCursor ?? undefined;
    } while (cursor);
    return pages;
  }

  it('reads a report of 7 pages back in order, no gaps or duplicates, only the pages each request covers', async () => {
    pagedJob();
    const pages = await readAll(10);
    expect(pages.map((p) => p.items.length)).toEqual([10, 10, 10, 10, 5]);
    expect(pages.flatMap((p) => p.items)).toEqual(all);
    // Only the pages a request covers: at most ceil(limit / pageSize) + 1 = 3 objects.
    expect(pages.map((p) => p.pageReads)).toEqual([2, 2, 3, 2, 2]);
    const keys = s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key);
    expect(new Set(keys)).toEqual(new Set(Array.from({ length: 7 }, (_, p) => `${prefix}${p}.json`)));
  });

  it('fills the default limit from as many pages as it needs and ends with a null cursor', async () => {
    pagedJob();
    const [only, ...rest] = await readAll();
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ items: all, nextCursor: null, pageReads: 7 });
  });

  it('reads nothing from S3 for a job without rejections', async () => {
    pagedJob(0);
    const result = await get('GET /jobs/{jobId}/errors', { pathParameters: { jobId } });
    expect(result.body).toEqual({ jobId, items: [], nextCursor: null });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('refuses a cursor past the end of the report with 400 InvalidCursor', async () => {
    pagedJob();
    for (const offset of [46, Number.MAX_SAFE_INTEGER + 1]) {
      const cursor = encodeCursor({ jobId, offset });
      const result = await get('GET /jobs/{jobId}/errors', {
        pathParameters: { jobId },
        queryStringParameters: { cursor },
      });
      expect(result).toMatchObject({ status: 400, body: { error: { code: 'InvalidCursor' } } });
    }
    expect(s3.calls()).toHaveLength(0);
  });

  it('answers 500 when a page of the report is missing', async () => {
    const bucket = pagedJob();
    bucket.objects.delete(`sluice-bucket/${prefix}3.json`);
    const cursor = encodeCursor({ jobId, offset: 20 });
    const result = await get('GET /jobs/{jobId}/errors', {
      pathParameters: { jobId },
      queryStringParameters: { cursor, limit: '5' },
    });
    expect(result).toMatchObject({ status: 500, body: { error: { code: 'InternalError' } } });
  });
});

describe('GET /jobs/{jobId}/errors (a job finished before paging: one errors.json)', () => {
  it('returns the full report of a finished job from S3', async () => {
    const report = [rejection, { index: 7, id: null, reason: 'source is required' }];
    s3.on(GetObjectCommand).resolves({
      Body: { transformToString: async () => JSON.stringify(report) } as never,
    });
    const result = await get('GET /jobs/{jobId}/errors', { pathParameters: { jobId } });
    expect(result).toMatchObject({ status: 200, body: { jobId, items: report, nextCursor: null } });
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'sluice-bucket',
      Key: `reports/alice/${jobId}/errors.json`,
    });
  });

  it('pages a long report: 1,000 rejections by default, `limit` up to 1,000, cursors to the end', async () => {
    const report = Array.from({ length: 2_345 }, (_, index) => ({ index, id: `e${index}`, reason: 'bad' }));
    s3.on(GetObjectCommand).callsFake(async () => ({
      Body: { transformToString: async () => JSON.stringify(report) },
    }));
    const pages: { items: { index: number }[]; nextCursor: string | null }[] = [];
    let cursor: string | undefined;
    do {
      const query: Record<string, string> = cursor ? { cursor } : {};
      const result = await get('GET /jobs/{jobId}/errors', {
        pathParameters: { jobId },
        queryStringParameters: query,
      });
      expect(result.status).toBe(200);
      pages.push(result.body as (typeof pages)[number]);
      cursor = pages.at(-1)!.nextCursor ?? undefined;
    } while (cursor);
    expect(pages.map((p) => p.items.length)).toEqual([1000, 1000, 345]);
    expect(pages.flatMap((p) => p.items.map((r) => r.index))).toEqual(report.map((r) => r.index));

    const small = await get('GET /jobs/{jobId}/errors', {
      pathParameters: { jobId },
      queryStringParameters: { limit: '2' },
    });
    expect((small.body as { items: unknown[] }).items).toEqual(report.slice(0, 2));
  });

  it("refuses a limit over 1,000 and another job's cursor", async () => {
    const tooMany = await get('GET /jobs/{jobId}/errors', {
      pathParameters: { jobId },
      queryStringParameters: { limit: '1001' },
    });
    expect(tooMany).toMatchObject({ status: 400, body: { error: { code: 'InvalidRequest' } } });
    const foreign = await get('GET /jobs/{jobId}/errors', {
      pathParameters: { jobId },
      queryStringParameters: { cursor: encodeCursor({ jobId: 'another-job', offset: 1 }) },
    });
    expect(foreign).toMatchObject({ status: 400, body: { error: { code: 'InvalidCursor' } } });
    for (const offset of [-1, 1.5, 'x']) {
      const forged = await get('GET /jobs/{jobId}/errors', {
        pathParameters: { jobId },
        queryStringParameters: { cursor: encodeCursor({ jobId, offset }) },
      });
      expect(forged).toMatchObject({ status: 400, body: { error: { code: 'InvalidCursor' } } });
    }
  });

  it('answers 500 when a finished job has lost its report', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('missing'), { name: 'NoSuchKey' }));
    const result = await get('GET /jobs/{jobId}/errors', { pathParameters: { jobId } });
    expect(result).toMatchObject({ status: 500, body: { error: { code: 'InternalError' } } });
  });

  it('returns the rejections recorded so far while the job has no report', async () => {
    const { reportKey: _none, ...running } = { ...job, status: 'RUNNING' };
    ddb.on(GetCommand, { Key: key }).resolves({ Item: { ...key, ...running } });
    const result = await get('GET /jobs/{jobId}/errors', { pathParameters: { jobId } });
    expect(result.body).toEqual({ jobId, items: [rejection], nextCursor: null });
    expect(s3.calls()).toHaveLength(0);
  });

  it("answers 404 for another tenant's job", async () => {
    const result = await get('GET /jobs/{jobId}/errors', { tenant: 'bob', pathParameters: { jobId } });
    expect(result.status).toBe(404);
    expect(s3.calls()).toHaveLength(0);
  });
});
