/**
 * S3: s3rver (the S3 REST protocol over the file system) under <dataDir>/s3, with the one bucket, in a child
 * process of its own (see s3-child.ts) so its request work does not share the host's event loop. Its object
 * events play the bucket's event notification: ObjectCreated events for keys under the configured prefix come
 * over IPC and are delivered here as S3 event notification JSON, in the order s3rver emitted them; the child
 * holds each PUT's response until the notification has been handed over, so an object acknowledged as stored
 * always has its notification journaled. The first time the configuration is set up (an empty data directory,
 * or a changed configuration) S3's `s3:TestEvent` is delivered first, as AWS does.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePort, host } from './network';
import { childStartTimeoutMs, spawnNodeChild, stopChild } from './child-process';
import { objectCreatedNotification, testEvent } from './s3-notifications';
import { s3ChildScript, s3rverModule, type FromS3Child, type ToS3Child } from './s3-child';
import { childMeterSource } from '../meter/child-source';
import { s3Counts } from '../meter/s3-child';
import type { MeterSource } from '../meter/meter';

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
  /** The child process serving S3 (tests check it is gone after stop). */
  pid: number;
  /** The cost meter's counts kept in the child (meter/s3-child.ts). */
  meter: MeterSource;
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
  const { notifications } = opts;
  // The test event goes first: before the bucket accepts any object, so it precedes every ObjectCreated.
  configureNotifications(opts.dir, opts.bucket, notifications);
  const port = await freePort(opts.port);
  const child = spawnNodeChild({
    script: s3ChildScript,
    args: [s3rverModule, directory, String(port), host, opts.bucket, notifications.prefix],
    cwd: opts.dir,
    env: {},
    label: 's3',
    log: opts.log,
    ipc: true,
  });
  const send = (message: ToS3Child) => {
    if (child.connected) child.send(message);
  };

  child.on('message', (message: FromS3Child) => {
    if (message.type !== 'created') return;
    const { object } = message;
    try {
      const notification = objectCreatedNotification({
        region: opts.region,
        bucket: object.bucket,
        key: object.key,
        size: object.size ?? 0,
        eTag: object.eTag ?? '',
        eventName: object.eventName,
        eventTime: object.eventTime,
        sourceIp: object.sourceIp.replace(/^::ffff:/, ''),
        configurationId: notifications.configurationId,
      });
      notifications.deliver(JSON.stringify(notification));
    } catch (error) {
      opts.log(`[s3] could not deliver the notification for ${object.key}: ${String(error)}`);
    } finally {
      send({ type: 'delivered', id: message.id });
    }
  });

  const stop = () => stopChild(child);
  try {
    await waitForReady(child);
  } catch (error) {
    await stop();
    throw error;
  }
  const counts = childMeterSource<Record<string, number>>(child, {});
  const meter: MeterSource = { read: async (reset) => s3Counts(await counts.read(reset)) };
  return { endpoint: `http://${host}:${port}`, pid: child.pid!, meter, stop };
}

function waitForReady(child: ChildProcess, timeoutMs = childStartTimeoutMs): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromS3Child) => {
      if (message.type === 'ready') done();
      else if (message.type === 'failed') done(new Error(`s3rver did not start: ${message.error}`));
    };
    const onExit = (code: number | null) => done(new Error(`s3rver exited with code ${code}`));
    const timer = setTimeout(() => done(new Error('s3rver did not start in time')), timeoutMs);
    const done = (error?: Error) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
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
