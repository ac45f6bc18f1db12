/** Shared pieces of the benchmarks: a local cloud of their own, a signed-in user, number formatting. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../local/cloud';
import { Api, signUpAndIn } from '../local/client';

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
