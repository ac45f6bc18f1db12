/**
 * The SQS event source mapping: a few pollers long-poll the queue, gather a batch as Lambda does (receives of at
 * most 10 messages, SQS's own limit, until the batch holds `batchSize` messages, the batching window has passed
 * since the first one arrived, or the event would pass Lambda's 6 MB invocation payload; a message that would
 * not fit opens the poller's next batch), invoke the function once with the Lambda SQS event and delete the
 * messages it did not report in `batchItemFailures`. A failed invocation (error, timeout) deletes nothing: the
 * messages come back after the visibility timeout and, after maxReceiveCount receives, the queue's redrive
 * policy moves them to the dead-letter queue.
 */
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { localCredentials } from '../services/credentials';
import { messagesToDelete, sqsEvent } from './sqs-event';

/** SQS returns at most 10 messages per ReceiveMessage. */
const MAX_RECEIVE = 10;
const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** `{"Records":[]}` */
const EVENT_ENVELOPE_BYTES = 14;

export interface SqsPollerOptions {
  sqsEndpoint: string;
  region: string;
  queueUrl: string;
  queueArn: string;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  visibilityTimeoutSeconds: number;
  /** Concurrent pollers (each runs one batch at a time). */
  pollers?: number;
  /** Largest event handed to the function, in bytes of JSON (Lambda's synchronous payload limit: 6 MB). */
  maxBatchBytes?: number;
  invoke(event: unknown): Promise<unknown>;
  log?: (line: string) => void;
}

export interface SqsPoller {
  stop(): Promise<void>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });

export function startSqsPoller(options: SqsPollerOptions): SqsPoller {
  const log = options.log ?? (() => undefined);
  const sqs = new SQSClient({
    endpoint: options.sqsEndpoint,
    region: options.region,
    credentials: localCredentials,
  });
  const abort = new AbortController();
  const { signal } = abort;
  // Polls shorter than the visibility timeout: a message must not come back within one poll.
  const longPollSeconds = Math.max(0, Math.min(20, options.visibilityTimeoutSeconds - 1));

  async function receive(max: number, waitSeconds: number): Promise<Message[]> {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: signal },
    );
    return Messages;
  }

  const maxBatchBytes = options.maxBatchBytes ?? LAMBDA_PAYLOAD_BYTES;
  /** A message's share of the event: its record's JSON and a comma. */
  const recordBytes = (message: Message) =>
    Buffer.byteLength(JSON.stringify(sqsEvent([message], options.queueArn, options.region).Records[0])) + 1;

  /** One batch, and what was received but did not fit it (the start of this poller's next batch). */
  async function collectBatch(carried: Message[]): Promise<{ batch: Message[]; carry: Message[] }> {
    const batch = new Map<string, Message>();
    const carry: Message[] = [];
    let bytes = EVENT_ENVELOPE_BYTES;
    const add = (messages: Message[]) => {
      for (const message of messages) {
        // Received again within the window (its visibility ran out): keep the newest copy, whose receipt
        // handle and receive count are the current ones.
        if (batch.has(message.MessageId!)) {
          batch.set(message.MessageId!, message);
          continue;
        }
        const size = recordBytes(message);
        if (
          carry.length > 0 ||
          batch.size >= options.batchSize ||
          (batch.size > 0 && bytes + size > maxBatchBytes)
        ) {
          carry.push(message);
          continue;
        }
        batch.set(message.MessageId!, message);
        bytes += size;
      }
    };
    add(carried);
    if (batch.size === 0) {
      add(await receive(Math.min(MAX_RECEIVE, options.batchSize), longPollSeconds));
      if (batch.size === 0) {
        if (longPollSeconds === 0) await sleep(200, signal);
        return { batch: [], carry: [] };
      }
    }
    const windowEnds = Date.now() + options.maxBatchingWindowSeconds * 1000;
    while (
      batch.size < options.batchSize &&
      carry.length === 0 &&
      Date.now() < windowEnds &&
      !signal.aborted
    ) {
      const more = await receive(Math.min(MAX_RECEIVE, options.batchSize - batch.size), 0);
      if (more.length === 0) await sleep(Math.min(100, windowEnds - Date.now()), signal);
      add(more);
    }
    return { batch: [...batch.values()], carry };
  }

  async function deleteMessages(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages
        .slice(i, i + 10)
        .map((message, n) => ({ Id: String(n), ReceiptHandle: message.ReceiptHandle! }));
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: entries }));
    }
  }

  async function poll(): Promise<void> {
    let carry: Message[] = [];
    while (!signal.aborted) {
      try {
        const collected = await collectBatch(carry);
        carry = collected.carry;
        const { batch } = collected;
        if (batch.length === 0) continue;
        let result: unknown;
        try {
          result = await options.invoke(sqsEvent(batch, options.queueArn, options.region));
        } catch (error) {
          log(
            `[sqs-poller] batch of ${batch.length} failed, messages return after the visibility timeout: ${String(error)}`,
          );
          continue;
        }
        await deleteMessages(messagesToDelete(batch, result));
      } catch (error) {
        if (signal.aborted) return;
        log(`[sqs-poller] ${String(error)}`);
        await sleep(1_000, signal);
      }
    }
  }

  const running = Array.from({ length: options.pollers ?? 3 }, () => poll());
  return {
    async stop() {
      abort.abort();
      await Promise.all(running);
      sqs.destroy();
    },
  };
}
