/**
 * The S3 child process (started by s3.ts through spawnNodeChild with an IPC channel): s3rver on 127.0.0.1, its
 * ObjectCreated events under the notification prefix sent to the parent in the order s3rver emits them. A
 * request's response waits until the parent has handed each notification it caused to the queue (the
 * parent's `delivered` reply), as the in-process bridge did: once a PUT is answered, its notification is
 * journaled. ListObjectsV2 is answered by s3-list.ts (s3rver's fails on every truncated listing).
 */
import { createRequire } from 'node:module';
import { s3ListObjectsV2Script } from './s3-list';
import { s3MeterScript } from '../meter/s3-child';

/** The object fields the notification is built from (s3rver's event record, flattened). */
export interface CreatedObject {
  bucket: string;
  key: string;
  size?: number;
  eTag?: string;
  eventName: string;
  eventTime: string;
  sourceIp: string;
}

export type FromS3Child =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  | { type: 'created'; id: number; object: CreatedObject }
  | { type: 'meter'; id: number; counts: Record<string, number> };

export type ToS3Child = { type: 'delivered'; id: number } | { type: 'meter'; id: number; reset: boolean };

export const s3rverModule = createRequire(import.meta.url).resolve('s3rver');

/** CommonJS, run by spawnNodeChild; argv: s3rver module, directory, port, host, bucket, key prefix. */
export const s3ChildScript = `
const [module, directory, port, host, bucketName, prefix] = process.argv.slice(1);
const { createServer } = require('node:http');
const S3rver = require(module);
${s3ListObjectsV2Script}
${s3MeterScript}
process.on('disconnect', () => process.exit(0));

const fail = (error) => process.send({ type: 'failed', error: String(error) }, () => process.exit(1));
// The notifications of the request whose event s3rver is emitting (emit is synchronous; see the middleware).
let emitting;
const waiting = new Map();
let lastId = 0;
process.on('message', (message) => {
  if (!message || message.type !== 'delivered') return;
  const resolve = waiting.get(message.id);
  waiting.delete(message.id);
  if (resolve) resolve();
});

const s3rver = new S3rver({ address: host, port: 0, silent: true, directory, configureBuckets: [{ name: bucketName }] });
s3rver.on('event', (event) => {
  const record = event.Records[0];
  if (!record || !record.eventName.startsWith('ObjectCreated:')) return;
  const { bucket, object } = record.s3;
  if (!object.key.startsWith(prefix)) return;
  const id = ++lastId;
  const delivered = new Promise((resolve) => waiting.set(id, resolve));
  if (emitting) emitting.push(delivered);
  process.send({
    type: 'created',
    id,
    object: {
      bucket: bucket.name,
      key: object.key,
      size: object.size,
      eTag: object.eTag,
      eventName: record.eventName,
      eventTime: record.eventTime,
      sourceIp: record.requestParameters.sourceIPAddress,
    },
  });
});
// Outermost middleware: the response goes out only after the notifications the request caused were delivered.
// s3rver emits its events with ctx.app.emit, so each request gets an app whose emit notes them as its own (no
// AsyncLocalStorage: its promise hooks would tax every request).
s3rver.middleware.unshift(async (ctx, next) => {
  const pending = [];
  ctx.app = Object.create(s3rver, {
    emit: {
      value(...args) {
        const outer = emitting;
        emitting = pending;
        try {
          return s3rver.emit(...args);
        } finally {
          emitting = outer;
        }
      },
    },
  });
  try {
    await next();
  } finally {
    await Promise.all(pending);
  }
});

meterS3(s3rver);
const server = createServer(s3rver.callback());
server.once('error', fail);
server.listen(Number(port), host, () => {
  s3rver.configureBuckets().then(() => process.send({ type: 'ready' }), fail);
});
`;
