import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { startSqsPoller, type SqsPoller } from '../../local/poller/sqs-poller';
import { messagesToDelete } from '../../local/poller/sqs-event';
import { startSqs, type SqsService } from '../../local/services/sqs';
import { localCredentials } from '../../local/services/credentials';

const region = 'us-east-1';
let dataDir: string;
let sqsService: SqsService;
let poller: SqsPoller;
const deliveries: { body: string; receiveCount: string }[] = [];
const events: SQSEvent[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sluice-poller-'));
  sqsService = await startSqs({
    dir: dataDir,
    port: { port: 0, fixed: false },
    region,
    accountId: '000000000000',
    queue: {
      name: 'ingest',
      deadLetterName: 'ingest-dlq',
      visibilityTimeoutSeconds: 1,
      maxReceiveCount: 2,
      retentionSeconds: 3600,
      deadLetterRetentionSeconds: 3600,
    },
  });
  // The stand-in consumer: reports "fail-*" messages as failures, throws for a batch holding "crash".
  poller = startSqsPoller({
    sqsEndpoint: sqsService.endpoint,
    region,
    queueUrl: sqsService.queueUrl,
    queueArn: sqsService.queueArn,
    batchSize: 10,
    maxBatchingWindowSeconds: 0.2,
    visibilityTimeoutSeconds: 1,
    pollers: 2,
    invoke: async (event) => {
      const sqsEvent = event as SQSEvent;
      events.push(sqsEvent);
      for (const record of sqsEvent.Records) {
        deliveries.push({ body: record.body, receiveCount: record.attributes.ApproximateReceiveCount });
      }
      if (sqsEvent.Records.some((record) => record.body === 'crash')) throw new Error('consumer crashed');
      return {
        batchItemFailures: sqsEvent.Records.filter((record) => record.body.startsWith('fail')).map(
          (record) => ({
            itemIdentifier: record.messageId,
          }),
        ),
      };
    },
  });
});

afterAll(async () => {
  await poller?.stop();
  await sqsService?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const countOf = (body: string) => deliveries.filter((delivery) => delivery.body === body).length;

async function until(predicate: () => boolean, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('SQS event source mapping', () => {
  it('deletes successes, redelivers partial failures until the redrive moves them to the DLQ', async () => {
    const sqs = new SQSClient({ endpoint: sqsService.endpoint, region, credentials: localCredentials });
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: sqsService.queueUrl,
        Entries: ['ok-1', 'fail-2', 'ok-3'].map((body, i) => ({
          Id: String(i),
          MessageBody: body,
          MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } },
        })),
      }),
    );
    await until(() => countOf('fail-2') >= 2);

    const record = events[0]!.Records[0]!;
    expect(record).toMatchObject({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:ingest',
      awsRegion: region,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d+$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
      },
      messageAttributes: {
        kind: { dataType: 'String', stringValue: 'test', stringListValues: [], binaryListValues: [] },
      },
    });

    const dead: string[] = [];
    const deadline = Date.now() + 6_000;
    while (dead.length === 0 && Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: sqsService.deadLetterQueueUrl }),
      );
      dead.push(...Messages.map((message) => message.Body!));
      if (Messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(dead).toEqual(['fail-2']);
    expect(countOf('ok-1')).toBe(1);
    expect(countOf('ok-3')).toBe(1);
    expect(countOf('fail-2')).toBe(2);
    expect(deliveries.filter((d) => d.body === 'fail-2').map((d) => d.receiveCount)).toEqual(['1', '2']);
  });

  it('fails the whole batch when the function throws: nothing is deleted, all come back', async () => {
    const sqs = new SQSClient({ endpoint: sqsService.endpoint, region, credentials: localCredentials });
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: sqsService.queueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'crash' },
          { Id: 'b', MessageBody: 'ok-with-crash' },
        ],
      }),
    );
    await until(() => countOf('crash') >= 2);
    // Delivered together, so the healthy message shared the batch's fate.
    expect(countOf('ok-with-crash')).toBeGreaterThanOrEqual(2);
  });
});

describe('batches above 10 messages (MaximumBatchingWindowInSeconds)', () => {
  // A fresh queue service per test: a stopped poller's long poll can linger on the emulator's side and take
  // the next test's messages.
  let bigDir: string;
  let queue: SqsService;
  let sqs: SQSClient;
  beforeEach(async () => {
    bigDir = mkdtempSync(join(tmpdir(), 'sluice-poller-big-'));
    queue = await startSqs({
      dir: bigDir,
      port: { port: 0, fixed: false },
      region,
      accountId: '000000000000',
      queue: {
        name: 'big',
        deadLetterName: 'big-dlq',
        visibilityTimeoutSeconds: 30,
        maxReceiveCount: 2,
        retentionSeconds: 3600,
        deadLetterRetentionSeconds: 3600,
      },
    });
    sqs = new SQSClient({ endpoint: queue.endpoint, region, credentials: localCredentials });
  });
  afterEach(async () => {
    sqs?.destroy();
    await queue?.stop();
    rmSync(bigDir, { recursive: true, force: true });
  });

  async function send(bodies: string[]): Promise<void> {
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.queueUrl,
          Entries: bodies.slice(i, i + 10).map((body, n) => ({ Id: String(n), MessageBody: body })),
        }),
      );
    }
  }

  /** Starts a poller on the queued messages, waits until `expected` deliveries, stops it. */
  async function consume(
    options: { batchSize: number; maxBatchingWindowSeconds: number; maxBatchBytes?: number },
    expected: number,
  ): Promise<SQSEvent[]> {
    const seen: SQSEvent[] = [];
    const big = startSqsPoller({
      sqsEndpoint: queue.endpoint,
      region,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      visibilityTimeoutSeconds: 30,
      pollers: 1,
      ...options,
      invoke: async (event) => {
        seen.push(event as SQSEvent);
        return { batchItemFailures: [] };
      },
    });
    try {
      await until(() => seen.reduce((n, e) => n + e.Records.length, 0) >= expected, 20_000);
    } finally {
      await big.stop();
    }
    return seen;
  }

  it('gathers receives of 10 into one invocation of up to batchSize messages', async () => {
    const bodies = Array.from({ length: 25 }, (_, i) => `big-${i}`);
    await send(bodies);
    const seen = await consume({ batchSize: 25, maxBatchingWindowSeconds: 10 }, 25);
    expect(seen).toHaveLength(1); // batchSize reached: invoked without waiting out the window
    expect(seen[0]!.Records.map((r) => r.body).sort()).toEqual([...bodies].sort());
  });

  it('invokes with fewer messages once the batching window has passed', async () => {
    await send(['w-1', 'w-2', 'w-3']);
    const seen = await consume({ batchSize: 1_000, maxBatchingWindowSeconds: 0.5 }, 3);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.Records.map((r) => r.body).sort()).toEqual(['w-1', 'w-2', 'w-3']);
  });

  it('keeps each event within the payload limit, carrying the rest to the next batch', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => `${i}`.padStart(1_000, 'p'));
    await send(bodies);
    const maxBatchBytes = 5_000;
    const seen = await consume({ batchSize: 100, maxBatchingWindowSeconds: 0.5, maxBatchBytes }, 12);
    expect(seen.length).toBeGreaterThan(3);
    for (const event of seen) {
      expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThanOrEqual(maxBatchBytes);
      expect(event.Records.length).toBeGreaterThan(1);
    }
    const delivered = seen.flatMap((e) => e.Records.map((r) => r.body));
    expect(delivered.sort()).toEqual([...bodies].sort()); // each exactly once
  });
});

describe('partial batch responses', () => {
  const messages = [{ MessageId: 'a' }, { MessageId: 'b' }, { MessageId: 'c' }];
  it('deletes everything not reported, and nothing for an unreadable report', () => {
    expect(messagesToDelete(messages, null).map((m) => m.MessageId)).toEqual(['a', 'b', 'c']);
    expect(messagesToDelete(messages, { batchItemFailures: [] }).map((m) => m.MessageId)).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(
      messagesToDelete(messages, { batchItemFailures: [{ itemIdentifier: 'b' }] }).map((m) => m.MessageId),
    ).toEqual(['a', 'c']);
    expect(messagesToDelete(messages, { batchItemFailures: [{ itemIdentifier: 'zzz' }] })).toEqual([]);
    expect(messagesToDelete(messages, { batchItemFailures: [{ itemIdentifier: '' }] })).toEqual([]);
  });
});
