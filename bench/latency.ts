/**
 * What grouping costs in latency: single-event POST /events → the job SUCCEEDED, one submission at a time
 * (the worst case for a batching window: nothing else arrives to fill the batch). The job is polled every 50 ms,
 * so each figure is up to 50 ms late. Prints p50, p90, p99 and max, next to the starter's batching window.
 * Run: npm run bench:latency  (BENCH_COUNT, default 40)
 */
import { event } from '../local/client';
import { ingestQueue } from '../cdk/wiring';
import { startBenchCloud } from './common';

const count = Number(process.env.BENCH_COUNT ?? 40);
const POLL_MS = 50;

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main(): Promise<void> {
  const bench = await startBenchCloud();
  try {
    const latencies: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const sent = await bench.api.postJson('/events', event());
      if (sent.status !== 202) throw new Error(`POST /events answered ${sent.status}`);
      for (;;) {
        const job = await bench.api.get(`/jobs/${sent.body.jobId}`);
        if (job.body.status === 'SUCCEEDED') break;
        if (job.body.status === 'FAILED') throw new Error(`job ${sent.body.jobId} FAILED`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      latencies.push(performance.now() - started);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const ms = (value: number) => `${Math.round(value)} ms`;
    console.log(
      `Sluice latency: ${count} single-event POSTs one at a time, POST → SUCCEEDED (node ${process.version})`,
    );
    console.log(
      `starter batching window ${ingestQueue.maxBatchingWindowSeconds} s, batch size ${ingestQueue.batchSize}`,
    );
    console.log(
      `p50 ${ms(percentile(sorted, 50))}  p90 ${ms(percentile(sorted, 90))}  p99 ${ms(percentile(sorted, 99))}  max ${ms(sorted.at(-1)!)}`,
    );
  } finally {
    await bench.stop();
  }
}

await main();
