/**
 * Job records in the one table: pk `TENANT#<tenant>#<k>` (k = shardOf(jobId) mod `jobShards`), sk `JOB#<jobId>`
 * (docs/design.md). Jobs written before sharding sit under `TENANT#<tenant>` and are still read, listed and
 * finished there. Every status change is a conditional update on the allowed previous statuses, so a finished
 * job is never reopened.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../clients';
import { decodeKeyCursor, encodeCursor, MAX_SORT_KEY_BYTES } from '../../http/request';
import { canTransition, previousStatusesFor, type JobRecord, type JobStatus } from '../../jobs/model';
import { descendingBy, readMergedPage, type StreamRead } from '../../paging/merge';
import { escapedBytes, MAX_LISTED_BYTES } from '../../http/responses';
import { checkShards, shardCounts, shardNumbers, shardOf } from './shards';

type JobChanges = Partial<Omit<JobRecord, 'tenant' | 'jobId' | 'status'>>;

export interface TransitionOptions {
  /** Narrows the allowed previous statuses (never widens them beyond the status rules). */
  from?: readonly JobStatus[];
}

export interface JobStore {
  create(job: JobRecord): Promise<void>;
  get(tenant: string, jobId: string): Promise<JobRecord | undefined>;
  list(
    tenant: string,
    opts: { limit: number; cursor?: string },
  ): Promise<{ items: JobRecord[]; nextCursor: string | null }>;
  transition(
    tenant: string,
    jobId: string,
    to: JobStatus,
    changes?: JobChanges,
    options?: TransitionOptions,
  ): Promise<JobRecord | undefined>;
}

/** The partition every job of a tenant had before sharding (it also holds the tenant's schemas). */
const legacyPartition = (tenant: string) => `TENANT#${tenant}`;
const shardPartition = (tenant: string, k: number) => `TENANT#${tenant}#${k}`;
/** A job's sort key: `JOB#` and a ULID (what a GET /jobs cursor may hold). */
const JOB_SORT_KEY = { pattern: /^JOB#[0-9A-HJKMNP-TV-Z]{26}$/, maxBytes: MAX_SORT_KEY_BYTES };

/** Where a job is written: its tenant's shard `shardOf(jobId) mod jobShards`. */
export const jobKey = (tenant: string, jobId: string, jobShards: number) => ({
  pk: shardPartition(tenant, shardOf(jobId, jobShards)),
  sk: `JOB#${jobId}`,
});
/** Where a job written before sharding is. */
export const legacyJobKey = (tenant: string, jobId: string) => ({
  pk: legacyPartition(tenant),
  sk: `JOB#${jobId}`,
});

function toRecord(item: Record<string, unknown>): JobRecord {
  const { pk: _pk, sk: _sk, ...job } = item;
  return job as unknown as JobRecord;
}

/** DynamoDB's answer when a ConditionExpression does not hold (also as the SDK names it for emulators). */
export function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

/** The item DynamoDB returns with a failed condition when asked (ReturnValuesOnConditionCheckFailure). */
const failedOnExistingItem = (error: unknown): boolean => (error as { Item?: unknown }).Item !== undefined;

const newestFirst = descendingBy<Record<string, unknown>>((item) => item.sk as string);

/** `jobShards`: the count the jobs were written with (JOB_SHARDS); it never changes for a table (README). */
export function jobStore(tableName: string, db = dynamoDb(), jobShards = shardCounts().jobShards): JobStore {
  checkShards(jobShards);
  const read = async (Key: Record<string, string>) =>
    (await db.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }))).Item;

  return {
    async create(job) {
      await db.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...jobKey(job.tenant, job.jobId, jobShards), ...job },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async get(tenant, jobId) {
      const Item =
        (await read(jobKey(tenant, jobId, jobShards))) ?? (await read(legacyJobKey(tenant, jobId)));
      return Item ? toRecord(Item) : undefined;
    },

    /**
     * Every shard and the legacy partition, each read from the cursor's position (one Query each), merged
     * newest first (readMergedPage). The cursor is the page's last
     * key: every shard's position, since the merge took every job above it from every shard; a job created
     * later sorts above it and is not in later pages.
     */
    async list(tenant, { limit, cursor }) {
      const legacy = legacyPartition(tenant);
      const after = decodeKeyCursor(cursor, { pk: legacy, sk: JOB_SORT_KEY })?.sk;
      const partitions = [...shardNumbers(jobShards).map((k) => shardPartition(tenant, k)), legacy];
      const page = await readMergedPage(
        partitions.length,
        limit,
        async (i, Limit): Promise<StreamRead<Record<string, unknown>>> => {
          const pk = partitions[i]!;
          const { Items = [], LastEvaluatedKey } = await db.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
              ExpressionAttributeValues: { ':pk': pk, ':prefix': 'JOB#' },
              ScanIndexForward: false, // ULIDs sort by time: descending = newest first
              Limit,
              ExclusiveStartKey: after === undefined ? undefined : { pk, sk: after },
            }),
          );
          return { items: Items, more: LastEvaluatedKey !== undefined };
        },
        newestFirst,
        // The stored item holds at least what the job's view shows.
        { maxBytes: MAX_LISTED_BYTES, sizeOf: (item) => escapedBytes(JSON.stringify(item)) },
      );
      const last = page.items[page.items.length - 1];
      return {
        items: page.items.map(toRecord),
        nextCursor: last && page.more ? encodeCursor({ pk: legacy, sk: last.sk as string }) : null,
      };
    },

    async transition(tenant, jobId, to, changes = {}, { from } = {}) {
      const allowed = (from ?? previousStatusesFor(to)).filter((status) => canTransition(status, to));
      if (allowed.length === 0) return undefined;
      const fields = { ...changes, updatedAt: changes.updatedAt ?? new Date().toISOString() };
      const names: Record<string, string> = { '#status': 'status' };
      const values: Record<string, unknown> = { ':to': to };
      const sets = ['#status = :to'];
      Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .forEach(([name, value], i) => {
          names[`#f${i}`] = name;
          values[`:v${i}`] = value;
          sets.push(`#f${i} = :v${i}`);
        });
      const fromList = allowed.map((status, i) => {
        values[`:from${i}`] = status;
        return `:from${i}`;
      });
      const update = async (Key: Record<string, string>) => {
        const { Attributes } = await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key,
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: `attribute_exists(pk) AND #status IN (${fromList.join(', ')})`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
            // A failed condition on an item that exists says so: no need to look for a legacy item.
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return Attributes ? toRecord(Attributes) : undefined;
      };
      try {
        return await update(jobKey(tenant, jobId, jobShards));
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        if (failedOnExistingItem(error)) return undefined;
      }
      // No sharded item (or an emulator that does not return it): a job created before sharding.
      try {
        return await update(legacyJobKey(tenant, jobId));
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },
  };
}
