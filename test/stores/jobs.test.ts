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
import { jobStore } from '../../shared/aws/stores/jobs';
import { encodeCursor } from '../../shared/http/request';
import { previousStatusesFor, type JobRecord } from '../../shared/jobs/model';

const ddb = mockClient(DynamoDBDocumentClient);
/** The inputs of the commands of one kind sent so far. */
const sent = <C extends Parameters<typeof ddb.commandCalls>[0]>(command: C) =>
  ddb.commandCalls(command).map((call) => call.args[0].input);
const jobs = jobStore('sluice', DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })));

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
const key = { pk: 'TENANT#alice', sk: `JOB#${job.jobId}` };
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => ddb.reset());

describe('jobStore', () => {
  it('creates a job under its tenant, never overwriting one', async () => {
    ddb.on(PutCommand).resolves({});
    await jobs.create(job);
    expect(sent(PutCommand)[0]).toMatchObject({
      TableName: 'sluice',
      Item: { ...key, ...job },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('reads a job consistently, without its keys, and undefined when absent', async () => {
    ddb
      .on(GetCommand)
      .resolves({})
      .on(GetCommand, { Key: key })
      .resolves({ Item: { ...key, ...job } });
    expect(await jobs.get('alice', job.jobId)).toEqual(job);
    expect(sent(GetCommand)[0]).toMatchObject({ TableName: 'sluice', Key: key, ConsistentRead: true });
    expect(await jobs.get('bob', job.jobId)).toBeUndefined();
  });

  it('lists newest first and pages with a cursor pinned to the tenant', async () => {
    const lastKey = { pk: 'TENANT#alice', sk: 'JOB#01J0000000000000000000000B' };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ ...key, ...job }], LastEvaluatedKey: lastKey })
      .resolves({ Items: [] });

    const first = await jobs.list('alice', { limit: 1 });
    expect(first.items).toEqual([job]);
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(sent(QueryCommand)[0]).toMatchObject({
      TableName: 'sluice',
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'TENANT#alice', ':prefix': 'JOB#' },
      ScanIndexForward: false,
      Limit: 1,
      ExclusiveStartKey: undefined,
    });

    const second = await jobs.list('alice', { limit: 1, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [], nextCursor: null });
    expect(sent(QueryCommand)[1]).toMatchObject({ ExclusiveStartKey: lastKey });
  });

  it("refuses another tenant's cursor and a cursor that is not a key", async () => {
    const bobs = encodeCursor({ pk: 'TENANT#bob', sk: 'JOB#x' });
    await expect(jobs.list('alice', { limit: 5, cursor: bobs })).rejects.toMatchObject({
      status: 400,
      code: 'InvalidCursor',
    });
    await expect(jobs.list('alice', { limit: 5, cursor: 'not-a-cursor' })).rejects.toMatchObject({
      code: 'InvalidCursor',
    });
    expect(sent(QueryCommand)).toEqual([]);
  });

  it('changes status only from the allowed previous statuses and returns the new record', async () => {
    const running = { ...job, status: 'RUNNING', executionArn: 'arn:x' };
    ddb.on(UpdateCommand).resolves({ Attributes: { ...key, ...running } });
    expect(await jobs.transition('alice', job.jobId, 'RUNNING', { executionArn: 'arn:x' })).toEqual(running);

    const input = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    const allowed = previousStatusesFor('RUNNING');
    expect(input).toMatchObject({ TableName: 'sluice', Key: key, ReturnValues: 'ALL_NEW' });
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

  it('returns undefined when the condition fails and rethrows other errors', async () => {
    ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).rejectsOnce(new Error('throttled'));
    expect(await jobs.transition('alice', job.jobId, 'SUCCEEDED')).toBeUndefined();
    await expect(jobs.transition('alice', job.jobId, 'SUCCEEDED')).rejects.toThrow('throttled');
  });
});
