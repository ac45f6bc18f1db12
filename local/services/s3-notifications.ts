/**
 * The S3 event notification messages S3 sends to an SQS queue, built exactly as AWS shapes them
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
 */
import { createHash, randomBytes } from 'node:crypto';

export interface ObjectCreated {
  region: string;
  bucket: string;
  /** The object key as stored (not encoded). */
  key: string;
  size: number;
  eTag: string;
  eventName: string;
  eventTime: string;
  sourceIp: string;
  configurationId: string;
}

/** Keys in notifications are URL-encoded as HTML forms encode them: spaces as '+', '/' kept. */
export function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment)
        .replace(/%20/g, '+')
        .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}

const ownerId = 'A3LOCALSLUICEOWNER';
let lastSequence = 0n;

/** Sequencers only grow for a given key, as in S3 (a hex string compared after left-padding). */
function nextSequencer(): string {
  const candidate = BigInt(Date.now()) * 1_000_000n;
  lastSequence = candidate > lastSequence ? candidate : lastSequence + 1n;
  return lastSequence.toString(16).toUpperCase().padStart(18, '0');
}

const requestId = () => randomBytes(8).toString('hex').toUpperCase();
const hostId = (seed: string) => createHash('sha256').update(seed).digest('base64');

export function objectCreatedNotification(event: ObjectCreated) {
  const id = requestId();
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: event.region,
        eventTime: event.eventTime,
        eventName: event.eventName,
        userIdentity: { principalId: 'AWS:AROALOCALSLUICE:cloudfront' },
        requestParameters: { sourceIPAddress: event.sourceIp },
        responseElements: { 'x-amz-request-id': id, 'x-amz-id-2': hostId(id) },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: event.configurationId,
          bucket: {
            name: event.bucket,
            ownerIdentity: { principalId: ownerId },
            arn: `arn:aws:s3:::${event.bucket}`,
          },
          object: {
            key: encodeS3EventKey(event.key),
            size: event.size,
            eTag: event.eTag,
            sequencer: nextSequencer(),
          },
        },
      },
    ],
  };
}

/** What S3 sends once when a notification configuration is put on a bucket. */
export function testEvent(bucket: string, time = new Date()) {
  const id = requestId();
  return {
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: time.toISOString(),
    Bucket: bucket,
    RequestId: id,
    HostId: hostId(id),
  };
}
