import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startStepFunctionsService } from '../../local/stepfunctions/service';
import {
  accountId,
  functionArn,
  historyOf,
  region,
  startService,
  tempDataDir,
  waitForStatus,
} from './stepfunctions-helpers';

const lambdaInvoke = 'arn:aws:states:::lambda:invoke';
const task = (name: string, extra: object) => ({
  Type: 'Task',
  Resource: lambdaInvoke,
  Parameters: { FunctionName: functionArn(name), 'Payload.$': '$' },
  OutputPath: '$.Payload',
  ...extra,
});

/** First → Second; the tests make Second block to catch the execution mid-flight. */
const twoSteps = JSON.stringify({
  StartAt: 'First',
  States: { First: task('first', { Next: 'Second' }), Second: task('second', { End: true }) },
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dataDir() {
  const data = await tempDataDir();
  cleanups.push(data.remove);
  return data.dir;
}

const never = () => new Promise<never>(() => undefined);

describe('restart', () => {
  it('resumes an execution that was RUNNING, from the start, keeping its ARN, start date and history', async () => {
    const dir = await dataDir();
    const secondReached = vi.fn();
    const before = await startService({
      dataDir: dir,
      stateMachines: [{ name: 'sluice-ingest', definition: twoSteps }],
      invokeFunction: async (arn, payload) => {
        if (arn === functionArn('second')) {
          secondReached();
          return never();
        }
        return payload;
      },
    });
    const { executionArn, startDate } = await before.client.send(
      new StartExecutionCommand({
        stateMachineArn: before.service.stateMachineArns['sluice-ingest'],
        name: 'job-1',
        input: '{"jobId":"job-1"}',
      }),
    );
    await vi.waitFor(() => expect(secondReached).toHaveBeenCalled());
    const historyBefore = await historyOf(before.client, executionArn!);
    await before.service.stop();

    const statuses: string[] = [];
    const invoked: string[] = [];
    const after = await startService({
      dataDir: dir,
      stateMachines: [{ name: 'sluice-ingest', definition: twoSteps }],
      invokeFunction: async (arn, payload) => {
        invoked.push(arn);
        return { ...(payload as object), by: arn };
      },
      onExecutionStatusChange: (event) => void statuses.push(event.detail.status),
    });
    cleanups.push(() => after.service.stop());

    const described = await waitForStatus(after.client, executionArn!, 'SUCCEEDED');
    expect(described.startDate).toEqual(startDate);
    expect(described.redriveCount).toBe(1);
    expect(JSON.parse(described.output!)).toEqual({ jobId: 'job-1', by: functionArn('second') });
    expect(invoked).toEqual([functionArn('first'), functionArn('second')]);

    const history = await historyOf(after.client, executionArn!);
    expect(history.slice(0, historyBefore.length)).toEqual(historyBefore);
    const redriven = history[historyBefore.length]!;
    expect(redriven).toMatchObject({
      type: 'ExecutionRedriven',
      id: historyBefore.length + 1,
      previousEventId: historyBefore.length,
      executionRedrivenEventDetails: { redriveCount: 1 },
    });
    expect(history.map((event) => event.id)).toEqual(history.map((_, i) => i + 1));
    expect(history.filter((event) => event.type === 'ExecutionStarted')).toHaveLength(1);
    expect(history.at(-1)!.type).toBe('ExecutionSucceeded');
    await vi.waitFor(() => expect(statuses).toEqual(['SUCCEEDED']));
  });

  it('keeps ended executions, with their history, across restarts', async () => {
    const dir = await dataDir();
    const options = {
      dataDir: dir,
      stateMachines: [{ name: 'sluice-ingest', definition: twoSteps }],
      invokeFunction: async (_arn: string, payload: unknown) => payload,
    };
    const first = await startService(options);
    const { executionArn } = await first.client.send(
      new StartExecutionCommand({
        stateMachineArn: first.service.stateMachineArns['sluice-ingest'],
        name: 'kept',
      }),
    );
    const ended = await waitForStatus(first.client, executionArn!, 'SUCCEEDED');
    const history = await historyOf(first.client, executionArn!);
    await first.service.stop();

    const second = await startService(options);
    cleanups.push(() => second.service.stop());
    expect(await second.client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      status: 'SUCCEEDED',
      output: ended.output,
      stopDate: ended.stopDate,
      redriveCount: 0,
    });
    expect(await historyOf(second.client, executionArn!)).toEqual(history);
  });
});

describe('execution limits and task kinds', () => {
  it('times an execution out after the definition TimeoutSeconds', async () => {
    const statuses: string[] = [];
    const { service, client } = await startService({
      dataDir: await dataDir(),
      stateMachines: [
        {
          name: 'slow',
          definition: JSON.stringify({
            TimeoutSeconds: 1,
            StartAt: 'Wait',
            States: { Wait: task('slow', { End: true }) },
          }),
        },
      ],
      invokeFunction: never,
      onExecutionStatusChange: (event) => void statuses.push(event.detail.status),
    });
    cleanups.push(() => service.stop());
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: service.stateMachineArns.slow }),
    );

    const described = await waitForStatus(client, executionArn!, 'TIMED_OUT');
    expect(described.error).toBe('States.Timeout');
    expect(described.stopDate!.getTime() - described.startDate!.getTime()).toBe(1000);
    expect((await historyOf(client, executionArn!)).at(-1)).toMatchObject({
      type: 'ExecutionTimedOut',
      executionTimedOutEventDetails: { error: 'States.Timeout' },
    });
    await vi.waitFor(() => expect(statuses).toEqual(['RUNNING', 'TIMED_OUT']));
  });

  it('runs a Task whose Resource is a Lambda function ARN, recording LambdaFunction* events', async () => {
    const { service, client } = await startService({
      dataDir: await dataDir(),
      stateMachines: [
        {
          name: 'direct',
          definition: JSON.stringify({
            StartAt: 'Call',
            States: { Call: { Type: 'Task', Resource: functionArn('direct'), End: true } },
          }),
        },
      ],
      invokeFunction: async (arn, payload) => ({ arn, got: payload }),
    });
    cleanups.push(() => service.stop());
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: service.stateMachineArns.direct, input: '{"a":1}' }),
    );
    const described = await waitForStatus(client, executionArn!, 'SUCCEEDED');
    expect(JSON.parse(described.output!)).toEqual({ arn: functionArn('direct'), got: { a: 1 } });
    const types = (await historyOf(client, executionArn!)).map((event) => event.type);
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('refuses to start when a Task state, even inside a Map, is not mapped to a function', async () => {
    const definition = JSON.stringify({
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'Save',
            States: {
              Save: {
                Type: 'Task',
                Resource: 'arn:aws:states:::dynamodb:putItem',
                Parameters: { TableName: 't', Item: {} },
                End: true,
              },
            },
          },
          End: true,
        },
      },
    });
    await expect(
      startStepFunctionsService({
        host: '127.0.0.1',
        port: 0,
        dataDir: await dataDir(),
        region,
        accountId,
        stateMachines: [{ name: 'unmapped', definition }],
        invokeFunction: never,
      }),
    ).rejects.toThrow(/Task state Save uses arn:aws:states:::dynamodb:putItem/);
  });
});
