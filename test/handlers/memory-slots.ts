/**
 * The tenant slot items (shared/aws/stores/tenant-slots.ts) in memory, behind aws-sdk-client-mock's
 * DynamoDBDocumentClient stub: UpdateItem on `TENANT#t`/`RUNNING` (ADD / DELETE with the store's conditions),
 * PutItem / DeleteItem (the starter writes no other items with them) and the waiting-list Query. Other commands
 * keep the test's own behaviours (a test's later `on(UpdateCommand)` does not override the RUNNING match). `failNext` makes the next matching call fail, as a crash between two steps would.
 */
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';

type Step = 'claim' | 'release' | 'park' | 'waiting' | 'unpark';

export interface MemorySlots {
  running: Map<string, Set<string>>;
  /** pk → sk → item */
  waiting: Map<string, Map<string, Record<string, unknown>>>;
  failNext(step: Step, error?: Error): void;
  held(tenant: string): string[];
  parked(tenant: string): string[];
}

export function memorySlots(ddb: AwsClientStub<DynamoDBDocumentClient>): MemorySlots {
  const running = new Map<string, Set<string>>();
  const waiting = new Map<string, Map<string, Record<string, unknown>>>();
  const failures = new Map<Step, Error>();
  const check = (step: Step) => {
    const error = failures.get(step);
    if (error) {
      failures.delete(step);
      throw error;
    }
  };
  const list = (pk: string) => {
    if (!waiting.has(pk)) waiting.set(pk, new Map());
    return waiting.get(pk)!;
  };

  ddb.on(UpdateCommand, { Key: { sk: 'RUNNING' } }).callsFake((input) => {
    const pk = String(input.Key.pk);
    const jobId = [...(input.ExpressionAttributeValues[':job'] as Set<string>)][0]!;
    const set = running.get(pk);
    if (String(input.UpdateExpression).startsWith('ADD')) {
      check('claim');
      const cap = input.ExpressionAttributeValues[':cap'] as number;
      if (set && set.size >= cap && !set.has(jobId)) {
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: { pk: { S: pk }, sk: { S: 'RUNNING' }, jobs: { SS: [...set] } },
        });
      }
      running.set(pk, (set ?? new Set()).add(jobId));
      return {};
    }
    check('release');
    if (!set) throw new ConditionalCheckFailedException({ message: 'no item', $metadata: {} });
    set.delete(jobId);
    return {};
  });
  ddb.on(PutCommand).callsFake((input) => {
    check('park');
    list(String(input.Item.pk)).set(String(input.Item.sk), { ...input.Item });
    return {};
  });
  ddb.on(DeleteCommand).callsFake((input) => {
    check('unpark');
    list(String(input.Key.pk)).delete(String(input.Key.sk));
    return {};
  });
  ddb.on(QueryCommand, { ExpressionAttributeValues: { ':prefix': 'WAIT#' } }).callsFake((input) => {
    check('waiting');
    const after = input.ExclusiveStartKey?.sk as string | undefined;
    const items = [...list(String(input.ExpressionAttributeValues[':pk'])).entries()]
      .filter(([sk]) => after === undefined || sk > after)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, item]) => item)
      .slice(0, input.Limit as number);
    return { Items: items };
  });

  return {
    running,
    waiting,
    failNext(step, error = Object.assign(new Error(`${step} failed`), { name: 'AccessDeniedException' })) {
      failures.set(step, error);
    },
    held: (tenant) => [...(running.get(`TENANT#${tenant}`) ?? [])].sort(),
    parked: (tenant) => [...list(`TENANT#${tenant}`).values()].map((item) => String(item.jobId)).sort(),
  };
}
