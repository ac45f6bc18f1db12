/**
 * Bulk ingestion: NDJSON uploads of 10k and 100k events, PUT to SUCCEEDED, next to two floors measured in the same
 * run on the same local DynamoDB: raw BatchWriteItem (no dedupe) and conditional PutItem (first write wins, the
 * semantics Sluice needs) at its best concurrency.   Run: npm run bench:bulk  (or npm run bench for all)
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { localCredentials, event } from '../local/client';
import { eventItem, firstWriteWins } from '../shared/aws/stores/events';
import { resolveSettings } from '../cdk/wiring';
import { settingsFromEnvironment } from '../local/cloud';
import type { CloudEvent } from '../shared/cloudevents/types';
import { inFlight, rate, row, startBenchCloud } from './common';

const sizes = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
/** The type shards the local cloud indexes with (SLUICE_TYPESHARDS), so the floor writes the same keys. */
const { typeShards } = resolveSettings(settingsFromEnvironment());

/** Exactly the item the pipeline stores for the i-th event of a benchmark file (same events, same store code). */
function benchItem(tenant: string, i: number) {
  const e = benchEvent(i);
  return eventItem(
    {
      tenant,
      event: e as unknown as CloudEvent,
      serialized: JSON.stringify(e),
      jobId: 'bench',
      idx: i,
      ingestedAt: new Date().toISOString(),
    },
    typeShards,
  );
}

const benchEvent = (i: number) => event({ data: { i } });

async function floors(endpoint: string, region: string, count: number) {
  const raw = new DynamoDBClient({ endpoint, region, credentials: localCredentials });
  const db = DynamoDBDocumentClient.from(raw);
  const TableName = `bench-floor-${randomUUID().slice(0, 8)}`;
  await raw.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  try {
    const batches: Record<string, unknown>[][] = [];
    const items = Array.from({ length: count }, (_, i) => benchItem('floor-batch', i));
    for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
    let started = performance.now();
    await inFlight(batches, 8, async (batch) => {
      let pending = batch.map((Item) => ({ PutRequest: { Item } }));
      while (pending.length) {
        const out = await db.send(new BatchWriteCommand({ RequestItems: { [TableName]: pending } }));
        pending = (out.UnprocessedItems?.[TableName] ?? []) as typeof pending;
      }
    });
    const batchRate = rate(count, performance.now() - started);

    let best = { concurrency: 0, rate: 0 };
    for (const concurrency of [16, 32, 64]) {
      const tenant = `floor-put-${concurrency}`;
      const puts = Array.from({ length: count }, (_, i) => benchItem(tenant, i));
      started = performance.now();
      await inFlight(puts, concurrency, (Item) =>
        db.send(
          new PutCommand({
            TableName,
            Item,
            ...firstWriteWins(Item.jobId, Item.idx),
          }),
        ),
      );
      const r = rate(count, performance.now() - started);
      if (r > best.rate) best = { concurrency, rate: r };
    }
    return { batchRate, conditional: best };
  } finally {
    await raw.send(new DeleteTableCommand({ TableName }));
  }
}

async function main(): Promise<void> {
  const bench = await startBenchCloud();
  const { endpoints } = bench.cloud;
  try {
    console.log(`Sluice bulk benchmark  (node ${process.version}, ${new Date().toISOString()})`);
    const floorCount = Math.min(20_000, Math.max(...sizes));
    const floor = await floors(endpoints.dynamodbEndpoint, endpoints.region, floorCount);
    console.log(row(`floor: BatchWriteItem, 8 in flight (${floorCount})`, floor.batchRate, 'items/s'));
    console.log(
      row(
        `floor: conditional PutItem, ${floor.conditional.concurrency} in flight`,
        floor.conditional.rate,
        'items/s',
      ),
    );
    for (const size of sizes) {
      const body = Array.from({ length: size }, (_, i) => JSON.stringify(benchEvent(i))).join('\n');
      const created = await bench.api.postJson('/uploads', { filename: `bench-${size}.ndjson` });
      const started = performance.now();
      const put = await fetch(created.body.uploadUrl, { method: 'PUT', body });
      if (put.status !== 200) throw new Error(`upload PUT answered ${put.status}`);
      const job = await bench.api.waitForJob(created.body.jobId, 30 * 60_000);
      const ms = performance.now() - started;
      if (job.status !== 'SUCCEEDED' || job.counts.accepted !== size) {
        throw new Error(`job ${job.jobId} ended ${job.status} with ${JSON.stringify(job.counts)}`);
      }
      console.log(
        row(
          `pipeline: ${size} events, PUT → SUCCEEDED (${(ms / 1000).toFixed(1)} s)`,
          rate(size, ms),
          'events/s',
          floor.conditional.rate,
        ),
      );
    }
    console.log('ratio = pipeline ÷ conditional-PutItem floor (goal ≥ 0.7)');
  } finally {
    await bench.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
