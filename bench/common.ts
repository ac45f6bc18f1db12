/** Shared pieces of the benchmarks: a local cloud of their own, a signed-in user, number formatting. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../local/cloud';
import { Api, signUpAndIn } from '../local/client';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

// The benchmarks run on the machine's Node 20 by design; the SDK's upgrade notice would only clutter the figures.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface BenchCloud {
  cloud: LocalCloud;
  api: Api;
  tenant: string;
  stop(): Promise<void>;
}

export async function startBenchCloud(): Promise<BenchCloud> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const cloud = await startLocalCloud({ dataDir, ports: 'ephemeral', log: () => {} });
  const user = await signUpAndIn(cloud.endpoints, 'bench');
  return {
    cloud,
    api: new Api(cloud.endpoints.apiUrl, user.idToken),
    tenant: user.sub,
    async stop() {
      await cloud.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const rate = (count: number, ms: number): number => Math.round((count / ms) * 1000);

export function row(label: string, value: number, unit: string, floor?: number): string {
  const ratio = floor ? `  ratio ${(value / floor).toFixed(2)}` : '';
  return `${label.padEnd(46)} ${String(value).padStart(8)} ${unit}${ratio}`;
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function inFlight<T>(
  items: T[],
  concurrency: number,
  task: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await task(items[next++] as T);
    }),
  );
}

/**
 * Waits until the pipeline is quiet: the ingest queue holds nothing visible or in flight and every execution
 * started has ended, three checks in a row (a second apart). Cheap to poll: no job listing.
 */
export async function waitForQuiet(bench: BenchCloud, sqs: SQSClient, deadlineMs: number): Promise<void> {
  let stable = 0;
  while (Date.now() < deadlineMs) {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: bench.cloud.endpoints.queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    // Upload deadlines wait (delayed) for the URL's TTL + grace: their later check is not waited for (see README).
    const delayed = Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
    const queued =
      Math.max(0, Number(Attributes.ApproximateNumberOfMessages ?? 0) - delayed) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
    const { stepFunctions } = await bench.cloud.meter.snapshot();
    const running = stepFunctions.executionsStarted - stepFunctions.executionsEnded;
    stable = queued === 0 && running === 0 && stepFunctions.executionsStarted > 0 ? stable + 1 : 0;
    if (stable >= 3) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
