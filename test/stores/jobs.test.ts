import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import { jobStore } from '../../shared/aws/stores/jobs';
import { shardCounts, shardOf } from '../../shared/aws/stores/shards';
import { encodeCursor } from '../../shared/http/request';
import { previousStatusesFor, type JobRecord } from '../../shared/jobs/model';

const ddb = mockClient(DynamoDBDocumentClient);
/** The inputs of the commands of one kind sent so far. */
const sent = <C extends Parameters<typeof ddb.commandCalls>[0]>(command: C) =>
  ddb.commandCalls(command).map((call) => call.args[0].input);
const SHARDS = 8;
const jobs = jobStore(
  'sluice',
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  SHARDS,
);
/** The shard as docs/design.md defines it: the first 4 bytes of SHA-256 of the jobId, mod the shard count. */
const shardFor = (jobId: string, shards = SHARDS) =>
  createHash('sha256').update(jobId, 'utf8').digest().readUInt32BE(0) % shards;

const job: JobRecord = {
  jobId: '01J0000000000000000000000A',
  tenant: 'alice',
  source: 'api',
  status: 'QUEUED',
  counts: { received: 0, accepted: 0, rejected: 0, duplicates: 0 },
  errors: [],
  submission: { bucket: 'b', key: 'submissions/alice/01J0000000000000000000000A.json' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const key = { pk: `TENANT#alice#${shardFor(job.jobId)}`, sk: `JOB#${job.jobId}` };
const legacyKey = { pk: 'TENANT#alice', sk: `JOB#${job.jobId}` };
const conditionFailed = (Item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(Item && { Item: Item as never }),
  });
const partitions = [...Array.from({ length: SHARDS }, (_, k) => `TENANT#alice#${k}`), 'TENANT#alice'];
const jobItem = (jobId: string, pk: string) => ({ ...job, jobId, pk, sk: `JOB#${jobId}` });

beforeEach(() => ddb.reset());

describe('jobStore', () => {
  it("creates a job under its tenant's shard, never overwriting one", async () => {
    ddb.on(PutCommand).resolves({});
    await jobs.create(job);
    expect(sent(PutCommand)[0]).toMatchObject({
      TableName: 'sluice',
      Item: { ...key, ...job },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('reads a job consistently from its shard, without its keys, and undefined when absent', async () => {
    ddb
      .on(GetCommand)
      .resolves({})
      .on(GetCommand, { Key: key })
      .resolves({ Item: { ...key, ...job } });
    expect(await jobs.get('alice', job.jobId)).toEqual(job);
    expect(sent(GetCommand)).toEqual([{ TableName: 'sluice', Key: key, ConsistentRead: true }]);
    expect(await jobs.get('bob', job.jobId)).toBeUndefined();
  });

  it('reads a job written before sharding from the legacy partition when its shard has none', async () => {
    ddb
      .on(GetCommand)
      .resolves({})
      .on(GetCommand, { Key: legacyKey })
      .resolves({ Item: { ...legacyKey, ...job } });
    expect(await jobs.get('alice', job.jobId)).toEqual(job);
    expect(sent(GetCommand).map((input) => input.Key)).toEqual([key, legacyKey]);
    expect(sent(GetCommand).every((input) => input.ConsistentRead)).toBe(true);
  });

  it('lists every shard and the legacy partition, merged newest first, one Query each', async () => {
    const ids = Array.from({ length: 12 }, (_, i) =>
      `01J00000000000000000000${String(i).padStart(3, '0')}`.slice(-26),
    );
    // Spread over shards 0, 3, 7 and the legacy partition, newest (highest ULID) first within each.
    const byPartition: Record<string, string[]> = {
      'TENANT#alice#0': [ids[11]!, ids[6]!, ids[2]!],
      'TENANT#alice#3': [ids[10]!, ids[9]!, ids[1]!],
      'TENANT#alice#7': [ids[8]!, ids[5]!],
      'TENANT#alice': [ids[7]!, ids[4]!, ids[3]!, ids[0]!],
    };
    for (const pk of partitions) {
      const items = (byPartition[pk] ?? []).map((id) => jobItem(id, pk));
      // Limit 5 + 1 reached only where a partition holds that many: none here; a LastEvaluatedKey anyway.
      ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': pk, ':prefix': 'JOB#' } }).resolvesOnce({
        Items: items.slice(0, 6),
        LastEvaluatedKey: items.length ? { pk, sk: 'x' } : undefined,
      });
    }
    const first = await jobs.list('alice', { limit: 5 });
    expect(first.items.map((j) => j.jobId)).toEqual([ids[11], ids[10], ids[9], ids[8], ids[7]]);
    expect(first.items[0]).toEqual({ ...job, jobId: ids[11] });
    const queries = sent(QueryCommand);
    expect(queries.map((q) => q.ExpressionAttributeValues![':pk'])).toEqual(partitions);
    for (const q of queries) {
      expect(q).toMatchObject({
        TableName: 'sluice',
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ScanIndexForward: false,
        Limit: 6,
        ExclusiveStartKey: undefined,
      });
    }
    // The cursor is the page's last key, pinned to the tenant's legacy partition: the same as before sharding.
    expect(first.nextCursor).toBe(encodeCursor({ pk: 'TENANT#alice', sk: `JOB#${ids[7]}` }));

    ddb.reset();
    ddb.on(QueryCommand).resolves({ Items: [] });
    const second = await jobs.list('alice', { limit: 5, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [], nextCursor: null });
    expect(sent(QueryCommand).map((q) => q.ExclusiveStartKey)).toEqual(
      partitions.map((pk) => ({ pk, sk: `JOB#${ids[7]}` })),
    );
  });

  it('has no cursor on the last page', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'TENANT#alice#2', ':prefix': 'JOB#' } })
      .resolves({ Items: [jobItem(job.jobId, 'TENANT#alice#2')] });
    expect(await jobs.list('alice', { limit: 1 })).toEqual({ items: [job], nextCursor: null });
  });

  it("refuses another tenant's cursor and a cursor that is not a key", async () => {
    for (const cursor of [
      encodeCursor({ pk: 'TENANT#bob', sk: `JOB#${job.jobId}` }),
      encodeCursor({ pk: 'TENANT#alice#3', sk: `JOB#${job.jobId}` }),
      encodeCursor({ pk: 'TENANT#alice', sk: 'SCHEMA#x' }),
      encodeCursor({ pk: 'TENANT#alice', sk: `JOB#${job.jobId}`, shard: 1 }),
      'not-a-cursor',
    ]) {
      await expect(jobs.list('alice', { limit: 5, cursor })).rejects.toMatchObject({
        status: 400,
        code: 'InvalidCursor',
      });
    }
    expect(sent(QueryCommand)).toEqual([]);
  });

  it('changes status only from the allowed previous statuses and returns the new record', async () => {
    const running = { ...job, status: 'RUNNING', executionArn: 'arn:x' };
    ddb.on(UpdateCommand).resolves({ Attributes: { ...key, ...running } });
    expect(await jobs.transition('alice', job.jobId, 'RUNNING', { executionArn: 'arn:x' })).toEqual(running);

    const input = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    const allowed = previousStatusesFor('RUNNING');
    expect(input).toMatchObject({
      TableName: 'sluice',
      Key: key,
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(input.ConditionExpression).toBe(
      `attribute_exists(pk) AND #status IN (${allowed.map((_, i) => `:from${i}`).join(', ')})`,
    );
    const values = input.ExpressionAttributeValues!;
    expect(allowed.map((_, i) => values[`:from${i}`])).toEqual(allowed);
    expect(values[':to']).toBe('RUNNING');
    // Each SET placeholder names the attribute it writes.
    const written = Object.fromEntries(
      input
        .UpdateExpression!.replace(/^SET /, '')
        .split(', ')
        .map((assignment) => assignment.split(' = '))
        .map(([name, value]) => [input.ExpressionAttributeNames![name!], values[value!]]),
    );
    expect(written).toEqual({ status: 'RUNNING', executionArn: 'arn:x', updatedAt: expect.any(String) });
    expect(Date.parse(written.updatedAt)).not.toBeNaN();
  });

  it('narrows the previous statuses with `from`', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { ...key, ...job, status: 'FAILED' } });
    await jobs.transition('alice', job.jobId, 'FAILED', {}, { from: ['PENDING_UPLOAD'] });
    const input = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('attribute_exists(pk) AND #status IN (:from0)');
    expect(input.ExpressionAttributeValues![':from0']).toBe('PENDING_UPLOAD');
  });

  it('returns undefined when the condition fails on the job and rethrows other errors', async () => {
    ddb
      .on(UpdateCommand)
      .rejectsOnce(conditionFailed({ pk: { S: key.pk } }))
      .rejectsOnce(new Error('throttled'));
    expect(await jobs.transition('alice', job.jobId, 'SUCCEEDED')).toBeUndefined();
    // The failed condition came back with the item: the job is in its shard, no legacy item to look for.
    expect(sent(UpdateCommand).map((input) => input.Key)).toEqual([key]);
    await expect(jobs.transition('alice', job.jobId, 'SUCCEEDED')).rejects.toThrow('throttled');
  });

  it('finishes a job created before sharding in the legacy partition', async () => {
    const done = { ...job, status: 'SUCCEEDED' };
    ddb
      .on(UpdateCommand, { Key: key })
      .rejects(conditionFailed())
      .on(UpdateCommand, { Key: legacyKey })
      .resolves({ Attributes: { ...legacyKey, ...done } });
    expect(await jobs.transition('alice', job.jobId, 'SUCCEEDED')).toEqual(done);
    const [sharded, legacy] = sent(UpdateCommand);
    expect([sharded!.Key, legacy!.Key]).toEqual([key, legacyKey]);
    expect(legacy!.ConditionExpression).toBe(sharded!.ConditionExpression);
    expect(legacy!.ExpressionAttributeValues).toEqual(sharded!.ExpressionAttributeValues);

    ddb.reset();
    ddb.on(UpdateCommand).rejects(conditionFailed());
    expect(await jobs.transition('alice', job.jobId, 'SUCCEEDED')).toBeUndefined();
    expect(sent(UpdateCommand)).toHaveLength(2);
  });
});

describe('job shards', () => {
  it('are the first 4 bytes of SHA-256 of the jobId mod the count, spread evenly over ULIDs', () => {
    const counts = Array.from({ length: SHARDS }, () => 0);
    for (let i = 0; i < 8_000; i += 1) {
      const jobId = ulid();
      expect(shardOf(jobId, SHARDS)).toBe(shardFor(jobId));
      counts[shardOf(jobId, SHARDS)]! += 1;
    }
    for (const count of counts) expect(count).toBeGreaterThan(800); // mean 1,000
  });

  it('default to the settings and read JOB_SHARDS and TYPE_SHARDS, refusing junk', () => {
    expect(shardCounts({})).toEqual({ jobShards: 8, typeShards: 16 });
    expect(shardCounts({ JOB_SHARDS: '4', TYPE_SHARDS: '32' })).toEqual({ jobShards: 4, typeShards: 32 });
    for (const bad of ['0', '-1', '1.5', 'x', '65']) {
      expect(() => shardCounts({ JOB_SHARDS: bad })).toThrow(/JOB_SHARDS/);
    }
  });
});
