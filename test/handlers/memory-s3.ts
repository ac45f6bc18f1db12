/**
 * An in-memory bucket behind aws-sdk-client-mock's S3Client stub: PutObject stores, GetObject (with suffix or
 * bounded Range) and HeadObject read back, missing keys fail as S3 does. Bodies come back as SDK streams, cut
 * into `pieceBytes` pieces so readers see data arrive in several chunks.
 */
import { Readable } from 'node:stream';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';

export interface MemoryBucket {
  objects: Map<string, Buffer>;
  put(bucket: string, key: string, body: string | Buffer): void;
  text(bucket: string, key: string): string | undefined;
  json(bucket: string, key: string): unknown;
  /** The next GetObject of this key fails with `error`; later ones read the object again. */
  failNextGet(bucket: string, key: string, error: Error): void;
}

const id = (bucket: string | undefined, key: string | undefined) => `${bucket}/${key}`;

async function toBuffer(body: unknown): Promise<Buffer> {
  if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body);
  const parts: Buffer[] = [];
  for await (const part of body as AsyncIterable<Buffer>) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

function byteRange(range: string | undefined, size: number): [number, number] {
  const suffix = range?.match(/^bytes=-(\d+)$/);
  if (suffix) return [Math.max(0, size - Number(suffix[1])), size];
  const bounded = range?.match(/^bytes=(\d+)-(\d*)$/);
  if (bounded) return [Number(bounded[1]), bounded[2] ? Number(bounded[2]) + 1 : size];
  return [0, size];
}

function pieces(data: Buffer, pieceBytes: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += pieceBytes) out.push(data.subarray(i, i + pieceBytes));
  return out;
}

export function memoryS3(s3: AwsClientStub<S3Client>, { pieceBytes = 64 * 1024 } = {}): MemoryBucket {
  const objects = new Map<string, Buffer>();
  const faults = new Map<string, Error>();
  s3.on(PutObjectCommand).callsFake(async (input) => {
    objects.set(id(input.Bucket, input.Key), await toBuffer(input.Body));
    return { ETag: '"etag"' };
  });
  s3.on(GetObjectCommand).callsFake((input) => {
    const fault = faults.get(id(input.Bucket, input.Key));
    if (fault) {
      faults.delete(id(input.Bucket, input.Key));
      throw fault;
    }
    const data = objects.get(id(input.Bucket, input.Key));
    if (!data)
      throw new NoSuchKey({
        message: 'The specified key does not exist.',
        $metadata: { httpStatusCode: 404 },
      });
    const [start, end] = byteRange(input.Range, data.length);
    const slice = data.subarray(start, end);
    return { Body: sdkStreamMixin(Readable.from(pieces(slice, pieceBytes))), ContentLength: slice.length };
  });
  s3.on(HeadObjectCommand).callsFake((input) => {
    const data = objects.get(id(input.Bucket, input.Key));
    if (!data) throw new NotFound({ message: 'NotFound', $metadata: { httpStatusCode: 404 } });
    return { ContentLength: data.length };
  });
  return {
    objects,
    put: (bucket, key, body) => objects.set(id(bucket, key), Buffer.from(body)),
    text: (bucket, key) => objects.get(id(bucket, key))?.toString('utf8'),
    json(bucket, key) {
      const text = objects.get(id(bucket, key))?.toString('utf8');
      return text === undefined ? undefined : JSON.parse(text);
    },
    failNextGet: (bucket, key, error) => faults.set(id(bucket, key), error),
  };
}
