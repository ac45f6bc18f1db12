/**
 * SQS: local-aws-sqs (the SQS JSON and query protocols) with the ingest queue and its dead-letter queue
 * (redrive after maxReceiveCount receives), made durable across restarts by the journal in sqs-journal.ts.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createRequestHandler } from 'local-aws-sqs';
import { closeServer, host, listen } from './network';
import { SqsJournal, type JournaledQueue } from './sqs-journal';
import type { Meter } from '../meter/meter';
import { meterSqs, messagePayloadBytes } from '../meter/sqs';
import { sqsRequestUnits } from '../meter/units';

export interface QueueSettings {
  name: string;
  deadLetterName: string;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  retentionSeconds: number;
  deadLetterRetentionSeconds: number;
}

export interface SqsService {
  endpoint: string;
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  /** Messages put back from the journal at start. */
  restored: number;
  /** Sends a message to the ingest queue in-process (how S3 delivers its notifications), durably. */
  deliver(body: string): void;
  stop(): Promise<void>;
}

interface ReceivingQueue {
  ReceiveMessageWaitTimeSeconds: number;
  receive(params: { WaitTimeSeconds?: number | string; [name: string]: unknown }): Promise<unknown[]>;
}

/**
 * SQS long polling returns as soon as any message is available; local-aws-sqs waits for a full batch (or the
 * whole wait time). Each round here is a short poll (it gathers for 40 ms).
 */
function answerLongPollsEarly(queue: ReceivingQueue, closed: () => boolean): void {
  const receive = queue.receive.bind(queue);
  queue.receive = async (params) => {
    const waitSeconds = Number(params.WaitTimeSeconds ?? queue.ReceiveMessageWaitTimeSeconds) || 0;
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const records = await receive({ ...params, WaitTimeSeconds: 0 });
      if (records.length > 0 || Date.now() >= deadline || closed()) return records;
    }
  };
}

export async function startSqs(opts: {
  dir: string;
  port: { port: number; fixed: boolean };
  region: string;
  accountId: string;
  queue: QueueSettings;
  meter?: Meter;
}): Promise<SqsService> {
  mkdirSync(opts.dir, { recursive: true });
  const { queue } = opts;
  const arn = (name: string) => `arn:aws:sqs:${opts.region}:${opts.accountId}:${name}`;
  const { service, requestHandler } = createRequestHandler({
    port: 0,
    hostname: host,
    region: opts.region,
    accountId: opts.accountId,
    emulateQueueCreationLifecycle: false,
    queues: [
      {
        QueueName: queue.deadLetterName,
        Attributes: { MessageRetentionPeriod: queue.deadLetterRetentionSeconds },
      },
      {
        QueueName: queue.name,
        Attributes: {
          VisibilityTimeout: queue.visibilityTimeoutSeconds,
          MessageRetentionPeriod: queue.retentionSeconds,
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: arn(queue.deadLetterName),
            maxReceiveCount: queue.maxReceiveCount,
          }),
        },
      },
    ],
  });
  const journal = new SqsJournal(join(opts.dir, 'journal.ndjson'));
  const queues = service.Queues as unknown as (JournaledQueue & ReceivingQueue)[];
  const restored = journal.attach(queues);
  let closed = false;
  for (const candidate of queues) answerLongPollsEarly(candidate, () => closed);

  const server = createServer((req, res) => void requestHandler(req, res));
  if (opts.meter) meterSqs(server, opts.meter);
  const port = await listen(server, opts.port);
  service.PORT = port; // queue URLs are built from it
  const main = queues.find((candidate) => candidate.QueueName === queue.name)!;
  const urlOf = (name: string) => service.Queues.find((candidate) => candidate.QueueName === name)!.QueueUrl;

  return {
    endpoint: `http://${host}:${port}`,
    queueUrl: urlOf(queue.name),
    queueArn: arn(queue.name),
    deadLetterQueueUrl: urlOf(queue.deadLetterName),
    restored,
    deliver: (body) => {
      // S3's event notifications are SendMessage requests to the queue, billed to its owner.
      opts.meter?.count(
        'sqs',
        'SendMessage (S3 notification)',
        sqsRequestUnits(messagePayloadBytes({ MessageBody: body })),
      );
      void main.setRecord({ MessageBody: body });
    },
    async stop() {
      closed = true;
      await closeServer(server);
      journal.close();
      for (const candidate of service.Queues) candidate.clearRecords(); // cancels its timers
    },
  };
}
