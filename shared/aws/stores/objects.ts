/**
 * Small S3 helpers over the one bucket. A missing object is `undefined` where callers expect it may be absent
 * (getText, getJson, head); getStream and getTail throw the SDK's NoSuchKey.
 */
import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { s3 } from '../clients';

/**
 * A GET or HEAD of a key that does not exist. Functions may read only their own prefixes and may not list the
 * bucket (cdk/wiring.ts access, proved over the template by test/cdk/least-privilege.test.ts), and S3 answers a
 * missing key with 403 instead of 404 to a caller without s3:ListBucket: under the prefixes a function reads, a
 * 403 therefore means "not there".
 */
export function isMissingObject(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  const status = e?.$metadata?.httpStatusCode;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || status === 404 || status === 403;
}

async function unlessMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw error;
  }
}

export async function putText(
  bucket: string,
  key: string,
  body: string,
  contentType = 'text/plain; charset=utf-8',
  client: S3Client = s3(),
): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
}

export function putJson(bucket: string, key: string, value: unknown, client: S3Client = s3()): Promise<void> {
  return putText(bucket, key, JSON.stringify(value), 'application/json', client);
}

export function getText(bucket: string, key: string, client: S3Client = s3()): Promise<string | undefined> {
  return unlessMissing(async () => {
    const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await Body?.transformToString('utf-8')) ?? '';
  });
}

export async function getJson<T = unknown>(
  bucket: string,
  key: string,
  client: S3Client = s3(),
): Promise<T | undefined> {
  const text = await getText(bucket, key, client);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

/** The object's body as a Node stream, and its size (read the body to the end or destroy it). */
export async function getStream(
  bucket: string,
  key: string,
  client: S3Client = s3(),
): Promise<{ body: Readable; size: number }> {
  const { Body, ContentLength } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { body: Body as Readable, size: ContentLength ?? 0 };
}

/** The last `bytes` bytes of an object (a suffix range request). */
export async function getTail(
  bucket: string,
  key: string,
  bytes: number,
  client: S3Client = s3(),
): Promise<Buffer> {
  const { Body } = await client.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=-${bytes}` }),
  );
  return Buffer.from((await Body?.transformToByteArray()) ?? []);
}

export function head(
  bucket: string,
  key: string,
  client: S3Client = s3(),
): Promise<{ size: number; contentType?: string } | undefined> {
  return unlessMissing(async () => {
    const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { size: out.ContentLength ?? 0, contentType: out.ContentType };
  });
}

export async function listKeys(bucket: string, prefix: string, client: S3Client = s3()): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
  }
  return keys;
}
