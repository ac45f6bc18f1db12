/**
 * GET /jobs and GET /events against a real DynamoDB emulator (dynalite, as the local cloud runs it): jobs and
 * events spread over shards and over the partitions written before sharding page in order, with no duplicate
 * and no gap, and a tampered cursor is a 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import type { Handler } from 'aws-lambda';
import { startDynamoDb, type DynamoDbService } from '../../local/services/dynamodb';
import { localCredentials } from '../../local/services/credentials';
import { eventItem, eventStore, typePartition } from '../../shared/aws/stores/events';
import { jobStore } from '../../shared/aws/stores/jobs';
import { encodeCursor } from '../../shared/http/request';
import type { JobRecord } from '../../shared/jobs/model';
import type { CloudEvent } from '../../shared/cloudevents/types';
import { apiEvent, lambdaContext, parsed, type ApiEventOptions } from '../handlers/api-event';

const region = 'us-east-1';
const TableName = 'sluice-shards';
const SHARDS = 4;
let dataDir: string;
let service: DynamoDbService;
let db: DynamoDBDocumentClient;
let readJobs: Handler;
let queryEvents: Handler;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sluice-shards-'));
  service = await startDynamoDb({
    dir: dataDir,
    port: { port: 0, fixed: false },
    region,
    tableName: TableName,
  });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: service.endpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    TABLE_NAME: TableName,
    BUCKET_NAME: 'unused',
    JOB_SHARDS: String(SHARDS),
    TYPE_SHARDS: String(SHARDS),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: service.endpoint, region, credentials: localCredentials }),
  );
  readJobs = (await import('../../functions/read-jobs/handler')).handler as Handler;
  queryEvents = (await import('../../functions/query-events/handler')).handler as Handler;
});

afterAll(async () => {
  db?.destroy();
  await service?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const call = async (handler: Handler, routeKey: string, options: ApiEventOptions) =>
  parsed((await handler(apiEvent(routeKey, options), lambdaContext, () => {})) as never);

const nextId = monotonicFactory();
const newJob = (tenant = 'alice'): JobRecord => ({
  jobId: nextId(),
  tenant,
  source: 'api',
  status: 'QUEUED',
  counts: { received: 1, accepted: 0, rejected: 0, duplicates: 0 },
  errors: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

/** Every page of GET /jobs (or GET /events) with `limit`, each page's ids, following nextCursor. */
async function pages(
  handler: Handler,
  routeKey: string,
  query: Record<string, string>,
  between: () => Promise<void> = async () => {},
): Promise<string[][]> {
  const out: string[][] = [];
  let cursor: string | undefined;
  do {
    const result = await call(handler, routeKey, {
      queryStringParameters: { ...query, ...(cursor && { cursor }) },
    });
    expect(result.status).toBe(200);
    out.push(result.body.items.map((item: { jobId?: string; id?: string }) => item.jobId ?? item.id));
    cursor = result.body.nextCursor ?? undefined;
    await between();
  } while (cursor && out.length < 100);
  return out;
}

describe('GET /jobs across job shards and the partition of jobs written before sharding', () => {
  const legacy: JobRecord[] = [];
  const sharded: JobRecord[] = [];
  const bobs: string[] = [];

  beforeAll(async () => {
    const jobs = jobStore(TableName, db, SHARDS);
    // Old jobs (before sharding) interleaved in time with new ones, a schema in the old partition, bob's jobs.
    for (let i = 0; i < 40; i += 1) {
      const job = newJob();
      if (i % 5 === 2) {
        legacy.push(job);
        await db.send(
          new PutCommand({ TableName, Item: { pk: 'TENANT#alice', sk: `JOB#${job.jobId}`, ...job } }),
        );
      } else {
        sharded.push(job);
        await jobs.create(job);
      }
      if (i % 10 === 0) {
        const bob = newJob('bob');
        bobs.push(bob.jobId);
        await jobs.create(bob);
      }
    }
    await db.send(new PutCommand({ TableName, Item: { pk: 'TENANT#alice', sk: 'SCHEMA#t', type: 't' } }));
  });

  const expected = () =>
    [...legacy, ...sharded]
      .map((job) => job.jobId)
      .sort()
      .reverse();

  it('pages newest first over every shard, each job exactly once, the last page without a cursor', async () => {
    for (const limit of ['1', '3', '7', '40', '100']) {
      const seen = await pages(readJobs, 'GET /jobs', { limit });
      expect(seen.flat()).toEqual(expected());
      for (const page of seen.slice(0, -1)) expect(page).toHaveLength(Number(limit));
      expect(seen.at(-1)!.length).toBeGreaterThan(0);
    }
    const shards = await Promise.all(
      sharded.map(async (job) => {
        const items = await db.send(
          new GetCommand({ TableName, Key: { pk: 'TENANT#alice', sk: `JOB#${job.jobId}` } }),
        );
        expect(items.Item).toBeUndefined(); // new jobs are not under the old key
        return job.jobId;
      }),
    );
    expect(shards).toHaveLength(32);
  });

  it('leaves jobs created between pages to a new listing, skipping none of the older ones', async () => {
    const before = expected();
    const added: string[] = [];
    const seen = await pages(readJobs, 'GET /jobs', { limit: '6' }, async () => {
      const job = newJob();
      await jobStore(TableName, db, SHARDS).create(job);
      sharded.push(job);
      added.push(job.jobId);
    });
    expect(seen.flat()).toEqual(before);
    expect((await pages(readJobs, 'GET /jobs', { limit: '100' })).flat().slice(0, added.length)).toEqual(
      [...added].reverse(),
    );
  });

  it('reads and finishes a job written before sharding', async () => {
    const old = legacy[0]!;
    const found = await call(readJobs, 'GET /jobs/{jobId}', { pathParameters: { jobId: old.jobId } });
    expect(found).toMatchObject({ status: 200, body: { jobId: old.jobId, status: 'QUEUED' } });
    const jobs = jobStore(TableName, db, SHARDS);
    // Created before sharding, started and finished after it.
    expect(await jobs.transition('alice', old.jobId, 'RUNNING')).toMatchObject({ status: 'RUNNING' });
    const done = await jobs.transition('alice', old.jobId, 'SUCCEEDED', {
      finishedAt: '2026-01-01T00:00:01.000Z',
    });
    expect(done).toMatchObject({ jobId: old.jobId, status: 'SUCCEEDED' });
    const stored = await db.send(
      new GetCommand({ TableName, Key: { pk: 'TENANT#alice', sk: `JOB#${old.jobId}` } }),
    );
    expect(stored.Item).toMatchObject({ status: 'SUCCEEDED' });
    // Finished is final, in either layout; an unknown job is not created by a transition.
    expect(await jobs.transition('alice', old.jobId, 'FAILED')).toBeUndefined();
    const fresh = sharded[0]!;
    expect(await jobs.transition('alice', fresh.jobId, 'RUNNING')).toMatchObject({ status: 'RUNNING' });
    expect(await jobs.transition('alice', fresh.jobId, 'SUCCEEDED')).toMatchObject({ status: 'SUCCEEDED' });
    expect(await jobs.transition('alice', fresh.jobId, 'FAILED')).toBeUndefined();
    expect(await jobs.transition('alice', nextId(), 'FAILED')).toBeUndefined();
    expect(await jobs.get('alice', fresh.jobId)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('refuses a tampered cursor, another tenant’s, and a shard key with 400 InvalidCursor', async () => {
    const first = await call(readJobs, 'GET /jobs', { queryStringParameters: { limit: '2' } });
    const cursor: string = first.body.nextCursor;
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const flipped = cursor.slice(0, 5) + (cursor[5] === 'A' ? 'B' : 'A') + cursor.slice(6);
    for (const bad of [
      flipped,
      encodeCursor({ ...key, pk: 'TENANT#bob' }),
      encodeCursor({ ...key, pk: 'TENANT#alice#1' }),
      encodeCursor({ ...key, sk: 'SCHEMA#t' }),
      encodeCursor({ ...key, extra: 1 }),
    ]) {
      const result = await call(readJobs, 'GET /jobs', { queryStringParameters: { cursor: bad } });
      expect([bad, result.status, result.body.error?.code]).toEqual([bad, 400, 'InvalidCursor']);
    }
    // Bob's jobs share the shard numbers, never the partitions.
    const alices = (await pages(readJobs, 'GET /jobs', { limit: '100' })).flat();
    expect(bobs).toHaveLength(4);
    for (const id of bobs) expect(alices).not.toContain(id);
  });
});

describe('GET /events across type shards and the type partition written before sharding', () => {
  const type = 'com.example.sharded';
  const stored: { id: string; gsi1sk: string; time: string }[] = [];

  beforeAll(async () => {
    const events = eventStore(TableName, db, SHARDS);
    for (let i = 0; i < 45; i += 1) {
      // Times out of insertion order, some shared (ties break on source and id).
      const time = new Date(Date.UTC(2026, 0, 1 + ((i * 7) % 30), i % 3)).toISOString();
      const event: CloudEvent = { specversion: '1.0', id: `e-${i}`, source: 'urn:shard', type, time };
      const newEvent = {
        tenant: 'alice',
        event,
        serialized: JSON.stringify(event),
        jobId: 'J',
        idx: i,
        ingestedAt: '2026-02-01T00:00:00.000Z',
      };
      const item = eventItem(newEvent, SHARDS);
      if (i % 4 === 1) {
        // Indexed before sharding: the old gsi1pk.
        await db.send(new PutCommand({ TableName, Item: { ...item, gsi1pk: typePartition('alice', type) } }));
      } else {
        expect(await events.putIfAbsent(newEvent)).toBe('stored');
      }
      stored.push({ id: event.id, gsi1sk: item.gsi1sk, time });
    }
    const other = { specversion: '1.0' as const, id: 'bob-1', source: 'urn:shard', type };
    await events.putIfAbsent({
      tenant: 'bob',
      event: other,
      serialized: JSON.stringify(other),
      jobId: 'J',
      idx: 0,
      ingestedAt: '2026-01-10T00:00:00.000Z',
    });
  });

  const latestFirst = (rows: typeof stored) =>
    [...rows].sort((a, b) => (a.gsi1sk < b.gsi1sk ? 1 : -1)).map((row) => row.id);

  it('pages latest first over every shard, each event exactly once, with and without time bounds', async () => {
    for (const limit of ['1', '4', '10', '45', '100']) {
      const seen = await pages(queryEvents, 'GET /events', { type, limit });
      expect(seen.flat()).toEqual(latestFirst(stored));
      for (const page of seen.slice(0, -1)) expect(page).toHaveLength(Number(limit));
    }
    const since = '2026-01-08T00:00:00.000Z';
    const until = '2026-01-20T01:00:00.000Z';
    const bounded = await pages(queryEvents, 'GET /events', { type, limit: '3', since, until });
    expect(bounded.flat()).toEqual(
      latestFirst(stored.filter((row) => row.time >= since && row.time <= until)),
    );
  });

  it('refuses a tampered cursor, another tenant’s or type’s, and one outside the time bounds with 400', async () => {
    const first = await call(queryEvents, 'GET /events', { queryStringParameters: { type, limit: '2' } });
    const cursor: string = first.body.nextCursor;
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    expect(key.gsi1pk).toBe(typePartition('alice', type));
    const flipped = cursor.slice(0, 5) + (cursor[5] === 'A' ? 'B' : 'A') + cursor.slice(6);
    for (const [bad, query] of [
      [flipped, {}],
      [encodeCursor({ ...key, gsi1pk: typePartition('bob', type) }), {}],
      [encodeCursor({ ...key, gsi1pk: `${typePartition('alice', type)}#1` }), {}],
      [encodeCursor({ ...key, gsi1pk: typePartition('alice', 'other') }), {}],
      [encodeCursor({ ...key, pk: key.pk.replace('EVENT#alice#', 'EVENT#bob#') }), {}],
      [cursor, { since: '2027-01-01T00:00:00Z' }],
    ] as const) {
      const result = await call(queryEvents, 'GET /events', {
        queryStringParameters: { type, limit: '2', cursor: bad, ...query },
      });
      expect([bad, result.status, result.body.error?.code]).toEqual([bad, 400, 'InvalidCursor']);
    }
  });
});
