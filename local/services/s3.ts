/**
 * S3: s3rver (the S3 REST protocol over the file system) under <dataDir>/s3, with the one bucket. Its in-process
 * object events play the bucket's event notification: ObjectCreated events for keys under the configured prefix
 * are delivered as S3 event notification JSON; the first time the configuration is set up (an empty data
 * directory, or a changed configuration) S3's `s3:TestEvent` is delivered first, as AWS does.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import S3rver, { type S3rverEvent } from 's3rver';
import { closeServer, host, listen } from './network';
import { objectCreatedNotification, testEvent } from './s3-notifications';

export interface S3Notifications {
  /** Key prefix filter (wiring.ingestQueue.uploadPrefix). */
  prefix: string;
  /** The destination's ARN; recorded so a changed configuration sends a new test event. */
  destinationArn: string;
  configurationId: string;
  /** Hands one message body to the destination queue (synchronously, so the hand-over is durable). */
  deliver(body: string): void;
}

export interface S3Service {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startS3(opts: {
  dir: string;
  port: { port: number; fixed: boolean };
  region: string;
  bucket: string;
  notifications: S3Notifications;
  log: (line: string) => void;
}): Promise<S3Service> {
  const directory = join(opts.dir, 'buckets');
  mkdirSync(directory, { recursive: true });
  const s3rver = new S3rver({
    address: host,
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: opts.bucket }],
  });
  // s3rver's run() would listen itself; listening through `listen` keeps the 127.0.0.1-only/fallback rules.
  const server = createServer(s3rver.callback());
  const port = await listen(server, opts.port);
  await s3rver.configureBuckets();
  const { notifications } = opts;

  s3rver.on('event', (event: S3rverEvent) => {
    const record = event.Records[0];
    if (!record || !record.eventName.startsWith('ObjectCreated:')) return;
    const { bucket, object } = record.s3;
    if (!object.key.startsWith(notifications.prefix)) return;
    const message = objectCreatedNotification({
      region: opts.region,
      bucket: bucket.name,
      key: object.key,
      size: object.size ?? 0,
      eTag: object.eTag ?? '',
      eventName: record.eventName,
      eventTime: record.eventTime,
      sourceIp: record.requestParameters.sourceIPAddress.replace(/^::ffff:/, ''),
      configurationId: notifications.configurationId,
    });
    try {
      notifications.deliver(JSON.stringify(message));
    } catch (error) {
      opts.log(`[s3] could not deliver the notification for ${object.key}: ${String(error)}`);
    }
  });

  configureNotifications(opts.dir, opts.bucket, notifications);
  return { endpoint: `http://${host}:${port}`, stop: () => closeServer(server) };
}

/** Records the configuration; sends the test event when it is new or changed. */
function configureNotifications(dir: string, bucket: string, notifications: S3Notifications): void {
  const file = join(dir, 'notification-configuration.json');
  const configuration = JSON.stringify({
    id: notifications.configurationId,
    events: ['s3:ObjectCreated:*'],
    prefix: notifications.prefix,
    destination: notifications.destinationArn,
  });
  if (existsSync(file) && readFileSync(file, 'utf8') === configuration) return;
  notifications.deliver(JSON.stringify(testEvent(bucket)));
  writeFileSync(file, configuration);
}
