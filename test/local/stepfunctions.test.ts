import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ExecutionStatusChangeEvent, StepFunctionsService } from '../../local/stepfunctions/service';
import {
  deferred,
  functionArn,
  historyOf,
  type RecordedEvent,
  LambdaInvokeError,
  startService,
  tempDataDir,
  waitForStatus,
} from './stepfunctions-helpers';

const lambdaInvoke = 'arn:aws:states:::lambda:invoke';
const transientRetry = [
  { ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 },
];
const catchAll = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Failed' }];

/** Task → Map of Tasks → Succeed, with Retry and Catch; the Fail state reports the caught error and cause. */
const definition = JSON.stringify({
  StartAt: 'Prepare',
  States: {
    Prepare: {
      Type: 'Task',
      Resource: lambdaInvoke,
      Parameters: {
        FunctionName: functionArn('prepare'),
        Payload: { 'input.$': '$', 'executionArn.$': '$$.Execution.Id' },
      },
      OutputPath: '$.Payload',
      Retry: transientRetry,
      Catch: catchAll,
      Next: 'Each',
    },
    Each: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 2,
      ItemSelector: {
        'item.$': '$$.Map.Item.Value',
        'mode.$': '$.mode',
        'executionArn.$': '$$.Execution.Id',
      },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Work',
        States: {
          Work: {
            Type: 'Task',
            Resource: lambdaInvoke,
            Parameters: { FunctionName: functionArn('work'), 'Payload.$': '$' },
            OutputPath: '$.Payload',
            Retry: transientRetry,
            End: true,
          },
        },
      },
      ResultPath: '$.results',
      Catch: catchAll,
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    Failed: { Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' },
  },
});

interface Mode {
  prepare?: 'ok' | 'transient-once' | 'fatal' | 'block';
  work?: 'ok' | 'fail-1' | 'transient-1-once';
}
type Item = { n: number };

const calls: { functionArn: string; payload: Record<string, unknown> }[] = [];
const statusEvents: ExecutionStatusChangeEvent[] = [];
const failedOnce = new Set<string>();
let gate = deferred();
const gateReached = vi.fn();

async function invokeFunction(arn: string, payload: unknown): Promise<unknown> {
  const request = payload as { input?: { mode: Mode }; item?: Item; mode?: Mode; executionArn: string };
  calls.push({ functionArn: arn, payload: payload as Record<string, unknown> });
  if (arn === functionArn('prepare')) {
    const mode = request.input!.mode.prepare;
    if (mode === 'fatal') throw new LambdaInvokeError('Boom', 'bad input', ['at prepare']);
    if (mode === 'transient-once' && !failedOnce.has(request.executionArn)) {
      failedOnce.add(request.executionArn);
      throw new LambdaInvokeError('TransientError', 'try again');
    }
    if (mode === 'block') {
      gateReached();
      await gate.promise;
    }
    return request.input;
  }
  const { n } = request.item!;
  const key = `${request.executionArn}#${n}`;
  if (request.mode!.work === 'fail-1' && n === 1)
    throw new LambdaInvokeError('ChunkBroken', `chunk ${n} is broken`);
  if (request.mode!.work === 'transient-1-once' && n === 1 && !failedOnce.has(key)) {
    failedOnce.add(key);
    throw new LambdaInvokeError('TransientError', 'try again');
  }
  return { n, doubled: n * 2 };
}

const items: Item[] = [{ n: 0 }, { n: 1 }, { n: 2 }];
const inputWith = (mode: Mode) => JSON.stringify({ mode, items });

let service: StepFunctionsService;
let client: SFNClient;
let removeDataDir: () => Promise<void>;
let machineArn: string;

async function run(name: string, mode: Mode) {
  const { executionArn } = await client.send(
    new StartExecutionCommand({ stateMachineArn: machineArn, name, input: inputWith(mode) }),
  );
  return executionArn!;
}

const ofType = (events: RecordedEvent[], type: string) => events.filter((event) => event.type === type);

beforeAll(async () => {
  const data = await tempDataDir();
  removeDataDir = data.remove;
  ({ service, client } = await startService({
    dataDir: data.dir,
    stateMachines: [{ name: 'sluice-test', definition }],
    invokeFunction,
    onExecutionStatusChange: (event) => void statusEvents.push(event),
  }));
  machineArn = service.stateMachineArns['sluice-test']!;
});

afterAll(async () => {
  gate.resolve(undefined);
  await service?.stop();
  await removeDataDir?.();
});

describe('local Step Functions service', () => {
  it('names the state machine the way AWS does and listens on 127.0.0.1', () => {
    expect(machineArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:sluice-test');
    expect(service.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('runs an execution to SUCCEEDED with the Map results in its output', async () => {
    const executionArn = await run('all-good', { prepare: 'ok', work: 'ok' });
    expect(executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:sluice-test:all-good');

    const described = await waitForStatus(client, executionArn, 'SUCCEEDED');
    expect(JSON.parse(described.output!)).toEqual({
      mode: { prepare: 'ok', work: 'ok' },
      items,
      results: [
        { n: 0, doubled: 0 },
        { n: 1, doubled: 2 },
        { n: 2, doubled: 4 },
      ],
    });
    expect(described.input).toBe(inputWith({ prepare: 'ok', work: 'ok' }));
    expect(described.stopDate!.getTime()).toBeGreaterThanOrEqual(described.startDate!.getTime());
    const prepareCall = calls.find((call) => call.payload.executionArn === executionArn);
    expect(prepareCall?.functionArn).toBe(functionArn('prepare'));
  });

  it('records an AWS-shaped history, each Map iteration chained to its own MapIterationStarted', async () => {
    const executionArn = await run('history', { prepare: 'ok', work: 'ok' });
    await waitForStatus(client, executionArn, 'SUCCEEDED');
    const events = await historyOf(client, executionArn);

    expect(events.map((event) => event.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.slice(0, 7).map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'MapStateEntered',
    ]);
    expect(events.slice(-6).map((event) => event.type)).toEqual([
      'MapIterationSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(ofType(events, 'MapStateStarted')[0]?.mapStateStartedEventDetails).toEqual({ length: 3 });
    expect(ofType(events, 'ExecutionStarted')[0]?.executionStartedEventDetails?.input).toBe(
      inputWith({ prepare: 'ok', work: 'ok' }),
    );
    const scheduled = ofType(events, 'TaskScheduled')[0]!.taskScheduledEventDetails!;
    expect(scheduled).toMatchObject({ resourceType: 'lambda', resource: 'invoke', region: 'us-east-1' });
    expect(JSON.parse(scheduled.parameters!)).toMatchObject({ FunctionName: functionArn('prepare') });

    const byId = new Map(events.map((event) => [event.id, event]));
    const workScheduled = ofType(events, 'TaskScheduled').slice(1);
    expect(workScheduled).toHaveLength(3);
    for (const event of workScheduled) {
      let cursor = event;
      while (cursor.type !== 'MapIterationStarted') cursor = byId.get(cursor.previousEventId)!;
      const { Payload } = JSON.parse(event.taskScheduledEventDetails!.parameters!) as {
        Payload: { item: Item };
      };
      expect(cursor.mapIterationStartedEventDetails).toEqual({ name: 'Each', index: Payload.item.n });
    }
    expect(ofType(events, 'ExecutionSucceeded')[0]!.previousEventId).toBe(
      ofType(events, 'SucceedStateExited')[0]!.id,
    );
  });

  it('shows a retried task as TaskFailed followed by a new TaskScheduled', async () => {
    const executionArn = await run('retried', { prepare: 'transient-once', work: 'ok' });
    await waitForStatus(client, executionArn, 'SUCCEEDED');
    const prepareEvents = (await historyOf(client, executionArn))
      .filter((event) => event.type.startsWith('Task') && event.id < 12)
      .map((event) => event.type);
    expect(prepareEvents.slice(0, 8)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
    ]);
    const failed = ofType(await historyOf(client, executionArn), 'TaskFailed')[0]!.taskFailedEventDetails!;
    expect(failed).toEqual({
      resourceType: 'lambda',
      resource: 'invoke',
      error: 'TransientError',
      cause: JSON.stringify({ errorMessage: 'try again', errorType: 'TransientError', trace: [] }),
    });
  });

  it('retries inside a Map iteration and keeps the retry in that iteration', async () => {
    const executionArn = await run('retried-in-map', { prepare: 'ok', work: 'transient-1-once' });
    await waitForStatus(client, executionArn, 'SUCCEEDED');
    const events = await historyOf(client, executionArn);
    const byId = new Map(events.map((event) => [event.id, event]));
    const failed = ofType(events, 'TaskFailed');
    expect(failed).toHaveLength(1);
    let cursor = failed[0]!;
    while (cursor.type !== 'MapIterationStarted') cursor = byId.get(cursor.previousEventId)!;
    expect(cursor.mapIterationStartedEventDetails?.index).toBe(1);
    const retried = events.find((event) => event.previousEventId === failed[0]!.id);
    expect(retried?.type).toBe('TaskScheduled');
  });

  it('hands a caught Lambda error to Catch as Error = errorType, Cause = the error JSON', async () => {
    const executionArn = await run('caught', { prepare: 'fatal', work: 'ok' });
    const described = await waitForStatus(client, executionArn, 'FAILED');
    const cause = JSON.stringify({ errorMessage: 'bad input', errorType: 'Boom', trace: ['at prepare'] });
    expect(described.error).toBe('Boom');
    expect(described.cause).toBe(cause);
    const events = await historyOf(client, executionArn);
    // As in AWS, a caught state still exits, with the error placed at the catcher's ResultPath.
    expect(events.slice(-4).map((event) => event.type)).toEqual([
      'TaskFailed',
      'TaskStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    const failStateInput = JSON.parse(events.at(-2)!.stateEnteredEventDetails!.input!) as {
      failure: unknown;
    };
    expect(failStateInput.failure).toEqual({ Error: 'Boom', Cause: cause });
    expect(events.at(-1)!.executionFailedEventDetails).toEqual({ error: 'Boom', cause });
  });

  it('fails a Map whose iteration fails, and catches it on the Map', async () => {
    const executionArn = await run('map-failed', { prepare: 'ok', work: 'fail-1' });
    const described = await waitForStatus(client, executionArn, 'FAILED');
    expect(described.error).toBe('ChunkBroken');
    const events = await historyOf(client, executionArn);
    expect(ofType(events, 'MapIterationFailed').map((event) => event.mapIterationFailedEventDetails)).toEqual(
      [{ name: 'Each', index: 1 }],
    );
    const mapEnd = events.filter((event) => event.type.startsWith('MapState')).map((event) => event.type);
    expect(mapEnd).toEqual(['MapStateEntered', 'MapStateStarted', 'MapStateFailed', 'MapStateExited']);
  });

  it('treats the same name and input while RUNNING as the same execution, anything else as ExecutionAlreadyExists', async () => {
    gate = deferred();
    gateReached.mockClear();
    const mode: Mode = { prepare: 'block', work: 'ok' };
    const first = await run('twice', mode);
    await vi.waitFor(() => expect(gateReached).toHaveBeenCalled());

    await expect(run('twice', mode)).resolves.toBe(first);
    await expect(run('twice', { prepare: 'ok', work: 'ok' })).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
      $metadata: { httpStatusCode: 400 },
    });
    gate.resolve(undefined);
    await waitForStatus(client, first, 'SUCCEEDED');
    await expect(run('twice', mode)).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('stops an execution: ABORTED with the given error and cause, and nothing recorded after', async () => {
    gate = deferred();
    gateReached.mockClear();
    const executionArn = await run('stopped', { prepare: 'block', work: 'ok' });
    await vi.waitFor(() => expect(gateReached).toHaveBeenCalled());

    const { stopDate } = await client.send(
      new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped by the test' }),
    );
    expect(stopDate).toBeInstanceOf(Date);
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped by the test' });

    gate.resolve(undefined); // the blocked task finishes after the stop
    await new Promise((resolve) => setTimeout(resolve, 50));
    const events = await historyOf(client, executionArn);
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Operator', cause: 'stopped by the test' },
    });
    expect(ofType(events, 'TaskSucceeded')).toHaveLength(0);
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
  });

  it('lists executions newest first, filtered by status, a page at a time', async () => {
    const names = ['list-a', 'list-b', 'list-c'];
    for (const name of names)
      await waitForStatus(client, await run(name, { prepare: 'ok', work: 'ok' }), 'SUCCEEDED');

    const all = await client.send(new ListExecutionsCommand({ stateMachineArn: machineArn }));
    const starts = all.executions!.map((execution) => execution.startDate!.getTime());
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    expect(all.executions![0]!.name).toBe('list-c');

    const succeeded = await client.send(
      new ListExecutionsCommand({ stateMachineArn: machineArn, statusFilter: 'SUCCEEDED' }),
    );
    expect(succeeded.executions!.every((execution) => execution.status === 'SUCCEEDED')).toBe(true);
    const failed = await client.send(
      new ListExecutionsCommand({ stateMachineArn: machineArn, statusFilter: 'FAILED' }),
    );
    expect(failed.executions!.map((execution) => execution.name).sort()).toEqual(['caught', 'map-failed']);

    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListExecutionsCommand({
          stateMachineArn: machineArn,
          statusFilter: 'SUCCEEDED',
          maxResults: 2,
          nextToken,
        }),
      );
      expect(page.executions!.length).toBeLessThanOrEqual(2);
      seen.push(...page.executions!.map((execution) => execution.name!));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(seen).toEqual(succeeded.executions!.map((execution) => execution.name));

    await expect(
      client.send(new ListExecutionsCommand({ stateMachineArn: machineArn, nextToken: 'not-a-token' })),
    ).rejects.toMatchObject({ name: 'InvalidToken' });
  });

  it('pages history forwards and backwards, with or without execution data', async () => {
    const executionArn = await run('history-pages', { prepare: 'ok', work: 'ok' });
    await waitForStatus(client, executionArn, 'SUCCEEDED');
    const all = await historyOf(client, executionArn);

    const reversed: number[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 5, nextToken }),
      );
      reversed.push(...page.events!.map((event) => event.id!));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(reversed).toEqual(all.map((event) => event.id).reverse());

    const bare = await client.send(
      new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }),
    );
    expect(bare.events![0]!.executionStartedEventDetails).toEqual({ roleArn: expect.any(String) });
    expect(bare.events![0]!.timestamp).toBeInstanceOf(Date);
  });

  it('answers bad requests with the AWS error codes', async () => {
    const missing = 'arn:aws:states:us-east-1:000000000000:execution:sluice-test:never-started';
    await expect(client.send(new DescribeExecutionCommand({ executionArn: missing }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      client.send(new DescribeExecutionCommand({ executionArn: machineArn })),
    ).rejects.toMatchObject({
      name: 'InvalidArn',
    });
    await expect(
      client.send(
        new StartExecutionCommand({
          stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:nope',
        }),
      ),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(
      client.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: 'has space' })),
    ).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(
      client.send(new StartExecutionCommand({ stateMachineArn: machineArn, input: '{not json' })),
    ).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(
      client.send(new GetExecutionHistoryCommand({ executionArn: missing, maxResults: 5000 })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('speaks the AWS JSON 1.0 wire protocol: epoch-second timestamps, __type errors, x-amzn-ErrorType', async () => {
    const call = (operation: string, body: unknown) =>
      fetch(service.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `AWSStepFunctions.${operation}`,
        },
        body: JSON.stringify(body),
      });

    const started = await call('StartExecution', {
      stateMachineArn: machineArn,
      input: inputWith({ prepare: 'ok' }),
    });
    expect(started.status).toBe(200);
    expect(started.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    const { startDate } = (await started.json()) as { startDate: unknown };
    expect(typeof startDate).toBe('number');
    expect(Math.abs((startDate as number) - Date.now() / 1000)).toBeLessThan(60);

    const invalid = await call('DescribeExecution', {});
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(await invalid.json()).toMatchObject({
      __type: 'ValidationException',
      message: expect.any(String),
    });

    const unknown = await call('CreateActivity', { name: 'a' });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });

  it('describes and lists the state machine', async () => {
    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: machineArn }));
    expect(described).toMatchObject({
      stateMachineArn: machineArn,
      name: 'sluice-test',
      status: 'ACTIVE',
      type: 'STANDARD',
      definition,
      roleArn: 'arn:aws:iam::000000000000:role/sluice-test-role',
    });
    expect(described.creationDate).toBeInstanceOf(Date);
    const listed = await client.send(new ListStateMachinesCommand({}));
    expect(listed.stateMachines).toEqual([
      {
        stateMachineArn: machineArn,
        name: 'sluice-test',
        type: 'STANDARD',
        creationDate: described.creationDate,
      },
    ]);
  });

  it('emits an EventBridge status change for RUNNING and for the final status', async () => {
    const executionArn = await run('announced', { prepare: 'ok', work: 'ok' });
    await waitForStatus(client, executionArn, 'SUCCEEDED');
    await vi.waitFor(() =>
      expect(statusEvents.filter((e) => e.detail.executionArn === executionArn)).toHaveLength(2),
    );
    const [running, succeeded] = statusEvents.filter((event) => event.detail.executionArn === executionArn);
    expect(running).toMatchObject({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      account: '000000000000',
      region: 'us-east-1',
      resources: [executionArn],
      detail: {
        status: 'RUNNING',
        name: 'announced',
        stateMachineArn: machineArn,
        stopDate: null,
        output: null,
      },
    });
    expect(succeeded!.detail).toMatchObject({ status: 'SUCCEEDED', error: null, cause: null });
    expect(JSON.parse(succeeded!.detail.output!)).toHaveProperty('results');
    expect(succeeded!.detail.stopDate).toBeGreaterThanOrEqual(succeeded!.detail.startDate);

    const failedArn = await run('announced-failure', { prepare: 'fatal', work: 'ok' });
    await vi.waitFor(() =>
      expect(
        statusEvents.find((e) => e.detail.executionArn === failedArn && e.detail.status === 'FAILED')?.detail,
      ).toMatchObject({ error: 'Boom' }),
    );
  });
});
