import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { heldBy, tenantSlotStore } from '../../shared/aws/stores/tenant-slots';

const ddb = mockClient(DynamoDBDocumentClient);
const slots = tenantSlotStore<{ jobId: string }>(
  'sluice',
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
);
const sent = <C extends Parameters<typeof ddb.commandCalls>[0]>(command: C) =>
  ddb.commandCalls(command).map((call) => call.args[0].input);
const JOB = '01JSLOT0000000000000000001';

beforeEach(() => ddb.reset());

describe('tenant slot store', () => {
  it('claims with one conditional ADD: room left, or the job already holds a slot', async () => {
    ddb.on(UpdateCommand).resolves({});
    expect(await slots.claim('alice', JOB, 3)).toEqual({ held: true });
    expect(sent(UpdateCommand)[0]).toEqual({
      TableName: 'sluice',
      Key: { pk: 'TENANT#alice', sk: 'RUNNING' },
      UpdateExpression: 'ADD #jobs :job',
      ConditionExpression: 'attribute_not_exists(#jobs) OR size(#jobs) < :cap OR contains(#jobs, :id)',
      ExpressionAttributeNames: { '#jobs': 'jobs' },
      ExpressionAttributeValues: { ':job': new Set([JOB]), ':cap': 3, ':id': JOB },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('reads who holds the slots from the refused item', async () => {
    ddb.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'no',
        $metadata: {},
        Item: { pk: { S: 'TENANT#alice' }, jobs: { SS: ['a', 'b'] } },
      }),
    );
    expect(await slots.claim('alice', JOB, 2)).toEqual({ held: false, running: ['a', 'b'] });
    expect(heldBy({ jobs: new Set(['c']) })).toEqual(['c']);
    expect(heldBy(undefined)).toEqual([]);
  });

  it('releases idempotently and never creates the item', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    await slots.release('alice', JOB);
    expect(sent(UpdateCommand)[0]).toMatchObject({
      UpdateExpression: 'DELETE #jobs :job',
      ConditionExpression: 'attribute_exists(pk)',
    });
  });

  it('parks, lists oldest first from a position, and unparks by jobId', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [{ jobId: JOB, input: JSON.stringify({ jobId: JOB }) }] });
    ddb.on(DeleteCommand).resolves({});
    await slots.park('alice', { jobId: JOB, input: { jobId: JOB } });
    expect(sent(PutCommand)[0]!.Item).toMatchObject({
      pk: 'TENANT#alice',
      sk: `WAIT#${JOB}`,
      jobId: JOB,
      tenant: 'alice',
      input: JSON.stringify({ jobId: JOB }),
    });
    expect(await slots.waiting('alice', 4, '01JSLOT0000000000000000000')).toEqual([
      { jobId: JOB, input: { jobId: JOB } },
    ]);
    expect(sent(QueryCommand)[0]).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'TENANT#alice', ':prefix': 'WAIT#' },
      ScanIndexForward: true,
      ConsistentRead: true,
      Limit: 4,
      ExclusiveStartKey: { pk: 'TENANT#alice', sk: 'WAIT#01JSLOT0000000000000000000' },
    });
    await slots.unpark('alice', JOB);
    expect(sent(DeleteCommand)[0]!.Key).toEqual({ pk: 'TENANT#alice', sk: `WAIT#${JOB}` });
  });
});
