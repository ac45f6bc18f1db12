/**
 * Durability for the in-memory SQS emulator. SQS stores a message durably before SendMessage returns; here every
 * message a queue accepts (an API send, an in-process S3 notification, a move to the dead-letter queue) is
 * appended to <dataDir>/sqs/journal.ndjson before the sender hears back, and every deletion after it happens.
 * On start the surviving messages go back into their queues with their message ids, sent times, remaining
 * delays and (as of the last compaction) receive counts; expired ones (retention) are dropped.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';

/** What the journal needs from one queue of local-aws-sqs. */
export interface JournaledQueue {
  readonly QueueName: string;
  DelaySeconds: number;
  MessageRetentionPeriod: number;
  setRecord: (input: Record<string, unknown>, messageId?: string) => QueueEntry;
  newRecord: (record: QueueRecord, delay?: number) => QueueEntry;
  delete(receiptHandle: string): boolean;
  clearRecords(): void;
}

interface QueueRecord {
  MessageId: string;
  MessageBody: string;
  MessageAttributes?: Record<string, unknown>;
  attributes: Record<string, string>;
}

interface QueueEntry {
  record: QueueRecord;
}

export interface JournalEntry {
  queue: string;
  id: string;
  body: string;
  messageAttributes?: Record<string, unknown>;
  sentTimestamp: number;
  delaySeconds: number;
  receiveCount: number;
  firstReceiveTimestamp?: string;
}

type Line = ({ op: 'put' } & JournalEntry) | { op: 'delete'; id: string } | { op: 'clear'; queue: string };

/** The message id a receipt handle refers to (local-aws-sqs encodes it as base64 of `<uuid>{json}`). */
export function messageIdOfReceiptHandle(handle: string): string | undefined {
  try {
    const text = Buffer.from(handle, 'base64').toString('utf8');
    return (JSON.parse(text.slice(text.indexOf('{'))) as { MessageId?: string }).MessageId;
  } catch {
    return undefined;
  }
}

/** Folds journal lines into the messages still alive. */
export function replay(lines: Line[]): Map<string, JournalEntry> {
  const live = new Map<string, JournalEntry>();
  for (const line of lines) {
    if (line.op === 'put') {
      const { op: _op, ...entry } = line;
      live.set(entry.id, entry);
    } else if (line.op === 'delete') live.delete(line.id);
    else for (const [id, entry] of live) if (entry.queue === line.queue) live.delete(id);
  }
  return live;
}

export class SqsJournal {
  private fd: number | undefined;
  private readonly live = new Map<string, { entry: JournalEntry; queueEntry?: QueueEntry }>();
  private lines = 0;

  constructor(private readonly file: string) {}

  /** Puts the journal's messages back into `queues`, rewrites the journal, then records every change. */
  attach(queues: JournaledQueue[], now = Date.now()): number {
    const byName = new Map(queues.map((queue) => [queue.QueueName, queue]));
    let restored = 0;
    for (const entry of replay(this.read()).values()) {
      const queue = byName.get(entry.queue);
      if (!queue || now >= entry.sentTimestamp + queue.MessageRetentionPeriod * 1000) continue;
      const remainingDelay = Math.max(
        0,
        Math.ceil((entry.sentTimestamp + entry.delaySeconds * 1000 - now) / 1000),
      );
      const queueEntry = queue.setRecord(
        { MessageBody: entry.body, MessageAttributes: entry.messageAttributes, DelaySeconds: remainingDelay },
        entry.id,
      );
      const attributes = queueEntry.record.attributes;
      attributes.SentTimestamp = String(entry.sentTimestamp);
      attributes.ApproximateReceiveCount = String(entry.receiveCount);
      if (entry.firstReceiveTimestamp)
        attributes.ApproximateFirstReceiveTimestamp = entry.firstReceiveTimestamp;
      this.live.set(entry.id, { entry, queueEntry });
      restored++;
    }
    this.compact();
    for (const queue of queues) this.hook(queue);
    return restored;
  }

  /** Rewrites the journal with the live messages (and their current receive counts), then closes it. */
  close(): void {
    if (this.fd === undefined) return;
    this.compact();
    closeSync(this.fd);
    this.fd = undefined;
  }

  private hook(queue: JournaledQueue): void {
    const newRecord = queue.newRecord;
    queue.newRecord = (record, delay) => {
      const queueEntry = newRecord(record, delay);
      const entry: JournalEntry = {
        queue: queue.QueueName,
        id: record.MessageId,
        body: record.MessageBody,
        messageAttributes: record.MessageAttributes,
        sentTimestamp: Number(record.attributes.SentTimestamp) || Date.now(),
        delaySeconds: Number.isNaN(Number(delay)) || delay === undefined ? queue.DelaySeconds : Number(delay),
        receiveCount: 0,
      };
      this.live.set(entry.id, { entry, queueEntry });
      this.append({ op: 'put', ...entry });
      return queueEntry;
    };
    const remove = queue.delete.bind(queue);
    queue.delete = (receiptHandle) => {
      const deleted = remove(receiptHandle);
      const id = messageIdOfReceiptHandle(receiptHandle);
      if (id && this.live.get(id)?.entry.queue === queue.QueueName) {
        this.live.delete(id);
        this.append({ op: 'delete', id });
      }
      return deleted;
    };
    const clear = queue.clearRecords.bind(queue);
    queue.clearRecords = () => {
      clear();
      for (const [id, { entry }] of this.live) if (entry.queue === queue.QueueName) this.live.delete(id);
      this.append({ op: 'clear', queue: queue.QueueName });
    };
  }

  private read(): Line[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((line) => line.trim())
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Line];
        } catch {
          return []; // a line cut short by a crash
        }
      });
  }

  private append(line: Line): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
    if (++this.lines > 2 * this.live.size + 10_000) this.compact();
  }

  private compact(): void {
    const text = [...this.live.values()]
      .map(({ entry, queueEntry }) => {
        const attributes = queueEntry?.record.attributes;
        const current: JournalEntry = {
          ...entry,
          receiveCount: Number(attributes?.ApproximateReceiveCount ?? entry.receiveCount) || 0,
          firstReceiveTimestamp: attributes?.ApproximateFirstReceiveTimestamp || entry.firstReceiveTimestamp,
        };
        return `${JSON.stringify({ op: 'put', ...current })}\n`;
      })
      .join('');
    if (this.fd !== undefined) closeSync(this.fd);
    writeFileSync(`${this.file}.tmp`, text);
    renameSync(`${this.file}.tmp`, this.file);
    this.fd = openSync(this.file, 'a');
    this.lines = this.live.size;
  }
}
