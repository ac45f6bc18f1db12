/**
 * Runs workflows/ingest.asl.json with aws-local-stepfunctions, every Task state answered by the real task
 * handler its `${Placeholder}` names in cdk/wiring.ts (invoked as Step Functions' lambda:invoke does: Payload
 * in, Payload out, a thrown error's name as the Error and Lambda's JSON error document as the Cause).
 * DynamoDB is dynalite in-process (real condition expressions for every store); S3 is an in-memory bucket.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import dynalite from 'dynalite';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  functionEnvironment,
  localAccount,
  resolveSettings,
  workflow,
  type FunctionName,
  type RefName,
} from '../../cdk/wiring';
import { createTableInput } from '../../local/services/dynamodb';
import { handler as prepareJob } from '../../functions/prepare-job/handler';
import { handler as ingestChunk } from '../../functions/ingest-chunk/handler';
import { handler as finalizeJob } from '../../functions/finalize-job/handler';
import { handler as ingestGroup } from '../../functions/ingest-group/handler';
import { handler as markJobFailed } from '../../functions/mark-job-failed/handler';
import { lambdaContext } from '../handlers/api-event';

type Json = Record<string, unknown>;
type TaskHandler = (payload: never, context: Context) => Promise<unknown>;

/** The workflow functions' handlers, by wiring function name. */
export const taskHandlers: Partial<Record<FunctionName, TaskHandler>> = {
  'prepare-job': prepareJob,
  'ingest-chunk': ingestChunk,
  'finalize-job': finalizeJob,
  'ingest-group': ingestGroup,
  'mark-job-failed': markJobFailed,
};

export const TABLE = 'sluice-workflow-test';
export const BUCKET = 'sluice-workflow-bucket';
const { region, accountId } = localAccount;
export const functionArn = (name: string) => `arn:aws:lambda:${region}:${accountId}:function:sluice-${name}`;
/** The execution named `name`: a jobId, or a group id (`g-…`). */
export const executionArn = (name: string) =>
  `arn:aws:states:${region}:${accountId}:execution:sluice-ingest:${name}`;

export const definitionText = () => readFileSync(workflow.definitionFile, 'utf8');

/** `${Name}` → the ARN of the function wiring maps it to, as the stack's definition substitutions do. */
export function substituted(text: string): StateMachineDefinition {
  const placeholders: Record<string, string> = workflow.functionPlaceholders;
  const replaced = text.replace(/\$\{(\w+)\}/g, (whole, name: string) => {
    const fn = placeholders[name];
    if (!fn) throw new Error(`${whole} is not a workflow.functionPlaceholders entry`);
    return functionArn(fn);
  });
  return JSON.parse(replaced) as StateMachineDefinition;
}

/** Every Task state, however deeply nested (Map ItemProcessor/Iterator, Parallel branches). */
export function taskStates(machine: Json): { name: string; state: Json }[] {
  const found: { name: string; state: Json }[] = [];
  for (const [name, state] of Object.entries((machine.States ?? {}) as Record<string, Json>)) {
    if (state.Type === 'Task') found.push({ name, state });
    const nested = [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[]) ?? [])];
    for (const inner of nested) if (inner) found.push(...taskStates(inner as Json));
  }
  return found;
}

/** The wiring function a Task state invokes, from the placeholder in its FunctionName. */
export function functionOf(state: Json): FunctionName | undefined {
  const target = (state.Parameters as Json | undefined)?.FunctionName;
  const placeholder = typeof target === 'string' ? target.match(/^\$\{(\w+)\}$/)?.[1] : undefined;
  return placeholder
    ? (workflow.functionPlaceholders as Record<string, FunctionName>)[placeholder]
    : undefined;
}

/** What Step Functions makes of a Lambda function error: Error = errorType, Cause = Lambda's JSON document. */
function asLambdaError(error: unknown): Error {
  const e = error as Error;
  const failure = new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }));
  failure.name = e.name;
  return failure;
}

export interface LocalWorkflow {
  /** Local handler per Task state name. */
  handlers: Record<string, (input: unknown) => Promise<unknown>>;
  /** Payloads each Task state was invoked with, in order. */
  calls: Record<string, unknown[]>;
  /** Runs an execution named `name` (the jobId, or the group id of a group execution). */
  run(name: string, input: Json): Promise<unknown>;
}

export function localWorkflow(): LocalWorkflow {
  const raw = JSON.parse(definitionText()) as Json;
  const handlers: LocalWorkflow['handlers'] = {};
  const calls: LocalWorkflow['calls'] = {};
  for (const { name, state } of taskStates(raw)) {
    const fn = functionOf(state);
    const handler = fn && taskHandlers[fn];
    // Without a local handler the engine would invoke a real Lambda function.
    if (!handler) throw new Error(`Task state ${name} has no local handler (function ${fn ?? 'unknown'})`);
    calls[name] = [];
    handlers[name] = async (input) => {
      const { Payload } = input as { Payload: never };
      calls[name]!.push(Payload);
      try {
        return { Payload: await handler(Payload, lambdaContext) };
      } catch (error) {
        throw asLambdaError(error);
      }
    };
  }
  const machine = new StateMachine(substituted(definitionText()));
  const noRetryWait = Object.fromEntries(Object.keys(handlers).map((name) => [name, 0]));
  return {
    handlers,
    calls,
    run(name, input) {
      const execution = machine.run(input as never, {
        overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides: noRetryWait },
        context: { Execution: { Id: executionArn(name), Name: name } } as never,
      });
      return execution.result;
    },
  };
}

/** dynalite with the one table (keys and index as wiring declares), and the workflow functions' environment. */
export async function startBackends(): Promise<{ stop(): Promise<void> }> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  });
  const refs: Record<RefName, string> = {
    tableName: TABLE,
    bucketName: BUCKET,
    queueUrl: 'unused',
    stateMachineArn: 'unused',
    cdnUrl: 'unused',
    signingKeySecretArn: 'unused',
    signingKeyPairId: 'unused',
    maxReceiveCount: '5',
  };
  // Small chunks, so even a small job's Map has several iterations.
  const settings = resolveSettings({ minChunkBytes: 300, maxUploadBytes: 100_000 });
  for (const name of Object.values(workflow.functionPlaceholders)) {
    for (const [variable, value] of Object.entries(functionEnvironment(name, refs, settings))) {
      if (!variable.startsWith('POWERTOOLS_')) process.env[variable] = value;
    }
  }
  const client = new DynamoDBClient({ endpoint });
  await client.send(new CreateTableCommand(createTableInput(TABLE)));
  client.destroy();
  return { stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
