import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { startS3, type S3Service } from '../../local/services/s3';
import { startSqs, type QueueSettings, type SqsService } from '../../local/services/sqs';
import { encodeS3EventKey } from '../../local/services/s3-notifications';
import { localCredentials } from '../../local/services/credentials';

const region = 'us-east-1';
const any = { port: 0, fixed: false };
const queueSettings: QueueSettings = {
  name: 'ingest',
  deadLetterName: 'ingest-dlq',
  visibilityTimeoutSeconds: 1,
  maxReceiveCount: 2,
  retentionSeconds: 3600,
  deadLetterRetentionSeconds: 3600,
};

let dataDir: string;
let sqsService: SqsService;
let s3Service: S3Service;

const startQueue = () =>
  startSqs({ dir: join(dataDir, 'sqs'), port: any, region, accountId: '000000000000', queue: queueSettings });
const startBucket = (sqs: SqsService) =>
  startS3({
    dir: join(dataDir, 's3'),
    port: any,
    region,
    bucket: 'sluice-local',
    notifications: {
      prefix: 'uploads/',
      destinationArn: sqs.queueArn,
      configurationId: 'sluice-uploads',
      deliver: sqs.deliver,
    },
    log: () => undefined,
  });
const sqsClient = () =>
  new SQSClient({ endpoint: sqsService.endpoint, region, credentials: localCredentials });

/** Receives until `want` distinct messages whose body passes `match` arrived (others are left to time out). */
async function receiveAll(
  queueUrl: string,
  want: number,
  waitMs = 5_000,
  match: (body: string) => boolean = () => true,
): Promise<Message[]> {
  const messages = new Map<string, Message>();
  const deadline = Date.now() + waitMs;
  while (messages.size < want && Date.now() < deadline) {
    const { Messages = [] } = await sqsClient().send(
      // Short polls: local-aws-sqs may return a message twice from a long poll longer than its visibility timeout.
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        AttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    for (const message of Messages) {
      if (match(message.Body ?? '') && !messages.has(message.MessageId!))
        messages.set(message.MessageId!, message);
    }
  }
  return [...messages.values()];
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sluice-s3-sqs-'));
  sqsService = await startQueue();
  s3Service = await startBucket(sqsService);
});

afterAll(async () => {
  await s3Service?.stop();
  await sqsService?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('S3 event notifications to SQS', () => {
  it('sends s3:TestEvent once, then the exact notification for objects under the prefix only', async () => {
    const s3 = new S3Client({
      endpoint: s3Service.endpoint,
      region,
      credentials: localCredentials,
      forcePathStyle: true,
    });
    await s3.send(
      new PutObjectCommand({ Bucket: 'sluice-local', Key: 'web/index.html', Body: '<html></html>' }),
    );
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'sluice-local',
        Key: 'uploads/t1/job 1/my file=(1).json',
        Body: '[1,2,3]',
      }),
    );
    const messages = await receiveAll(sqsService.queueUrl, 3, 2_500);
    expect(messages).toHaveLength(2); // nothing for web/index.html
    const [test, created] = messages.map((message) => JSON.parse(message.Body!));

    expect(test).toEqual({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      Bucket: 'sluice-local',
      RequestId: expect.stringMatching(/^[0-9A-F]{16}$/),
      HostId: expect.any(String),
    });
    expect(created.Records).toHaveLength(1);
    expect(created.Records[0]).toEqual({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: region,
      eventTime: expect.stringMatching(/Z$/),
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: expect.stringMatching(/^AWS:/) },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': expect.any(String), 'x-amz-id-2': expect.any(String) },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'sluice-uploads',
        bucket: {
          name: 'sluice-local',
          ownerIdentity: { principalId: expect.any(String) },
          arn: 'arn:aws:s3:::sluice-local',
        },
        object: {
          key: 'uploads/t1/job+1/my+file%3D%281%29.json',
          size: 7,
          eTag: put.ETag!.replace(/"/g, ''),
          sequencer: expect.stringMatching(/^[0-9A-F]{18}$/),
        },
      },
    });
  });

  it('has journaled the notification when the PUT is answered (s3rver runs in a child process)', async () => {
    const s3 = new S3Client({
      endpoint: s3Service.endpoint,
      region,
      credentials: localCredentials,
      forcePathStyle: true,
    });
    const keys = Array.from({ length: 20 }, (_, i) => `uploads/t1/burst/${i}.json`);
    await Promise.all(
      keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: 'sluice-local', Key, Body: '{}' }))),
    );
    // Read right after the last answer: every object's notification is already on disk.
    const journal = readFileSync(join(dataDir, 'sqs', 'journal.ndjson'), 'utf8');
    for (const key of keys) expect(journal).toContain(encodeS3EventKey(key));
    expect(s3Service.pid).not.toBe(process.pid);
    const messages = await receiveAll(sqsService.queueUrl, keys.length, 5_000, (body) =>
      body.includes('/burst/'),
    );
    expect(messages).toHaveLength(keys.length);
    for (const message of messages)
      await sqsClient().send(
        new DeleteMessageCommand({ QueueUrl: sqsService.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
  });

  it('stops its child process on stop()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-s3-child-'));
    try {
      const service = await startS3({
        dir,
        port: any,
        region,
        bucket: 'sluice-local',
        notifications: { prefix: 'uploads/', destinationArn: 'arn', configurationId: 'c', deliver: () => {} },
        log: () => undefined,
      });
      expect(() => process.kill(service.pid, 0)).not.toThrow();
      await service.stop();
      expect(() => process.kill(service.pid, 0)).toThrow(/ESRCH/);
      await expect(fetch(service.endpoint)).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('encodes keys as S3 does and they decode back', () => {
    const key = "uploads/a b/c+d/e~f!'g.json";
    const encoded = encodeS3EventKey(key);
    expect(encoded).toBe('uploads/a+b/c%2Bd/e%7Ef%21%27g.json');
    expect(decodeURIComponent(encoded.replace(/\+/g, ' '))).toBe(key);
  });
});

describe('SQS durability and redrive', () => {
  it('moves a message to the DLQ after maxReceiveCount receives', async () => {
    const sqs = sqsClient();
    await sqs.send(new SendMessageCommand({ QueueUrl: sqsService.queueUrl, MessageBody: 'poison' }));
    const poison = (body: string) => body === 'poison';
    const first = await receiveAll(sqsService.queueUrl, 1, 3_000, poison);
    expect(first[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    const second = await receiveAll(sqsService.queueUrl, 1, 3_000, poison);
    expect(second[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    const dead = await receiveAll(sqsService.deadLetterQueueUrl, 1, 4_000, poison);
    expect(dead.map((message) => message.Body)).toEqual(['poison']);
    expect(dead[0]!.MessageId).toBe(first[0]!.MessageId);
  });

  it('keeps accepted messages (not deleted ones) across a restart, with ids and sent times', async () => {
    const sqs = sqsClient();
    const kept = await sqs.send(
      new SendMessageCommand({ QueueUrl: sqsService.queueUrl, MessageBody: 'kept' }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: sqsService.queueUrl, MessageBody: 'deleted' }));
    const [a, b] = await receiveAll(
      sqsService.queueUrl,
      2,
      5_000,
      (body) => body === 'kept' || body === 'deleted',
    );
    const toDelete = [a, b].find((message) => message?.Body === 'deleted')!;
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: sqsService.queueUrl, ReceiptHandle: toDelete.ReceiptHandle }),
    );
    const sentTimestamp = [a, b].find((message) => message?.Body === 'kept')!.Attributes!.SentTimestamp;

    await s3Service.stop();
    await sqsService.stop();
    sqsService = await startQueue();
    s3Service = await startBucket(sqsService);
    const main = await receiveAll(
      sqsService.queueUrl,
      1,
      3_000,
      (body) => body === 'kept' || body === 'deleted',
    );
    expect(main.map((message) => message.Body)).toEqual(['kept']);
    expect(main[0]!.MessageId).toBe(kept.MessageId);
    expect(main[0]!.Attributes!.SentTimestamp).toBe(sentTimestamp);
    expect(Number(main[0]!.Attributes!.ApproximateReceiveCount)).toBeGreaterThanOrEqual(2);
    const dead = await receiveAll(sqsService.deadLetterQueueUrl, 1, 3_000, (body) => body === 'poison');
    expect(dead.map((message) => message.Body)).toEqual(['poison']);
  });
});
