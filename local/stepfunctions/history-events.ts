/** AWS history event types with their `*EventDetails` (data as JSON strings): one pure builder per kind. */
import type { StateInfo, TaskKind } from './definition';
import { readReferencePath } from './reference-path';

export interface EventShape {
  type: string;
  /** `{ <camelCaseType>EventDetails: {...} }`, or empty for events AWS sends without details. */
  details: Record<string, unknown>;
}

const json = (value: unknown) => JSON.stringify(value === undefined ? null : value);
const dataDetails = { truncated: false };

export function definedOnly<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

const shape = (type: string, detailsKey?: string, details?: object): EventShape => ({
  type,
  details: detailsKey ? { [detailsKey]: details } : {},
});

export const executionEvents = {
  started: (input: string, roleArn: string) =>
    shape('ExecutionStarted', 'executionStartedEventDetails', { input, inputDetails: dataDetails, roleArn }),
  redriven: (redriveCount: number) =>
    shape('ExecutionRedriven', 'executionRedrivenEventDetails', { redriveCount }),
  succeeded: (output: string) =>
    shape('ExecutionSucceeded', 'executionSucceededEventDetails', { output, outputDetails: dataDetails }),
  failed: (error: string, cause: string) =>
    shape('ExecutionFailed', 'executionFailedEventDetails', { error, cause }),
  aborted: (error?: string, cause?: string) =>
    shape('ExecutionAborted', 'executionAbortedEventDetails', definedOnly({ error, cause })),
  timedOut: () => shape('ExecutionTimedOut', 'executionTimedOutEventDetails', { error: 'States.Timeout' }),
};

export const stateEntered = (state: StateInfo, input: unknown) =>
  shape(`${state.type}StateEntered`, 'stateEnteredEventDetails', {
    name: state.name,
    input: json(input),
    inputDetails: dataDetails,
  });

export const stateExited = (state: StateInfo, output: unknown) =>
  shape(`${state.type}StateExited`, 'stateExitedEventDetails', {
    name: state.name,
    output: json(output),
    outputDetails: dataDetails,
  });

/** MapStateSucceeded, ParallelStateStarted, ...: AWS sends these without details. */
export const stateProgress = (state: StateInfo, progress: 'Started' | 'Succeeded' | 'Failed') =>
  shape(`${state.type}State${progress}`);

export const mapStateStarted = (state: StateInfo, input: unknown) =>
  shape('MapStateStarted', 'mapStateStartedEventDetails', definedOnly({ length: itemCount(state, input) }));

export type MapIterationType =
  'MapIterationStarted' | 'MapIterationSucceeded' | 'MapIterationFailed' | 'MapIterationAborted';

export const mapIteration = (type: MapIterationType, mapName: string, index: number) =>
  shape(type, `m${type.slice(1)}EventDetails`, { name: mapName, index });

export interface TaskEvents {
  scheduled(parameters: unknown): EventShape[];
  succeeded(output: unknown): EventShape;
  failed(error: string, cause: string): EventShape;
  timedOut(cause?: string): EventShape;
}

/** A task attempt's events: Task* for `lambda:invoke`, LambdaFunction* for a function ARN as Resource. */
export function taskEvents(
  task: { kind: TaskKind; resource: string; timeoutSeconds?: number; heartbeatSeconds?: number },
  region: string,
): TaskEvents {
  if (task.kind === 'lambda:function') {
    return {
      scheduled: (input) => [
        shape('LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails', {
          resource: task.resource,
          input: json(input),
          inputDetails: dataDetails,
          ...definedOnly({ timeoutInSeconds: task.timeoutSeconds }),
        }),
        shape('LambdaFunctionStarted'),
      ],
      succeeded: (output) =>
        shape('LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails', {
          output: json(output),
          outputDetails: dataDetails,
        }),
      failed: (error, cause) =>
        shape('LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails', { error, cause }),
      timedOut: (cause) =>
        shape('LambdaFunctionTimedOut', 'lambdaFunctionTimedOutEventDetails', {
          error: 'States.Timeout',
          ...definedOnly({ cause }),
        }),
    };
  }
  const resource = { resourceType: 'lambda', resource: 'invoke' };
  return {
    scheduled: (parameters) => [
      shape('TaskScheduled', 'taskScheduledEventDetails', {
        ...resource,
        region,
        parameters: json(parameters),
        ...definedOnly({ timeoutInSeconds: task.timeoutSeconds, heartbeatInSeconds: task.heartbeatSeconds }),
      }),
      shape('TaskStarted', 'taskStartedEventDetails', resource),
    ],
    succeeded: (output) =>
      shape('TaskSucceeded', 'taskSucceededEventDetails', {
        ...resource,
        output: json(output),
        outputDetails: dataDetails,
      }),
    failed: (error, cause) => shape('TaskFailed', 'taskFailedEventDetails', { ...resource, error, cause }),
    timedOut: (cause) =>
      shape('TaskTimedOut', 'taskTimedOutEventDetails', {
        ...resource,
        error: 'States.Timeout',
        ...definedOnly({ cause }),
      }),
  };
}

/** How many items a Map state iterates over, read from its raw input the way the engine will. */
function itemCount(state: StateInfo, input: unknown): number | undefined {
  const { inputPath, itemsPath = '$' } = state.map ?? {};
  let effective: unknown = input;
  if (inputPath === null) effective = {};
  else if (inputPath !== undefined) {
    const selected = readReferencePath(input, inputPath);
    if (!selected.found) return undefined;
    effective = selected.value;
  }
  const items = readReferencePath(effective, itemsPath);
  return items.found && Array.isArray(items.value) ? items.value.length : undefined;
}
