/**
 * API throughput: 50 connections posting single CloudEvents for 10 s (autocannon), next to two floors measured in
 * the same run: a bare Node HTTP server answering 202, and a direct script making the calls a single-event
 * submission must make (PutItem of the job, SendMessage of the inline submission: no S3 call) at 50 in flight
 * against the same emulators. Then every accepted job must finish: prints the drain time and any job that did not.
 * Run: npm run bench:api  (BENCH_SECONDS, BENCH_CONNECTIONS to change the load)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { newJobId } from '../shared/jobs/model';
import { event, localCredentials } from '../local/client';
import { row, startBenchCloud, type BenchCloud } from './common';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const body = JSON.stringify(event());

function load(url: string, headers: Record<string, string>): Promise<autocannon.Result> {
  return autocannon({ url, method: 'POST', connections, duration: seconds, headers, body });
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

async function directCallsFloor(bench: BenchCloud): Promise<{ rps: number; p50: number; p99: number }> {
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
  return { rps: Math.round(latencies.length / seconds), p50: at(0.5), p99: at(0.99) };
}

async function drain(bench: BenchCloud, accepted: number): Promise<void> {
  const started = performance.now();
  const deadline = started + 15 * 60_000;
  for (;;) {
    let open = 0;
    let finished = 0;
    let failed = 0;
    let cursor: string | null = null;
    do {
      const page: { body: { items: { status: string }[]; nextCursor: string | null } } = await bench.api.get(
        `/jobs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      for (const job of page.body.items) {
        if (job.status === 'SUCCEEDED') finished++;
        else if (job.status === 'FAILED') {
          finished++;
          failed++;
        } else open++;
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    if (open === 0 || performance.now() > deadline) {
      const secondsTaken = ((performance.now() - started) / 1000).toFixed(1);
      // Requests still in flight when autocannon stops are accepted too, but not in its 2xx count.
      console.log(
        `drain: ${finished}/${finished + open} jobs finished ${secondsTaken} s after the load, ${failed} FAILED, ${open} not finished (autocannon counted ${accepted} 2xx)`,
      );
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function main(): Promise<void> {
  console.log(`Sluice API benchmark: ${connections} connections × ${seconds} s  (node ${process.version})`);
  const bare = await bareServerFloor();
  console.log(row('floor: bare Node HTTP server (202)', Math.round(bare.requests.average), 'req/s'));
  const bench = await startBenchCloud();
  try {
    const direct = await directCallsFloor(bench);
    console.log(row(`floor: direct PutItem+SendMessage`, direct.rps, 'req/s'));
    console.log(`       p50 ${direct.p50} ms  p99 ${direct.p99} ms`);
    const result = await load(`${bench.cloud.endpoints.apiUrl}/events`, {
      'content-type': 'application/cloudevents+json',
      authorization: `Bearer ${bench.api.token}`,
    });
    const rps = Math.round(result.requests.average);
    console.log(row('Sluice POST /events', rps, 'req/s', direct.rps));
    console.log(
      `       p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  non-2xx ${result.non2xx}  errors ${result.errors}`,
    );
    console.log('ratio = Sluice ÷ direct-calls floor (goal ≥ 0.7, p99 ≤ 2 × the floor p99)');
    await drain(bench, result['2xx']);
  } finally {
    await bench.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
