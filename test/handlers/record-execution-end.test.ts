import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler, type ExecutionStatusChange } from '../../functions/record-execution-end/handler';
import { lambdaContext } from './api-event';
import { jobKey } from '../../shared/aws/stores/jobs';

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'sluice',
  });
});

const ddb = mockClient(DynamoDBDocumentClient);
const JOB = '01JOBENDED0000000000000000';

function statusChange(status: string, extra: Record<string, unknown> = {}): ExecutionStatusChange {
  return {
    version: '0',
    id: 'event-1',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '000000000000',
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:states:us-east-1:000000000000:execution:ingest:${JOB}`],
    detail: {
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:ingest:${JOB}`,
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:ingest',
      name: JOB,
      status,
      input: JSON.stringify({ jobId: JOB, tenant: 'alice', source: 'api', bucket: 'b', key: 'k' }),
      error: null,
      cause: null,
      ...extra,
    },
  };
}

beforeEach(() => ddb.reset());

describe('record-execution-end', () => {
  it('fails the open job of a timed-out execution', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { jobId: JOB, status: 'FAILED' } });
    expect(await handler(statusChange('TIMED_OUT'), lambdaContext)).toEqual({ jobId: JOB, recorded: true });
    const update = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(update.Key).toEqual(jobKey('alice', JOB, 8));
    expect(Object.values(update.ExpressionAttributeValues!)).toEqual(
      expect.arrayContaining(['FAILED', { error: 'ExecutionTimedOut', cause: 'execution timed out' }]),
    );
    // Only a job still open may change: the condition lists non-final statuses.
    expect(Object.values(update.ExpressionAttributeValues!)).not.toContain('SUCCEEDED');
  });

  it('keeps the error and cause Step Functions reported', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { jobId: JOB, status: 'FAILED' } });
    await handler(
      statusChange('FAILED', { error: 'States.Runtime', cause: 'An error occurred' }),
      lambdaContext,
    );
    expect(
      Object.values(ddb.commandCalls(UpdateCommand)[0]!.args[0].input.ExpressionAttributeValues!),
    ).toContainEqual({
      error: 'States.Runtime',
      cause: 'An error occurred',
    });
  });

  it('changes nothing when the job already finished', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    expect(await handler(statusChange('ABORTED'), lambdaContext)).toEqual({ jobId: JOB, recorded: false });
  });

  it('ignores a succeeded execution without touching the table', async () => {
    expect(await handler(statusChange('SUCCEEDED'), lambdaContext)).toEqual({ jobId: JOB, recorded: false });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});
