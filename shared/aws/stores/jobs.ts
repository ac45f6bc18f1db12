/**
 * Job records in the one table: pk `TENANT#<tenant>`, sk `JOB#<jobId>` (docs/design.md). Every status change
 * is a conditional update on the allowed previous statuses, so a finished job is never reopened.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../clients';
import { decodeKeyCursor, encodeCursor, MAX_SORT_KEY_BYTES } from '../../http/request';
import { canTransition, previousStatusesFor, type JobRecord, type JobStatus } from '../../jobs/model';

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

const partition = (tenant: string) => `TENANT#${tenant}`;
/** A job's sort key: `JOB#` and a ULID (what a GET /jobs cursor may hold). */
const JOB_SORT_KEY = { pattern: /^JOB#[0-9A-HJKMNP-TV-Z]{26}$/, maxBytes: MAX_SORT_KEY_BYTES };
export const jobKey = (tenant: string, jobId: string) => ({ pk: partition(tenant), sk: `JOB#${jobId}` });

function toRecord(item: Record<string, unknown>): JobRecord {
  const { pk: _pk, sk: _sk, ...job } = item;
  return job as unknown as JobRecord;
}

/** DynamoDB's answer when a ConditionExpression does not hold (also as the SDK names it for emulators). */
export function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

export function jobStore(tableName: string, db = dynamoDb()): JobStore {
  return {
    async create(job) {
      await db.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...jobKey(job.tenant, job.jobId), ...job },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async get(tenant, jobId) {
      const { Item } = await db.send(
        new GetCommand({ TableName: tableName, Key: jobKey(tenant, jobId), ConsistentRead: true }),
      );
      return Item ? toRecord(Item) : undefined;
    },

    async list(tenant, { limit, cursor }) {
      const pk = partition(tenant);
      const { Items = [], LastEvaluatedKey } = await db.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': 'JOB#' },
          ScanIndexForward: false, // ULIDs sort by time: descending = newest first
          Limit: limit,
          ExclusiveStartKey: decodeKeyCursor(cursor, { pk, sk: JOB_SORT_KEY }),
        }),
      );
      return {
        items: Items.map(toRecord),
        nextCursor: LastEvaluatedKey ? encodeCursor(LastEvaluatedKey) : null,
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
      try {
        const { Attributes } = await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: jobKey(tenant, jobId),
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: `attribute_exists(pk) AND #status IN (${fromList.join(', ')})`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return Attributes ? toRecord(Attributes) : undefined;
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },
  };
}
