/**
 * The ingest queue's messages (docs/design.md): API submissions (inline, or stored in S3 when larger than
 * `maxInlineBytes`) and upload deadlines (sent by the API functions) and S3 ObjectCreated notifications for
 * `uploads/` (sent by S3), and admit messages (record-execution-end, when a large job's slot is free again). Read
 * by start-execution.
 */
import * as z from 'zod';

export interface JobRef {
  tenant: string;
  jobId: string;
}

/** An API submission stored in S3 (`submissions/<tenant>/<jobId>.json`): one execution of its own. */
export interface SubmissionMessage extends JobRef {
  kind: 'submission';
  bucket: string;
  key: string;
}

/** An API submission small enough to travel in the message: the event candidates as parsed. Grouped. */
export interface InlineSubmissionMessage extends JobRef {
  kind: 'submission';
  events: unknown[];
}

export interface UploadDeadlineMessage extends JobRef {
  kind: 'upload-deadline';
  expiresAt: string;
}

/** An uploaded object that is a job's file: `uploads/<tenant>/<jobId>/<filename>`. */
export interface UploadArrival extends JobRef {
  bucket: string;
  key: string;
}

/**
 * Admit a tenant's waiting large jobs (docs/design.md "Running-jobs cap"): sent by record-execution-end when one
 * of the tenant's jobs released its slot, and re-sent by the starter when an admission stayed throttled.
 */
export interface AdmitMessage {
  kind: 'admit';
  tenant: string;
}

export type QueueMessage =
  | SubmissionMessage
  | AdmitMessage
  | InlineSubmissionMessage
  | UploadDeadlineMessage
  | { kind: 's3-test' }
  | { kind: 'uploads'; uploads: UploadArrival[]; ignored: string[] };

const text = z.string().min(1);
const submission = z.object({
  kind: z.literal('submission'),
  jobId: text,
  tenant: text,
  bucket: text,
  key: text,
});
const inlineSubmission = z.strictObject({
  kind: z.literal('submission'),
  jobId: text,
  tenant: text,
  events: z.array(z.unknown()).min(1),
});
const uploadDeadline = z.object({
  kind: z.literal('upload-deadline'),
  jobId: text,
  tenant: text,
  expiresAt: z.iso.datetime({ offset: true }),
});
const admit = z.strictObject({ kind: z.literal('admit'), tenant: text });
const s3Notification = z.object({
  Records: z
    .array(
      z.object({
        eventSource: z.string(),
        eventName: z.string(),
        s3: z.object({ bucket: z.object({ name: text }), object: z.object({ key: text }) }),
      }),
    )
    .min(1),
});

export class InvalidMessage extends Error {
  override readonly name = 'InvalidMessage';
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new InvalidMessage(`invalid ${what} message: ${problems.join('; ')}`);
}

function parseJsonObject(body: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new InvalidMessage('message body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidMessage('message body is not a JSON object');
  }
  return value as Record<string, unknown>;
}

/** S3 notifications URL-encode object keys, with `+` for a space. */
export const decodeS3Key = (key: string): string => decodeURIComponent(key.replace(/\+/g, ' '));

export function uploadFromKey(bucket: string, key: string): UploadArrival | undefined {
  const parts = key.split('/');
  if (parts.length !== 4 || parts[0] !== 'uploads' || parts.some((part) => part === '')) return undefined;
  const [, tenant, jobId] = parts as [string, string, string, string];
  return { tenant, jobId, bucket, key };
}

/** Reads one message body; anything unreadable throws InvalidMessage saying what is wrong. */
export function readQueueMessage(body: string): QueueMessage {
  const value = parseJsonObject(body);
  if (value.Event === 's3:TestEvent') return { kind: 's3-test' };
  if ('Records' in value) {
    const uploads: UploadArrival[] = [];
    const ignored: string[] = [];
    for (const record of parseWith(s3Notification, value, 'S3 notification').Records) {
      const key = decodeS3Key(record.s3.object.key);
      const created = record.eventSource === 'aws:s3' && record.eventName.startsWith('ObjectCreated:');
      const upload = created ? uploadFromKey(record.s3.bucket.name, key) : undefined;
      if (upload) uploads.push(upload);
      else ignored.push(`${record.eventName} ${key}`);
    }
    return { kind: 'uploads', uploads, ignored };
  }
  if (value.kind === 'submission') {
    return 'events' in value
      ? parseWith(inlineSubmission, value, 'inline submission')
      : parseWith(submission, value, 'submission');
  }
  if (value.kind === 'upload-deadline') return parseWith(uploadDeadline, value, 'upload-deadline');
  if (value.kind === 'admit') return parseWith(admit, value, 'admit');
  throw new InvalidMessage(`unknown message kind ${JSON.stringify(value.kind ?? null)}`);
}

export const admitMessageBody = (tenant: string): string => JSON.stringify({ kind: 'admit', tenant });

export const isInline = (message: QueueMessage): message is InlineSubmissionMessage =>
  message.kind === 'submission' && 'events' in message;

/**
 * The body of an inline submission message, built around the candidates' JSON array text (already measured
 * against `maxInlineBytes`), so the events are not serialized twice.
 */
export function inlineSubmissionBody(job: JobRef, eventsText: string): string {
  const head = JSON.stringify({ kind: 'submission', jobId: job.jobId, tenant: job.tenant });
  return `${head.slice(0, -1)},"events":${eventsText}}`;
}

/** The job a message is about, read leniently, so even a malformed message can fail its job. */
export function jobRefOf(body: string): JobRef | undefined {
  try {
    const { tenant, jobId } = JSON.parse(body) as Record<string, unknown>;
    return typeof tenant === 'string' && typeof jobId === 'string' && tenant && jobId
      ? { tenant, jobId }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Seconds until an upload deadline is due (expiry plus grace); zero or less means due now. */
export function secondsUntilDue(expiresAt: string, graceSeconds: number, nowMs: number): number {
  return Math.ceil((Date.parse(expiresAt) + graceSeconds * 1000 - nowMs) / 1000);
}
