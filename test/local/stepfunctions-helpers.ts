/** Shared by the local Step Functions tests: a service on an ephemeral port, an SDK client, stand-ins. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { expect, vi } from 'vitest';
import {
  startStepFunctionsService,
  type StepFunctionsService,
  type StepFunctionsServiceOptions,
} from '../../local/stepfunctions/service';

export const region = 'us-east-1';
export const accountId = '000000000000';
export const functionArn = (name: string) => `arn:aws:lambda:${region}:${accountId}:function:sluice-${name}`;

/** What the local Lambda runtime rejects with when a function fails. */
export { LambdaInvokeError } from '../../local/lambda/errors';

export async function tempDataDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-sfn-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export type ServiceOverrides = Partial<StepFunctionsServiceOptions> &
  Pick<StepFunctionsServiceOptions, 'stateMachines' | 'invokeFunction' | 'dataDir'>;

export async function startService(
  options: ServiceOverrides,
): Promise<{ service: StepFunctionsService; client: SFNClient }> {
  const service = await startStepFunctionsService({
    host: '127.0.0.1',
    port: 0,
    region,
    accountId,
    retryIntervalScale: 0.01,
    ...options,
  });
  const client = new SFNClient({
    endpoint: service.endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return { service, client };
}

export async function waitForStatus(client: SFNClient, executionArn: string, status: string) {
  return vi.waitFor(
    async () => {
      const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
      expect(execution.status).toBe(status);
      return execution;
    },
    { timeout: 10_000, interval: 20 },
  );
}

/** The SDK types these optional; the service always sends them. */
export type RecordedEvent = HistoryEvent & { type: string; id: number; previousEventId: number };

export async function historyOf(client: SFNClient, executionArn: string): Promise<RecordedEvent[]> {
  const { events = [] } = await client.send(
    new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
  );
  return events as RecordedEvent[];
}

/** A promise the test settles by hand, standing in for a function that is still running. */
export function deferred<T = unknown>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}
