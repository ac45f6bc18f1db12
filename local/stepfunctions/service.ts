/**
 * Local AWS Step Functions: an HTTP server on 127.0.0.1 speaking the Step Functions API (AWS JSON 1.0), so
 * `@aws-sdk/client-sfn` and the AWS CLI work against it unchanged. Executions run on aws-local-stepfunctions;
 * every Task state invokes `invokeFunction` (the local Lambda runtime).
 *
 * Durability, and how it maps to AWS. In AWS a STANDARD execution is durable: it survives service incidents
 * and carries on where it was. Here every execution's record and history are written through to `dataDir`
 * (see store.ts) and reloaded on start; ended executions keep their final status and full history. An
 * execution that was RUNNING when the process stopped is resumed on the next start: it runs again from the
 * beginning with the same ARN, name and input (the pipeline's tasks are idempotent), keeping its start date,
 * and its history gets an `ExecutionRedriven` event (redriveCount = times resumed) between the interrupted
 * attempt's events and the new ones. AWS uses that event for RedriveExecution, which restarts from the failed
 * state rather than from the beginning; it is the closest AWS event to "this execution was picked up again".
 * Its TimeoutSeconds still counts from the original start date.
 *
 * Status changes are delivered to `onExecutionStatusChange` as the EventBridge events AWS emits, after they
 * are on disk; like EventBridge, delivery is not ordered with the API responses and is not retried.
 */
import './polyfills';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { stateMachineArn } from './arns';
import { compileDefinition } from './definition';
import type { InvokeFunction } from './engine';
import { Executions, type StateMachineEntry } from './executions';
import { stepFunctionsOperations } from './operations';
import { createJsonProtocolServer } from './protocol';
import type { ExecutionStatusChangeEvent } from './status-events';
import { ExecutionStore } from './store';
import type { Meter } from '../meter/meter';

export type { ExecutionStatusChangeEvent } from './status-events';

export interface StepFunctionsServiceOptions {
  host: '127.0.0.1';
  /** 0 = any free port. */
  port: number;
  /** Persistence (executions + history): survives restarts. */
  dataDir: string;
  region: string;
  accountId: string;
  /** ASL documents with their placeholders already substituted. */
  stateMachines: { name: string; definition: string; roleArn?: string }[];
  /** Resolves with the function's result; rejects with a LambdaInvokeError (errorType, errorMessage, trace). */
  invokeFunction: InvokeFunction;
  /** The EventBridge event AWS emits for every execution status change. */
  onExecutionStatusChange?(event: ExecutionStatusChangeEvent): void | Promise<void>;
  /** Multiplies every Retry interval (and MaxDelaySeconds); tests use a small value. Default 1 (AWS timing). */
  retryIntervalScale?: number;
  /** The cost meter: API requests by operation, and every history event (transitions, log bytes). */
  meter?: Meter;
  log?(message: string, error?: unknown): void;
}

export interface StepFunctionsService {
  endpoint: string;
  /** By state machine name. */
  stateMachineArns: Record<string, string>;
  /** Tests only: the next `times` StartExecution calls answer ThrottlingException (a throttling storm). */
  throttleStartExecution(times: number): void;
  /** How many armed throttles are still to answer. */
  pendingThrottles(): number;
  stop(): Promise<void>;
}

async function registerStateMachines(
  options: StepFunctionsServiceOptions,
  store: ExecutionStore,
): Promise<Map<string, StateMachineEntry>> {
  const scope = { region: options.region, accountId: options.accountId };
  const records = await store.loadStateMachines();
  const machines = new Map<string, StateMachineEntry>();
  for (const { name, definition, roleArn } of options.stateMachines) {
    const arn = stateMachineArn(scope, name);
    if (machines.has(arn)) throw new Error(`state machine ${name} is declared twice`);
    const definitionSha256 = createHash('sha256').update(definition).digest('hex');
    const known = records[name];
    const compiled = compileDefinition(name, definition, {
      validate: known?.definitionSha256 !== definitionSha256,
    });
    records[name] = { creationDate: known?.creationDate ?? Date.now(), definitionSha256 };
    machines.set(arn, {
      name,
      arn,
      roleArn: roleArn ?? `arn:aws:iam::${options.accountId}:role/${name}-role`,
      compiled,
      creationDate: records[name].creationDate,
    });
  }
  await store.saveStateMachines(records);
  return machines;
}

/** Starts the service; rejects (starting nothing) if a definition can't run locally. */
export async function startStepFunctionsService(
  options: StepFunctionsServiceOptions,
): Promise<StepFunctionsService> {
  const log = options.log ?? ((message, error) => console.error(`[stepfunctions] ${message}`, error ?? ''));
  const store = await ExecutionStore.open(options.dataDir);
  const stateMachines = await registerStateMachines(options, store);
  const executions = new Executions({
    scope: { region: options.region, accountId: options.accountId },
    store,
    invokeFunction: options.invokeFunction,
    onStatusChange: options.onExecutionStatusChange,
    retryIntervalScale: options.retryIntervalScale,
    onHistoryEvent: options.meter && ((event, arn) => options.meter!.stateMachineEvent(event, arn)),
    log,
  });
  executions.restore(await store.loadExecutions());

  const throttles = { startExecution: 0 };
  const server = createJsonProtocolServer(
    stepFunctionsOperations({ stateMachines, executions, throttles }),
    log,
  );
  options.meter?.attach(server, 'stepfunctions', (req) =>
    String(req.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, ''),
  );
  server.listen(options.port, options.host);
  await once(server, 'listening');
  executions.resumeRunning();

  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${options.host}:${port}`,
    stateMachineArns: Object.fromEntries(
      [...stateMachines.values()].map((machine) => [machine.name, machine.arn]),
    ),
    throttleStartExecution(times) {
      throttles.startExecution = times;
    },
    pendingThrottles: () => throttles.startExecution,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.all([closed, executions.shutdown()]);
    },
  };
}
