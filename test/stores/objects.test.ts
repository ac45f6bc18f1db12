import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  getJson,
  getStream,
  getTail,
  getText,
  head,
  listKeys,
  putJson,
  putText,
} from '../../shared/aws/stores/objects';
import { memoryS3, type MemoryBucket } from '../handlers/memory-s3';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'us-east-1' });
let bucket: MemoryBucket;

beforeEach(() => {
  s3.reset();
  bucket = memoryS3(s3, { pieceBytes: 4 });
});

describe('S3 object helpers', () => {
  it('round-trips JSON and text with their content types', async () => {
    await putJson('b', 'r.json', { a: [1, 'é'] }, client);
    await putText('b', 'c.ndjson', 'x\ny', 'application/x-ndjson', client);
    expect(await getJson('b', 'r.json', client)).toEqual({ a: [1, 'é'] });
    expect(await getText('b', 'c.ndjson', client)).toBe('x\ny');
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.ContentType)).toEqual([
      'application/json',
      'application/x-ndjson',
    ]);
  });

  it('answers undefined for a missing object where absence is expected', async () => {
    expect(await getText('b', 'missing', client)).toBeUndefined();
    expect(await getJson('b', 'missing', client)).toBeUndefined();
    expect(await head('b', 'missing', client)).toBeUndefined();
    await expect(getStream('b', 'missing', client)).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it("reads S3's 403 for a missing key (a caller without ListBucket) as missing, and other errors as errors", async () => {
    const denied = () =>
      new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
    s3.on(HeadObjectCommand).rejects(denied());
    s3.on(GetObjectCommand).rejects(denied());
    expect(await head('b', 'work/none', client)).toBeUndefined();
    expect(await getText('b', 'work/none', client)).toBeUndefined();
    const failing = new S3ServiceException({
      name: 'SlowDown',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
    });
    s3.on(GetObjectCommand).rejects(failing);
    await expect(getText('b', 'work/x', client)).rejects.toBe(failing);
  });

  it('streams a body with its size, reads its tail and its size alone', async () => {
    bucket.put('b', 'f', 'hello world');
    const { body, size } = await getStream('b', 'f', client);
    const pieces: Buffer[] = [];
    for await (const piece of body) pieces.push(Buffer.from(piece));
    expect(Buffer.concat(pieces).toString()).toBe('hello world');
    expect(size).toBe(11);
    expect((await getTail('b', 'f', 4, client)).toString()).toBe('orld');
    expect(await head('b', 'f', client)).toEqual({ size: 11, contentType: undefined });
  });

  it('lists every key under a prefix across pages', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: 'p/1' }, { Key: 'p/2' }],
        IsTruncated: true,
        NextContinuationToken: 't',
      })
      .resolvesOnce({ Contents: [{ Key: 'p/3' }], IsTruncated: false });
    expect(await listKeys('b', 'p/', client)).toEqual(['p/1', 'p/2', 'p/3']);
    expect(s3.commandCalls(ListObjectsV2Command)[1]!.args[0].input).toMatchObject({
      Prefix: 'p/',
      ContinuationToken: 't',
    });
  });
});
