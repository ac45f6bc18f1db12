/**
 * Bulk ingestion: NDJSON uploads of 10k and 100k events, PUT to SUCCEEDED, next to floors measured in the same
 * run on the same local DynamoDB: raw BatchWriteItem (no dedupe; for reference) and conditional PutItem (first
 * write wins, the semantics Sluice needs) at its best concurrency, right before and right after each upload.
 * Run: npm run bench:bulk  (or npm run bench for all)
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

/** A table shaped like the pipeline's (keys and gsi1), on the same local DynamoDB; deleted at the end. */
async function floorTable(endpoint: string, region: string) {
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
  let run = 0;
  return {
    /** Raw BatchWriteItem, 8 in flight: no dedupe, so not a floor Sluice could reach; for reference. */
    async batchWrite(count: number): Promise<number> {
      const tenant = `floor-batch-${run++}`;
      const items = Array.from({ length: count }, (_, i) => benchItem(tenant, i));
      const batches: Record<string, unknown>[][] = [];
      for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
      const started = performance.now();
      await inFlight(batches, 8, async (batch) => {
        let pending = batch.map((Item) => ({ PutRequest: { Item } }));
        while (pending.length) {
          const out = await db.send(new BatchWriteCommand({ RequestItems: { [TableName]: pending } }));
          pending = (out.UnprocessedItems?.[TableName] ?? []) as typeof pending;
        }
      });
      return rate(count, performance.now() - started);
    },
    /** Conditional PutItem (first write wins, the semantics Sluice needs), `concurrency` in flight. */
    async conditionalPut(count: number, concurrency: number): Promise<number> {
      const tenant = `floor-put-${run++}`;
      const puts = Array.from({ length: count }, (_, i) => benchItem(tenant, i));
      const started = performance.now();
      await inFlight(puts, concurrency, (Item) =>
        db.send(new PutCommand({ TableName, Item, ...firstWriteWins(Item.jobId, Item.idx) })),
      );
      return rate(count, performance.now() - started);
    },
    async delete(): Promise<void> {
      await raw.send(new DeleteTableCommand({ TableName }));
      raw.destroy();
    },
  };
}

async function main(): Promise<void> {
  const bench = await startBenchCloud();
  const { endpoints } = bench.cloud;
  const floor = await floorTable(endpoints.dynamodbEndpoint, endpoints.region);
  try {
    console.log(`Sluice bulk benchmark  (node ${process.version}, ${new Date().toISOString()})`);
    console.log(row('floor: BatchWriteItem, 8 in flight (10000)', await floor.batchWrite(10_000), 'items/s'));
    // The floor's best concurrency, on a few items. dynalite slows as its files grow, so each size's floor is then
    // measured right before and right after its upload, on as many items, and averaged.
    let best = { concurrency: 0, rate: 0 };
    for (const concurrency of [16, 32, 64]) {
      const r = await floor.conditionalPut(3_000, concurrency);
      if (r > best.rate) best = { concurrency, rate: r };
    }
    const upload = async (size: number): Promise<number> => {
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
      return ms;
    };
    // The floor's client is warm when measured (the calibration above); the pipeline gets the same: one upload
    // of the first size first, which starts its functions' sandboxes. That cold figure is printed too.
    const coldMs = await upload(sizes[0]!);
    console.log(
      row(
        `pipeline, cold: ${sizes[0]} events (${(coldMs / 1000).toFixed(1)} s)`,
        rate(sizes[0]!, coldMs),
        'events/s',
      ),
    );
    for (const size of sizes) {
      // Right before and right after the upload (on as many items, at most 20,000): both see the same DynamoDB.
      const floorCount = Math.min(size, 20_000);
      const before = await floor.conditionalPut(floorCount, best.concurrency);
      const ms = await upload(size);
      const after = await floor.conditionalPut(floorCount, best.concurrency);
      const floorRate = Math.round((before + after) / 2);
      console.log(
        row(
          `floor: conditional PutItem ×${floorCount}, ${best.concurrency} in flight`,
          floorRate,
          `items/s (before ${before}, after ${after})`,
        ),
      );
      console.log(
        row(
          `pipeline: ${size} events, PUT → SUCCEEDED (${(ms / 1000).toFixed(1)} s)`,
          rate(size, ms),
          'events/s',
          floorRate,
        ),
      );
    }
    console.log('ratio = pipeline (warm) ÷ the conditional-PutItem floor around it (goal ≥ 0.8)');
  } finally {
    await floor.delete();
    await bench.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
