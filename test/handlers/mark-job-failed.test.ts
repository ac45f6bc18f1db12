import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../functions/mark-job-failed/handler';
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
const JOB = '01JOBFAILED000000000000000';
const ARN = `arn:aws:states:us-east-1:000000000000:execution:ingest:${JOB}`;
const lambdaCause = JSON.stringify({
  errorType: 'SubmissionUnreadable',
  errorMessage: 'invalid gzip: incorrect header check',
  trace: ['SubmissionUnreadable: invalid gzip', '    at gunzip (submission.ts:1:1)'],
});
const markFailed = () =>
  handler(
    {
      jobId: JOB,
      tenant: 'alice',
      executionArn: ARN,
      failure: { Error: 'SubmissionUnreadable', Cause: lambdaCause },
    },
    lambdaContext,
  );
// As DynamoDB answers a failed condition asked for ReturnValuesOnConditionCheckFailure: the item as it is.
const conditionFailed = (pk = 'TENANT#alice#0') =>
  new ConditionalCheckFailedException({ message: 'no', $metadata: {}, Item: { pk: { S: pk } } });

beforeEach(() => ddb.reset());

describe('mark-job-failed', () => {
  it('records the error and the Lambda error message (not the stack) on the job', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { jobId: JOB, status: 'FAILED' } });
    expect(await markFailed()).toEqual({ jobId: JOB, status: 'FAILED' });
    const update = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(update.Key).toEqual(jobKey('alice', JOB, 8));
    expect(Object.values(update.ExpressionAttributeValues!)).toEqual(
      expect.arrayContaining([
        'FAILED',
        { error: 'SubmissionUnreadable', cause: 'invalid gzip: incorrect header check' },
      ]),
    );
  });

  it('leaves a job that already finished as it is and reports its status', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: { jobId: JOB, tenant: 'alice', status: 'SUCCEEDED' } });
    expect(await markFailed()).toEqual({ jobId: JOB, status: 'SUCCEEDED' });
  });

  it('fails with JobNotRunnable when the job does not exist', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({});
    await expect(markFailed()).rejects.toMatchObject({
      name: 'JobNotRunnable',
      message: `job ${JOB} does not exist`,
    });
  });
});

describe('mark-job-failed for a group (MarkGroupFailed)', () => {
  const GROUP = 'g-00000000000000000000000000000000000000aa';
  const GROUP_ARN = `arn:aws:states:us-east-1:000000000000:execution:ingest:${GROUP}`;
  const listed = ['01JGROUPFAILA0000000000000', '01JGROUPFAILB0000000000000', '01JGROUPFAILC0000000000000'];
  const markGroup = () =>
    handler(
      {
        group: { id: GROUP, bucket: 'b', key: `work/groups/${GROUP}.json` },
        jobs: listed.map((jobId) => ({ jobId, tenant: 'alice' })),
        executionArn: GROUP_ARN,
        failure: {
          Error: 'SubmissionUnreadable',
          Cause: JSON.stringify({
            errorType: 'SubmissionUnreadable',
            errorMessage: 'the group object is gone',
          }),
        },
      },
      lambdaContext,
    );

  it('fails every listed job still QUEUED, with the execution and group on each, and no other status', async () => {
    ddb.on(UpdateCommand).callsFake((input) => {
      // already SUCCEEDED by IngestGroup
      if (String(input.Key.sk).endsWith(listed[1]!)) throw conditionFailed(String(input.Key.pk));
      return { Attributes: { status: 'FAILED' } };
    });
    expect(await markGroup()).toEqual({ groupId: GROUP, jobs: 3, failed: 2 });
    const updates = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates).toHaveLength(3);
    for (const update of updates) {
      const values = Object.entries(update.ExpressionAttributeValues!);
      const from = values.filter(([k]) => k.startsWith(':from')).map(([, v]) => v);
      expect(from).toEqual(['QUEUED']);
      expect(values.map(([, v]) => v)).toEqual(
        expect.arrayContaining([
          'FAILED',
          { error: 'SubmissionUnreadable', cause: 'the group object is gone' },
          GROUP_ARN,
          GROUP,
        ]),
      );
    }
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });
});
