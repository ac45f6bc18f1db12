import { describe, expect, it, vi } from 'vitest';
import { invalidNameReason, parseExecutionArn, parseStateMachineArn } from '../../local/stepfunctions/arns';
import { compileDefinition, DefinitionError } from '../../local/stepfunctions/definition';
import { lambdaFailure } from '../../local/stepfunctions/engine';
import { SfnError } from '../../local/stepfunctions/errors';
import {
  HistoryRecorder,
  historyEventLimit,
  type EngineEvent,
  type HistoryEvent,
} from '../../local/stepfunctions/history';
import { paginate } from '../../local/stepfunctions/pagination';
import { readReferencePath } from '../../local/stepfunctions/reference-path';
import { statusChangeEvent } from '../../local/stepfunctions/status-events';
import { functionArn, LambdaInvokeError } from './stepfunctions-helpers';

const invoke = (fn: string, extra: object = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: functionArn(fn), 'Payload.$': '$' },
  ...extra,
});

describe('readReferencePath', () => {
  const input = { a: { b: [10, { 'x y': 'deep' }] } };

  it('reads the dot and bracket forms AWS allows in ItemsPath', () => {
    expect(readReferencePath(input, '$')).toEqual({ found: true, value: input });
    expect(readReferencePath(input, '$.a.b[0]')).toEqual({ found: true, value: 10 });
    expect(readReferencePath(input, "$.a.b[1]['x y']")).toEqual({ found: true, value: 'deep' });
  });

  it('reports paths it cannot follow', () => {
    expect(readReferencePath(input, '$.a.c')).toEqual({ found: false });
    expect(readReferencePath(input, '$.a.b[5]')).toEqual({ found: false });
    expect(readReferencePath(input, '$$.Map.Item.Value')).toEqual({ found: false });
    expect(readReferencePath(input, '$.a[?(@.b)]')).toEqual({ found: false });
  });
});

describe('ARNs and names', () => {
  it('parses state machine and execution ARNs and rejects other shapes', () => {
    expect(parseStateMachineArn('arn:aws:states:us-east-1:000000000000:stateMachine:sluice-ingest')).toEqual({
      region: 'us-east-1',
      accountId: '000000000000',
      name: 'sluice-ingest',
    });
    expect(parseExecutionArn('arn:aws:states:us-east-1:000000000000:execution:sluice-ingest:01J')).toEqual({
      region: 'us-east-1',
      accountId: '000000000000',
      stateMachineName: 'sluice-ingest',
      name: '01J',
    });
    expect(
      parseExecutionArn('arn:aws:states:us-east-1:000000000000:stateMachine:sluice-ingest'),
    ).toBeUndefined();
    expect(parseStateMachineArn('arn:aws:lambda:us-east-1:000000000000:function:f')).toBeUndefined();
    expect(parseStateMachineArn('arn:aws:states:us-east-1:0:stateMachine:x')).toBeUndefined();
  });

  it('accepts the execution names AWS accepts', () => {
    expect(invalidNameReason('01JABCDEF-job_1.retry')).toBeUndefined();
    expect(invalidNameReason('naïve')).toBeUndefined();
    for (const bad of ['', 'a b', 'a:b', 'a/b', 'a*', 'a{b}', 'tab\there', 'x'.repeat(81)]) {
      expect(invalidNameReason(bad), bad).toBeDefined();
    }
  });
});

describe('compileDefinition', () => {
  const definition = {
    TimeoutSeconds: 60,
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map',
        ItemProcessor: {
          StartAt: 'Work',
          States: {
            Work: invoke('work', {
              Retry: [{ ErrorEquals: ['TransientError'], MaxDelaySeconds: 20 }],
              End: true,
            }),
          },
        },
        Next: 'Both',
      },
      Both: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'Left', States: { Left: invoke('left', { TimeoutSeconds: 30, End: true }) } },
          { StartAt: 'Right', States: { Right: { Type: 'Pass', End: true } } },
        ],
        End: true,
      },
    },
  };

  it('indexes every state with the Map or Parallel branch that contains it', () => {
    const compiled = compileDefinition('m', JSON.stringify(definition), { validate: false });
    expect(compiled.timeoutSeconds).toBe(60);
    expect(compiled.states.get('Work')).toMatchObject({ container: 'Each', task: { kind: 'lambda:invoke' } });
    expect(compiled.states.get('Left')).toMatchObject({ container: 'Both[0]', task: { timeoutSeconds: 30 } });
    expect(compiled.states.get('Right')).toMatchObject({ container: 'Both[1]', type: 'Pass' });
    expect(compiled.states.get('Each')).toMatchObject({ container: '', type: 'Map' });
  });

  it('hands the engine a copy without the execution timeout, with explicit task timeouts and scaled retries', () => {
    const source = JSON.stringify(definition);
    const executable = compileDefinition('m', source, { validate: false }).executable(
      0.5,
    ) as unknown as typeof definition;
    expect(executable.TimeoutSeconds).toBeUndefined();
    const work = executable.States.Each.ItemProcessor.States.Work as unknown as Record<string, unknown>;
    expect(work.TimeoutSeconds).toBe(2_147_483);
    expect(work.Retry).toEqual([
      { ErrorEquals: ['TransientError'], IntervalSeconds: 0.5, MaxDelaySeconds: 10 },
    ]);
    expect(
      (executable.States.Both.Branches[0]!.States.Left as unknown as { TimeoutSeconds: number })
        .TimeoutSeconds,
    ).toBe(30);
    expect(JSON.parse(source)).toEqual(definition);
  });

  it('refuses what the local engine cannot run, listing every problem', () => {
    const unrunnable = {
      QueryLanguage: 'JSONata',
      StartAt: 'Put',
      States: {
        Put: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', Arguments: {}, Next: 'Dist' },
        Dist: {
          Type: 'Map',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'P',
            States: { P: { Type: 'Pass', End: true } },
          },
          End: true,
        },
      },
    };
    const attempt = () => compileDefinition('bad', JSON.stringify(unrunnable), { validate: false });
    expect(attempt).toThrow(DefinitionError);
    expect(attempt).toThrow(
      /JSONata[\s\S]*Task state Put uses arn:aws:states:::sqs:sendMessage[\s\S]*distributed Map/,
    );
    expect(() => compileDefinition('broken', '{"StartAt": "Nowhere", "States": {}}')).toThrow(/invalid/);
    expect(() => compileDefinition('text', 'not json')).toThrow(/not JSON/);
  });
});

describe('paginate', () => {
  const numbers = Array.from({ length: 7 }, (_, i) => i + 1);
  const page = (maxResults?: number, nextToken?: string) =>
    paginate(
      numbers,
      { maxResults, nextToken },
      (n) => n,
      (a, b) => a - b,
      (k): k is number => typeof k === 'number',
    );

  it('walks the list a page at a time and ends without a token', () => {
    const first = page(3);
    expect(first.items).toEqual([1, 2, 3]);
    const second = page(3, first.nextToken);
    expect(second.items).toEqual([4, 5, 6]);
    const third = page(3, second.nextToken);
    expect(third).toEqual({ items: [7] });
    expect(page(0).items).toHaveLength(7);
  });

  it('rejects a token it did not issue', () => {
    expect(() => page(3, 'garbage')).toThrow(SfnError);
    expect(() => page(3, Buffer.from('{"after":"x"}').toString('base64url'))).toThrow(/Invalid Token/);
  });
});

describe('lambdaFailure', () => {
  it('reports a function error the way Step Functions does', () => {
    expect(lambdaFailure(new LambdaInvokeError('TransientError', 'slow down', ['at a']))).toEqual({
      error: 'TransientError',
      cause: '{"errorMessage":"slow down","errorType":"TransientError","trace":["at a"]}',
    });
  });

  it('reports a failure of the runtime itself as Lambda.Unknown (retried by the workflow)', () => {
    expect(lambdaFailure(new TypeError('socket hang up'))).toEqual({
      error: 'Lambda.Unknown',
      cause: 'TypeError: socket hang up',
    });
  });
});

describe('HistoryRecorder', () => {
  const states = compileDefinition(
    'h',
    JSON.stringify({
      StartAt: 'T',
      States: { T: invoke('t', { Next: 'P' }), P: { Type: 'Pass', End: true } },
    }),
  ).states;
  const entered = (name: string, type: string): EngineEvent =>
    ({ type: 'StateEntered', timestamp: 0, state: { name, type, input: {} } }) as EngineEvent;

  it('fails the execution at the 25,000-event limit, the last event being ExecutionFailed', () => {
    const events: HistoryEvent[] = [];
    const onLimitReached = vi.fn();
    const recorder = new HistoryRecorder({
      states,
      region: 'us-east-1',
      append: (e) => events.push(e),
      onLimitReached,
    });
    recorder.executionStarted('{}', 'role');
    for (let i = 0; i < historyEventLimit + 10; i++) recorder.engineEvent(entered('P', 'Pass'));
    expect(onLimitReached).toHaveBeenCalledTimes(1);
    expect(events).toHaveLength(historyEventLimit - 1);
    recorder.executionFailed('States.Runtime', 'too many events');
    expect(events.at(-1)).toMatchObject({ id: historyEventLimit, type: 'ExecutionFailed' });
  });

  it('forgets a task lane whose state failed before invoking anything', () => {
    const events: HistoryEvent[] = [];
    const recorder = new HistoryRecorder({ states, region: 'us-east-1', append: (e) => events.push(e) });
    recorder.engineEvent(entered('T', 'Task'));
    recorder.engineEvent({
      type: 'StateFailed',
      timestamp: 0,
      state: { name: 'T', type: 'Task', input: {} },
      Error: 'States.Runtime',
      Cause: 'path matched nothing',
    } as EngineEvent);
    expect(recorder.taskStarting('T', {})).toBeUndefined();
    expect(events.map((event) => event.type)).toEqual(['TaskStateEntered']);
  });

  it('records nothing more once the execution has ended', () => {
    const events: HistoryEvent[] = [];
    const recorder = new HistoryRecorder({ states, region: 'us-east-1', append: (e) => events.push(e) });
    recorder.engineEvent(entered('T', 'Task'));
    const attempt = recorder.taskStarting('T', { FunctionName: 'f' })!;
    recorder.executionAborted();
    recorder.taskSucceeded(attempt, { Payload: 1 });
    expect(events.map((event) => event.type)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'ExecutionAborted',
    ]);
    expect(events.at(-1)!.executionAbortedEventDetails).toEqual({});
  });
});

describe('statusChangeEvent', () => {
  it('has the EventBridge envelope and nulls for what is not there yet', () => {
    const event = statusChangeEvent(
      { region: 'us-east-1', accountId: '000000000000' },
      {
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:e',
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m',
        stateMachineName: 'm',
        name: 'e',
        status: 'RUNNING',
        startDate: 1_700_000_000_123,
        input: '{}',
        roleArn: 'role',
        definition: '{}',
        redriveCount: 0,
      },
    );
    expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(event).toMatchObject({
      version: '0',
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      resources: ['arn:aws:states:us-east-1:000000000000:execution:m:e'],
      detail: { status: 'RUNNING', startDate: 1_700_000_000_123, stopDate: null, output: null, error: null },
    });
  });
});
