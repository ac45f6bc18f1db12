/**
 * Cost per million events, metered: three shapes against a fresh local cloud, each on a reset meter
 * (local/meter), priced with bench/prices.json (bench/cost-model.ts), plus the hottest partition-key values and
 * the design ceilings that follow from documented quotas.
 *   npm run bench:cost            (BENCH_SINGLE=2000, BENCH_BATCHES=10, BENCH_BATCH_SIZE=10000, BENCH_UPLOAD=100000)
 *   npm run bench:cost -- --json  (one JSON object)
 * The benchmark watches the pipeline through the SQS queue's attributes and the meter itself, and checks every
 * job's status after each shape's counts are taken, so its own polling is not in the figures.
 */
import { resolve } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { event, localCredentials } from '../local/client';
import type { MeterSnapshot } from '../local/meter/meter';
import { inFlight, startBenchCloud, waitForQuiet, type BenchCloud } from './common';
import {
  ceilings,
  hottestKeys,
  loadPrices,
  perMillion,
  priceSnapshot,
  shards,
  withoutBenchTraffic,
  type CostBreakdown,
} from './cost-model';

const json = process.argv.includes('--json');
const repoRoot = resolve(import.meta.dirname, '..');
const singleCount = Number(process.env.BENCH_SINGLE ?? 2000);
const batches = Number(process.env.BENCH_BATCHES ?? 10);
const batchSize = Number(process.env.BENCH_BATCH_SIZE ?? 10_000);
const uploadSize = Number(process.env.BENCH_UPLOAD ?? 100_000);
const say = (line = '') => {
  if (!json) console.log(line);
};

/** A realistic ~300-byte CloudEvent. */
const benchEvent = (i: number) =>
  event({
    source: 'urn:sluice:bench',
    type: 'com.example.order.created',
    data: { orderId: `order-${i}`, amount: i % 1000, currency: 'EUR', note: 'x'.repeat(40) },
  });

interface ShapeResult {
  name: string;
  events: number;
  submissions: number;
  jobs: { succeeded: number; failed: number; open: number };
  seconds: number;
  snapshot: MeterSnapshot;
  cost: CostBreakdown;
}

async function statuses(bench: BenchCloud, jobIds: Set<string>) {
  const counts = { succeeded: 0, failed: 0, open: 0 };
  let cursor: string | null = null;
  const seen = new Set<string>();
  do {
    const page: { body: { items: { jobId: string; status: string }[]; nextCursor: string | null } } =
      await bench.api.get(`/jobs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const job of page.body.items) {
      if (!jobIds.has(job.jobId) || seen.has(job.jobId)) continue;
      seen.add(job.jobId);
      if (job.status === 'SUCCEEDED') counts.succeeded++;
      else if (job.status === 'FAILED') counts.failed++;
      else counts.open++;
    }
    cursor = page.body.nextCursor;
  } while (cursor);
  counts.open += jobIds.size - seen.size;
  return counts;
}

async function shape(
  bench: BenchCloud,
  sqs: SQSClient,
  name: string,
  events: number,
  submit: () => Promise<string[]>,
): Promise<ShapeResult> {
  await bench.cloud.meter.reset();
  const started = performance.now();
  const jobIds = new Set(await submit());
  const deadline = Date.now() + 30 * 60_000;
  let snapshot: MeterSnapshot;
  let jobs: ShapeResult['jobs'];
  for (;;) {
    await waitForQuiet(bench, sqs, deadline);
    snapshot = withoutBenchTraffic(await bench.cloud.meter.snapshot());
    jobs = await statuses(bench, jobIds);
    if (jobs.open === 0 || Date.now() > deadline) break;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    name,
    events,
    submissions: jobIds.size,
    jobs,
    seconds,
    snapshot,
    cost: priceSnapshot(snapshot, loadPrices(repoRoot)),
  };
}

async function single(bench: BenchCloud): Promise<string[]> {
  const jobIds: string[] = [];
  await inFlight(
    Array.from({ length: singleCount }, (_, i) => i),
    50,
    async (i) => {
      const response = await bench.api.postJson('/events', benchEvent(i), 'application/cloudevents+json');
      if (response.status !== 202) throw new Error(`POST /events answered ${response.status}`);
      jobIds.push(response.body.jobId);
    },
  );
  return jobIds;
}

async function batched(bench: BenchCloud): Promise<string[]> {
  const jobIds: string[] = [];
  for (let b = 0; b < batches; b++) {
    const body = Array.from({ length: batchSize }, (_, i) => benchEvent(b * batchSize + i));
    const response = await bench.api.postJson('/events', body, 'application/cloudevents-batch+json');
    if (response.status !== 202) throw new Error(`POST /events (batch) answered ${response.status}`);
    jobIds.push(response.body.jobId);
  }
  return jobIds;
}

async function upload(bench: BenchCloud): Promise<string[]> {
  const body = Array.from({ length: uploadSize }, (_, i) => JSON.stringify(benchEvent(i))).join('\n');
  const created = await bench.api.postJson('/uploads', { filename: `cost-${uploadSize}.ndjson` });
  const put = await fetch(created.body.uploadUrl, { method: 'PUT', body });
  if (put.status !== 200) throw new Error(`upload PUT answered ${put.status}`);
  return [created.body.jobId];
}

const usd = (value: number) => `$${value.toFixed(value >= 1 ? 2 : 4)}`;

function report(result: ShapeResult): void {
  const { snapshot, cost, events } = result;
  say(
    `\n## ${result.name}: ${events.toLocaleString('en-US')} events in ${result.submissions} submission(s), ${result.seconds.toFixed(0)} s`,
  );
  say(`jobs: ${result.jobs.succeeded} SUCCEEDED, ${result.jobs.failed} FAILED, ${result.jobs.open} open`);
  say('counted units:');
  for (const [service, ops] of Object.entries(snapshot.requests).sort())
    say(
      `  ${service}: ${Object.entries(ops)
        .map(([op, c]) => `${op} ${c.requests}${c.units !== c.requests ? ` (${c.units} units)` : ''}`)
        .join(', ')}`,
    );
  const d = snapshot.dynamodb;
  say(
    `  dynamodb capacity: WRU ${JSON.stringify(d.writeUnits)}, RRU ${JSON.stringify(d.readUnits)}, failed conditional writes ${d.failedConditionalWrites}`,
  );
  for (const [name, c] of Object.entries(snapshot.lambda).sort())
    say(
      `  lambda ${name}: ${c.invocations} invocations at ${c.memoryMb} MB, ${c.billedMs} ms billed (+${c.initMs} ms init in ${c.inits}), logs ${c.logEvents} events / ${c.logBytes} B`,
    );
  const sfn = snapshot.stepFunctions;
  say(
    `  stepfunctions: ${sfn.executionsStarted} executions, ${sfn.transitions} transitions, ${sfn.historyEvents} history events, logs ${sfn.logEvents} events / ${sfn.logBytes} B`,
  );
  say(
    `  ${Object.entries(cost.units)
      .map(([k, v]) => `${k} ${Math.round(v * 100) / 100}`)
      .join(', ')}`,
  );
  say('cost per million events:');
  for (const [service, value] of Object.entries(cost.usd))
    say(`  ${service.padEnd(16)} ${usd(perMillion(value, events))}`);
  say(`  ${'total'.padEnd(16)} ${usd(perMillion(cost.total, events))}`);
  say('hottest partition-key value (share of write units):');
  for (const hot of hottestKeys(snapshot))
    say(
      `  ${hot.space}: ${(hot.share * 100).toFixed(1)}% on ${hot.key.slice(0, 80)} (${hot.units} of ${d.writesByKey[hot.space]!.units} WRU, ${hot.distinctKeys} distinct values)`,
    );
  if (result.name === 'single') {
    const perThousand = (n: number) => ((n / result.submissions) * 1000).toFixed(1);
    const s3Writes = ['PutObject', 'CopyObject', 'CompleteMultipartUpload'].reduce(
      (n, op) => n + (snapshot.requests.s3?.[op]?.requests ?? 0),
      0,
    );
    say(
      `per 1,000 single-event submissions: ${perThousand(sfn.executionsStarted)} executions started, ${perThousand(s3Writes)} S3 objects written`,
    );
  }
}

async function main(): Promise<void> {
  say(
    `Sluice cost benchmark (node ${process.version}, ${new Date().toISOString()}); prices: bench/prices.json (us-east-1)`,
  );
  say(
    "Lambda durations are this machine's (the local runtime times each invocation); AWS Graviton durations differ.",
  );
  const bench = await startBenchCloud();
  const sqs = new SQSClient({
    endpoint: bench.cloud.endpoints.sqsEndpoint,
    region: bench.cloud.endpoints.region,
    credentials: localCredentials,
  });
  try {
    const results = {
      single: await shape(bench, sqs, 'single', singleCount, () => single(bench)),
      batched: await shape(bench, sqs, 'batched', batches * batchSize, () => batched(bench)),
      upload: await shape(bench, sqs, 'upload', uploadSize, () => upload(bench)),
    };
    for (const result of Object.values(results)) report(result);
    const limits = ceilings(
      { snapshot: results.single.snapshot, submissions: results.single.submissions },
      { snapshot: results.batched.snapshot, events: results.batched.events },
    );
    say(
      `\n## design ceilings (jobShards ${shards.job}, typeShards ${shards.type}; documented default quotas)`,
    );
    for (const [name, ceiling] of Object.entries(limits)) {
      say(`${name}: ${ceiling.value.toLocaleString('en-US')}/s, bound by ${ceiling.binding}`);
      for (const line of ceiling.arithmetic) say(`    ${line}`);
    }
    if (json) {
      const shapes = Object.fromEntries(
        Object.entries(results).map(([name, r]) => [
          name,
          {
            events: r.events,
            submissions: r.submissions,
            jobs: r.jobs,
            seconds: Math.round(r.seconds),
            usdPerMillionEvents: Number(perMillion(r.cost.total, r.events).toFixed(4)),
            usdPerMillionEventsByService: Object.fromEntries(
              Object.entries(r.cost.usd).map(([k, v]) => [k, Number(perMillion(v, r.events).toFixed(4))]),
            ),
            units: r.cost.units,
            hottestKeys: hottestKeys(r.snapshot),
            executionsPerThousandSubmissions:
              (r.snapshot.stepFunctions.executionsStarted / r.submissions) * 1000,
            s3ObjectsWrittenPerThousandSubmissions:
              (['PutObject', 'CopyObject', 'CompleteMultipartUpload'].reduce(
                (n, op) => n + (r.snapshot.requests.s3?.[op]?.requests ?? 0),
                0,
              ) /
                r.submissions) *
              1000,
            meter: r.snapshot,
          },
        ]),
      );
      console.log(
        JSON.stringify({
          shapes,
          ceilings: {
            tenantTypeEventsPerSecond: limits.tenantTypeEventsPerSecond.value,
            tenantSingleSubmissionsPerSecond: limits.tenantSingleSubmissionsPerSecond.value,
            accountSingleSubmissionsPerSecond: limits.accountSingleSubmissionsPerSecond.value,
            detail: limits,
          },
        }),
      );
    }
  } finally {
    sqs.destroy();
    await bench.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
