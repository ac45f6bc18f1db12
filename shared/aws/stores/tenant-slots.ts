/**
 * A tenant's running slots and waiting list in the one table (docs/design.md "Running-jobs cap"):
 * - pk `TENANT#<tenant>`, sk `RUNNING`: `jobs`, a string set of the jobIds holding a slot (absent when none);
 * - pk `TENANT#<tenant>`, sk `WAIT#<jobId>`: a job waiting for a slot, `{jobId, tenant, input, parkedAt}`,
 *   `input` the execution input as JSON text. jobIds are ULIDs, so the sort key orders by acceptance.
 * Both sit in the tenant's legacy partition beside its schemas and old job items; those are read with
 * `begins_with(sk, 'SCHEMA#' | 'JOB#')`, which these never match.
 */
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../clients';
import type { Claim, SlotStore, WaitingJob } from '../../pipeline/admission';
import { isConditionFailure } from './jobs';

export const RUNNING_SORT_KEY = 'RUNNING';
export const WAITING_PREFIX = 'WAIT#';

const partition = (tenant: string) => `TENANT#${tenant}`;
export const runningKey = (tenant: string) => ({ pk: partition(tenant), sk: RUNNING_SORT_KEY });
export const waitingKey = (tenant: string, jobId: string) => ({
  pk: partition(tenant),
  sk: `${WAITING_PREFIX}${jobId}`,
});

/** The `jobs` set of the item a failed condition returned (raw AttributeValues, or already unmarshalled). */
export function heldBy(item: Record<string, unknown> | undefined): string[] {
  const jobs = item?.jobs as { SS?: string[] } | Set<string> | string[] | undefined;
  if (!jobs) return [];
  if (jobs instanceof Set) return [...jobs];
  if (Array.isArray(jobs)) return jobs;
  return jobs.SS ?? [];
}

export interface TenantSlotStore<Input> extends SlotStore<Input> {
  /** Puts the job in its tenant's waiting list (rewriting the same item on a redelivery). */
  park(tenant: string, job: WaitingJob<Input>): Promise<void>;
}

export function tenantSlotStore<Input>(tableName: string, db = dynamoDb()): TenantSlotStore<Input> {
  return {
    async park(tenant, { jobId, input }) {
      await db.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...waitingKey(tenant, jobId),
            jobId,
            tenant,
            input: JSON.stringify(input),
            parkedAt: new Date().toISOString(),
          },
        }),
      );
    },

    async waiting(tenant, limit, after) {
      const { Items = [] } = await db.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': partition(tenant), ':prefix': WAITING_PREFIX },
          ScanIndexForward: true, // ULIDs: oldest first
          ConsistentRead: true,
          Limit: limit,
          ExclusiveStartKey: after === undefined ? undefined : waitingKey(tenant, after),
        }),
      );
      return Items.map((item) => ({
        jobId: item.jobId as string,
        input: JSON.parse(item.input as string) as Input,
      }));
    },

    async claim(tenant, jobId, cap): Promise<Claim> {
      try {
        await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: runningKey(tenant),
            UpdateExpression: 'ADD #jobs :job',
            // Room left, or the job already holds a slot (a retried claim is a no-op).
            ConditionExpression: 'attribute_not_exists(#jobs) OR size(#jobs) < :cap OR contains(#jobs, :id)',
            ExpressionAttributeNames: { '#jobs': 'jobs' },
            ExpressionAttributeValues: { ':job': new Set([jobId]), ':cap': cap, ':id': jobId },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { held: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return { held: false, running: heldBy((error as { Item?: Record<string, unknown> }).Item) };
      }
    },

    async release(tenant, jobId) {
      try {
        await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: runningKey(tenant),
            UpdateExpression: 'DELETE #jobs :job',
            // Never create the item: a tenant that never held a slot has nothing to give back.
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#jobs': 'jobs' },
            ExpressionAttributeValues: { ':job': new Set([jobId]) },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    async unpark(tenant, jobId) {
      await db.send(new DeleteCommand({ TableName: tableName, Key: waitingKey(tenant, jobId) }));
    },
  };
}
