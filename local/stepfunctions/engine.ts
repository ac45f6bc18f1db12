/**
 * Runs one execution on aws-local-stepfunctions. Every Task state is mapped (by state name, the library's
 * key) to the service's invokeFunction; Lambda errors reach Retry/Catch as they do in AWS: Error = the
 * function's errorType, Cause = JSON {errorMessage, errorType, trace}.
 */
import './polyfills';
import { randomUUID } from 'node:crypto';
import { ExecutionError, StateMachine, type RunOptions } from 'aws-local-stepfunctions';
import type { CompiledDefinition, StateInfo } from './definition';
import type { HistoryRecorder } from './history';

type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

export type InvokeFunction = (functionArn: string, payload: unknown) => Promise<unknown>;

export type EngineOutcome =
  { status: 'SUCCEEDED'; output: string } | { status: 'FAILED'; error: string; cause: string };

export interface EngineRun {
  /** Settles when the engine is done and its event log is recorded; undefined after abort(). */
  outcome: Promise<EngineOutcome | undefined>;
  abort(): void;
}

export interface EngineOptions {
  compiled: CompiledDefinition;
  input: unknown;
  /** The context object ($$): Execution.Id etc. (the library sets Execution.Input and StartTime itself). */
  context: Record<string, unknown>;
  recorder: HistoryRecorder;
  invokeFunction: InvokeFunction;
  retryIntervalScale?: number;
}

/** What a task's failure looks like to Retry/Catch: `name` is matched against ErrorEquals, `message` is Cause. */
class TaskError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/** A task call for a lane that was aborted (a stopped execution, a failed Map): never run, retried or caught. */
class AbandonedTask extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  override readonly name = 'States.Runtime';
}

interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

const isLambdaError = (error: unknown): error is LambdaError =>
  typeof error === 'object' &&
  error !== null &&
  typeof (error as LambdaError).errorType === 'string' &&
  typeof (error as LambdaError).errorMessage === 'string';

/** The Error and Cause AWS reports for a failed Lambda invocation. */
export function lambdaFailure(error: unknown): { error: string; cause: string } {
  if (isLambdaError(error)) {
    const { errorMessage, errorType, trace = [] } = error;
    return { error: errorType, cause: JSON.stringify({ errorMessage, errorType, trace }) };
  }
  // Not a function error (the local runtime itself failed): AWS would report a Lambda service error.
  const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { error: 'Lambda.Unknown', cause };
}

const copyJson = (value: unknown): unknown =>
  value === undefined ? null : JSON.parse(JSON.stringify(value));

/** The result AWS's `lambda:invoke` integration hands to ResultSelector/ResultPath/OutputPath. */
const lambdaInvokeResult = (payload: unknown) => ({
  ExecutedVersion: '$LATEST',
  Payload: copyJson(payload),
  SdkHttpMetadata: { HttpStatusCode: 200 },
  SdkResponseMetadata: { RequestId: randomUUID() },
  StatusCode: 200,
});

// The library reports events through microtask-driven async generators; once a macrotask turn has passed,
// every event announced before the task call has been recorded.
const eventLogDrained = () => new Promise<void>((resolve) => setImmediate(resolve));

export function runEngine(options: EngineOptions): EngineRun {
  const { compiled, recorder, invokeFunction } = options;
  let live = true;
  // Settles tasks still in flight when the run is aborted, so the engine lets go of them (and their timers).
  let rejectInFlight: (reason: unknown) => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => (rejectInFlight = reject));
  aborted.catch(() => undefined);

  async function runTask(state: StateInfo, input: unknown): Promise<unknown> {
    await eventLogDrained();
    const attempt = live ? recorder.taskStarting(state.name, input) : undefined;
    if (!attempt) throw new AbandonedTask(`task ${state.name} belongs to an aborted execution or iteration`);
    const invoke = state.task?.kind === 'lambda:invoke';
    const request = (invoke ? input : {}) as { FunctionName?: unknown; Payload?: unknown };
    const functionName = invoke ? String(request.FunctionName) : state.task!.resource;
    let result: unknown;
    try {
      const payload = copyJson(invoke ? (request.Payload ?? {}) : input);
      result = await Promise.race([invokeFunction(functionName, payload), aborted]);
    } catch (error) {
      if (!live) throw new AbandonedTask(`task ${state.name} belongs to an aborted execution`);
      const failure = lambdaFailure(error);
      recorder.taskFailed(attempt, failure.error, failure.cause);
      throw new TaskError(failure.error, failure.cause);
    }
    const output = invoke ? lambdaInvokeResult(result) : copyJson(result);
    recorder.taskSucceeded(attempt, output);
    return output;
  }

  const taskHandlers = Object.fromEntries(
    [...compiled.states.values()]
      .filter((state) => state.task)
      .map((state) => [state.name, (input: unknown) => runTask(state, input)]),
  );
  const machine = new StateMachine(compiled.executable(options.retryIntervalScale), {
    validationOptions: { noValidate: true },
  });
  // The handlers return what invokeFunction resolves with: JSON, as the library's JSONValue types expect.
  const execution = machine.run(options.input as Parameters<StateMachine['run']>[0], {
    overrides: { taskResourceLocalHandlers: taskHandlers as TaskHandlers },
    context: options.context,
    noThrowOnAbort: true,
  });
  const logged = (async () => {
    for await (const event of execution.eventLogs) recorder.engineEvent(event);
  })();

  const outcome = execution.result.then(
    (output): EngineOutcome => ({ status: 'SUCCEEDED', output: JSON.stringify(output ?? null) }),
    (error: unknown): EngineOutcome => {
      const reason = error instanceof ExecutionError ? error.cause : error;
      return reason instanceof Error
        ? { status: 'FAILED', error: reason.name, cause: reason.message }
        : { status: 'FAILED', error: 'States.Runtime', cause: String(reason) };
    },
  );
  return {
    outcome: outcome.then(async (result) => {
      await logged;
      return live ? result : undefined;
    }),
    abort() {
      live = false;
      rejectInFlight(new AbandonedTask('the execution was aborted'));
      execution.abort();
    },
  };
}
