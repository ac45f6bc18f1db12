/** Execution lifecycle: start (with AWS's name rules), run, end in exactly one final status, resume, stop. */
import { randomUUID } from 'node:crypto';
import { executionArn, type Scope } from './arns';
import { compileDefinition, type CompiledDefinition } from './definition';
import { runEngine, type EngineOutcome, type InvokeFunction } from './engine';
import { SfnError } from './errors';
import { Execution } from './execution';
import { HistoryRecorder, historyEventLimit, type HistoryEvent } from './history';
import { statusChangeEvent, type ExecutionStatusChangeEvent } from './status-events';
import type { ExecutionRecord, ExecutionStore, StoredExecution } from './store';

export interface StateMachineEntry {
  name: string;
  arn: string;
  roleArn: string;
  compiled: CompiledDefinition;
  /** Epoch milliseconds. */
  creationDate: number;
}

export type ExecutionEnd =
  | EngineOutcome
  | { status: 'TIMED_OUT'; stopDate: number }
  | { status: 'ABORTED'; error?: string; cause?: string };

export interface ExecutionsOptions {
  scope: Scope;
  store: ExecutionStore;
  invokeFunction: InvokeFunction;
  onStatusChange?(event: ExecutionStatusChangeEvent): void | Promise<void>;
  retryIntervalScale?: number;
  /** Sees every history event as it is recorded (the cost meter). */
  onHistoryEvent?: (event: HistoryEvent, executionArn: string) => void;
  log(message: string, error?: unknown): void;
}

export interface StartRequest {
  name?: string;
  input?: string;
  traceHeader?: string;
}

// setTimeout can't wait longer; an execution timeout beyond it (24.8 days) is not enforced locally.
const maxTimerMs = 2 ** 31 - 1;

export class Executions {
  private readonly byArn = new Map<string, Execution>();
  private readonly compiledBySource = new Map<string, CompiledDefinition>();

  constructor(private readonly options: ExecutionsOptions) {}

  restore(stored: StoredExecution[]): void {
    for (const { record, history } of stored) {
      this.byArn.set(record.executionArn, this.track(record, history));
    }
  }

  get(arn: string): Execution | undefined {
    return this.byArn.get(arn);
  }

  ofStateMachine(stateMachineArn: string): Execution[] {
    return [...this.byArn.values()].filter(
      (execution) => execution.record.stateMachineArn === stateMachineArn,
    );
  }

  /** StartExecution: a RUNNING execution with the same name and input is returned as is (AWS's idempotency). */
  async start(machine: StateMachineEntry, request: StartRequest): Promise<Execution> {
    const name = request.name ?? randomUUID();
    const input = request.input ?? '{}';
    const arn = executionArn(this.options.scope, machine.name, name);
    const existing = this.byArn.get(arn);
    if (existing) {
      if (existing.record.status === 'RUNNING' && existing.record.input === input) return existing;
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    this.compiledBySource.set(machine.compiled.source, machine.compiled);
    const execution = this.track({
      executionArn: arn,
      stateMachineArn: machine.arn,
      stateMachineName: machine.name,
      name,
      status: 'RUNNING',
      startDate: Date.now(),
      input,
      roleArn: machine.roleArn,
      definition: machine.compiled.source,
      redriveCount: 0,
      ...(request.traceHeader === undefined ? {} : { traceHeader: request.traceHeader }),
    });
    this.byArn.set(arn, execution);
    execution.update({}); // the record's first write
    const running = { ...execution.record };
    this.launch(execution, machine.compiled, false);
    await execution.flush();
    this.emit(running);
    return execution;
  }

  /** StopExecution: ABORTED with the caller's error and cause; a no-op for an execution that already ended. */
  async stop(execution: Execution, error?: string, cause?: string): Promise<void> {
    this.end(execution, { status: 'ABORTED', error, cause });
    await execution.flush();
  }

  /** Runs again, from the start, every execution that was RUNNING when the last process stopped. */
  resumeRunning(): void {
    for (const execution of this.byArn.values()) {
      if (execution.record.status !== 'RUNNING') continue;
      let compiled: CompiledDefinition;
      try {
        compiled = this.compile(execution.record);
      } catch (error) {
        execution.recorder = this.recorderFor(execution, new Map());
        this.end(execution, { status: 'FAILED', error: 'States.Runtime', cause: (error as Error).message });
        continue;
      }
      execution.update({ redriveCount: execution.record.redriveCount + 1, redriveDate: Date.now() });
      this.launch(execution, compiled, true);
    }
  }

  /** Stops running executions without ending them (they resume on the next start) and flushes everything. */
  async shutdown(): Promise<void> {
    await Promise.all(
      [...this.byArn.values()].map((execution) =>
        execution.record.status === 'RUNNING' ? execution.detach() : execution.flush().catch(() => undefined),
      ),
    );
  }

  private track(record: ExecutionRecord, history: StoredExecution['history'] = []): Execution {
    return new Execution(record, this.options.store, history, (error) =>
      this.options.log(`could not persist execution ${record.executionArn}`, error),
    );
  }

  private compile(record: ExecutionRecord): CompiledDefinition {
    let compiled = this.compiledBySource.get(record.definition);
    if (!compiled) {
      // It passed validation when the execution started.
      compiled = compileDefinition(record.stateMachineName, record.definition, { validate: false });
      this.compiledBySource.set(record.definition, compiled);
    }
    return compiled;
  }

  private recorderFor(execution: Execution, states: CompiledDefinition['states']): HistoryRecorder {
    return new HistoryRecorder({
      states,
      region: this.options.scope.region,
      append: this.options.onHistoryEvent
        ? (event) => {
            this.options.onHistoryEvent!(event, execution.record.executionArn);
            execution.append(event);
          }
        : execution.append,
      lastEventId: execution.lastEventId,
      onLimitReached: () =>
        this.end(execution, {
          status: 'FAILED',
          error: 'States.Runtime',
          cause: `The execution reached the maximum number of history events (${historyEventLimit}).`,
        }),
    });
  }

  private launch(execution: Execution, compiled: CompiledDefinition, resumed: boolean): void {
    const { record } = execution;
    const recorder = this.recorderFor(execution, compiled.states);
    execution.recorder = recorder;
    if (resumed) recorder.executionRedriven(record.redriveCount);
    else recorder.executionStarted(record.input, record.roleArn);

    if (compiled.timeoutSeconds !== undefined) {
      const deadline = record.startDate + compiled.timeoutSeconds * 1000;
      const timedOut = () => this.end(execution, { status: 'TIMED_OUT', stopDate: deadline });
      if (deadline <= Date.now()) return timedOut();
      if (deadline - Date.now() <= maxTimerMs)
        execution.timeout = setTimeout(timedOut, deadline - Date.now());
    }
    execution.engine = runEngine({
      compiled,
      input: JSON.parse(record.input),
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          RoleArn: record.roleArn,
          StartTime: new Date(record.startDate).toISOString(),
          RedriveCount: record.redriveCount,
        },
        StateMachine: { Id: record.stateMachineArn, Name: record.stateMachineName },
      },
      recorder,
      invokeFunction: this.options.invokeFunction,
      retryIntervalScale: this.options.retryIntervalScale,
    });
    execution.engine.outcome.then(
      (outcome) => outcome && this.end(execution, outcome),
      (error: unknown) => {
        this.options.log(`execution ${record.executionArn} failed inside the local service`, error);
        this.end(execution, { status: 'FAILED', error: 'States.Runtime', cause: String(error) });
      },
    );
  }

  /** Moves a RUNNING execution to its final status (once), records the terminal event and announces it. */
  private end(execution: Execution, end: ExecutionEnd): void {
    const { record, recorder } = execution;
    if (record.status !== 'RUNNING') return;
    clearTimeout(execution.timeout);
    execution.engine?.abort();
    const stopDate = Date.now();
    switch (end.status) {
      case 'SUCCEEDED':
        recorder?.executionSucceeded(end.output);
        execution.update({ status: end.status, stopDate, output: end.output });
        break;
      case 'FAILED':
        recorder?.executionFailed(end.error, end.cause);
        execution.update({ status: end.status, stopDate, error: end.error, cause: end.cause });
        break;
      case 'TIMED_OUT':
        recorder?.executionTimedOut();
        execution.update({ status: end.status, stopDate: end.stopDate, error: 'States.Timeout' });
        break;
      case 'ABORTED':
        recorder?.executionAborted(end.error, end.cause);
        execution.update({
          status: end.status,
          stopDate,
          ...(end.error === undefined ? {} : { error: end.error }),
          ...(end.cause === undefined ? {} : { cause: end.cause }),
        });
        break;
    }
    const ended = { ...record };
    execution.flush().then(
      () => this.emit(ended),
      () => this.emit(ended),
    );
  }

  private emit(record: ExecutionRecord): void {
    const { onStatusChange } = this.options;
    if (!onStatusChange) return;
    const event = statusChangeEvent(this.options.scope, record);
    Promise.resolve()
      .then(() => onStatusChange(event))
      .catch((error) => this.options.log(`status change handler failed for ${record.executionArn}`, error));
  }
}
