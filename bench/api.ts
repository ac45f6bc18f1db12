/**
 * API throughput: 50 connections posting single CloudEvents for 10 s (autocannon), next to two floors measured in
 * the same run: a bare Node HTTP server answering 202, and a direct script making the calls a single-event
 * submission must make (PutItem of the job, SendMessage of the inline submission: no S3 call) at 50 in flight
 * against the same emulators. Then every accepted job must finish: prints how long after the last POST's response the
 * last job finished (from the jobs' own finishedAt), and any job that did not.
 * Run: npm run bench:api  (BENCH_SECONDS, BENCH_CONNECTIONS to change the load; BENCH_REQUESTS=4000 sends exactly
 * that many POSTs instead of running for BENCH_SECONDS: the sustained-load figure)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { newJobId } from '../shared/jobs/model';
import { event, localCredentials } from '../local/client';
import { cpuSince } from '../local/cpu';
import { row, startBenchCloud, waitForQuiet, type BenchCloud } from './common';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const requests = process.env.BENCH_REQUESTS ? Number(process.env.BENCH_REQUESTS) : undefined;
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const body = JSON.stringify(event());

function load(url: string, headers: Record<string, string>, amount?: number): Promise<autocannon.Result> {
  const until = amount ? { amount } : { duration: seconds };
  return autocannon({ url, method: 'POST', connections, ...until, headers, body });
}

async function bareServerFloor(): Promise<autocannon.Result> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"jobId":"x","status":"QUEUED"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await load(`http://127.0.0.1:${port}/events`, { 'content-type': 'application/json' });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

async function directCallsFloor(bench: BenchCloud) {
  const e = bench.cloud.endpoints;
  const common = { region: e.region, credentials: localCredentials };
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ ...common, endpoint: e.dynamodbEndpoint }));
  const sqs = new SQSClient({ ...common, endpoint: e.sqsEndpoint });
  // A queue of its own on the same emulator, so the floor's messages do not reach the starter.
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sluice-bench-floor' }));
  const latencies: number[] = [];
  const stopAt = performance.now() + seconds * 1000;
  const tenant = 'bench-direct';
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < stopAt) {
        const started = performance.now();
        const jobId = newJobId();
        await db.send(
          new PutCommand({
            TableName: e.tableName,
            Item: { pk: `BENCH#${tenant}`, sk: `JOB#${jobId}`, status: 'QUEUED' },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        await sqs.send(
          new SendMessageCommand({
            QueueUrl,
            MessageBody: `{"kind":"bench","jobId":"${jobId}","tenant":"${tenant}","events":[${body}]}`,
          }),
        );
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    count: latencies.length,
    rps: Math.round(latencies.length / seconds),
    p50: at(0.5),
    p99: at(0.99),
  };
}

interface JobRow {
  status: string;
  finishedAt: string | null;
}

async function listJobs(bench: BenchCloud): Promise<JobRow[]> {
  const jobs: JobRow[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { items: JobRow[]; nextCursor: string | null } } = await bench.api.get(
      `/jobs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    jobs.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return jobs;
}

/**
 * Waits for the pipeline to go quiet (queue and executions only: listing thousands of jobs every second would
 * load the machine it measures), then reads every job once: how many finished, and when the last one did.
 * `onQuiet` runs when the pipeline first goes quiet, before the listing.
 */
async function drain(bench: BenchCloud, accepted: number, lastResponseAt: number, onQuiet: () => void) {
  const e = bench.cloud.endpoints;
  const sqs = new SQSClient({ region: e.region, credentials: localCredentials, endpoint: e.sqsEndpoint });
  const deadline = Date.now() + 15 * 60_000;
  let jobs: JobRow[];
  await waitForQuiet(bench, sqs, deadline);
  onQuiet();
  for (;;) {
    jobs = await listJobs(bench);
    if (jobs.every((job) => job.finishedAt) || Date.now() > deadline) break;
    await waitForQuiet(bench, sqs, deadline);
  }
  sqs.destroy();
  const finished = jobs.filter((job) => job.finishedAt);
  const failed = finished.filter((job) => job.status === 'FAILED').length;
  const lastFinished = Math.max(...finished.map((job) => Date.parse(job.finishedAt!)));
  // Requests still in flight when a duration-bound autocannon run stops are accepted too, but not in its 2xx count.
  console.log(
    `drain: ${finished.length}/${jobs.length} jobs finished, ${failed} FAILED, ${jobs.length - finished.length} not finished (autocannon counted ${accepted} 2xx)`,
  );
  console.log(
    `       the last job finished ${((lastFinished - lastResponseAt) / 1000).toFixed(1)} s after the last POST's response (goal for 4,000 POSTs: ≤ 10 s)`,
  );
  return jobs.length;
}

type CpuColumn = { name: string; cpu: Record<string, number>; requests: number };

/** CPU ms per request of each part (local/cpu.ts), by the last column, largest first; nothing without /proc. */
function printCpu(title: string, columns: CpuColumn[]): void {
  const perRequest = (column: CpuColumn, label: string) => (column.cpu[label] ?? 0) / column.requests;
  const sortBy = columns.at(-1)!;
  const labels = Object.keys(sortBy.cpu)
    .filter((label) => columns.some((column) => perRequest(column, label) > 0))
    .sort((a, b) => perRequest(sortBy, b) - perRequest(sortBy, a));
  if (labels.length === 0) return;
  const cell = (value: number) => value.toFixed(2).padStart(14);
  const line = (label: string, value: (column: CpuColumn) => number) =>
    console.log(`  ${label.padEnd(38)}${columns.map((column) => cell(value(column))).join('')}`);
  console.log(`${title.padEnd(40)}${columns.map((column) => column.name.padStart(14)).join('')}`);
  for (const label of labels) line(label, (column) => perRequest(column, label));
  line('total', (column) =>
    Object.keys(column.cpu).reduce((sum, label) => sum + perRequest(column, label), 0),
  );
}

async function main(): Promise<void> {
  const extent = requests ? `${requests} requests` : `${seconds} s`;
  console.log(`Sluice API benchmark: ${connections} connections × ${extent}  (node ${process.version})`);
  const bare = await bareServerFloor();
  console.log(row('floor: bare Node HTTP server (202)', Math.round(bare.requests.average), 'req/s'));
  const bench = await startBenchCloud();
  const { cloud } = bench;
  try {
    let cpu = cloud.cpu();
    const direct = await directCallsFloor(bench);
    const floorCpu = cpuSince(cpu, cloud.cpu());
    console.log(row(`floor: direct PutItem+SendMessage`, direct.rps, 'req/s'));
    console.log(`       p50 ${direct.p50} ms  p99 ${direct.p99} ms`);
    cpu = cloud.cpu();
    const result = await load(
      `${cloud.endpoints.apiUrl}/events`,
      { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${bench.api.token}` },
      requests,
    );
    const lastResponseAt = Date.now();
    const loadCpu = cpuSince(cpu, cloud.cpu());
    const rps = Math.round(result.requests.average);
    console.log(row('Sluice POST /events', rps, 'req/s', direct.rps));
    console.log(
      `       p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  non-2xx ${result.non2xx}  errors ${result.errors}`,
    );
    console.log('ratio = Sluice ÷ direct-calls floor (goal ≥ 0.7, p99 ≤ 2 × the floor p99)');
    let quietCpu: Record<string, number> = {};
    const jobs = await drain(
      bench,
      result['2xx'],
      lastResponseAt,
      () => (quietCpu = cpuSince(cpu, cloud.cpu())),
    );
    // Where a submission's CPU goes (the floor: per PutItem+SendMessage pair, its client on the host main thread).
    printCpu('CPU ms per request (this run, /proc)', [
      { name: 'floor', cpu: floorCpu, requests: direct.count },
      { name: 'Sluice: load', cpu: loadCpu, requests: result['2xx'] },
      { name: 'load + drain', cpu: quietCpu, requests: jobs },
    ]);
  } finally {
    await bench.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
