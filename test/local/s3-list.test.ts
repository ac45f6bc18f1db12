import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ListObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { startS3, type S3Service } from '../../local/services/s3';
import { localCredentials } from '../../local/services/credentials';

const region = 'us-east-1';
const Bucket = 'sluice-list';
let dataDir: string;
let service: S3Service;
let s3: S3Client;

const bulkKeys = Array.from({ length: 1_050 }, (_, i) => `bulk/${String(i).padStart(4, '0')}.json`);
// S3 order is UTF-8 byte order: '-' (0x2d) < '/' (0x2f) < 'b'; s3rver's directory walk lists `o/a/` first.
const orderedKeys = ['o/a', 'o/a-b', 'o/a/b', 'o/a/c', 'o/ab', 'o/é'];
const treeKeys = ['t/a/1', 't/a/2', 't/b', 't/c/1', 't/c/d/2', 't/e'];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sluice-s3-list-'));
  service = await startS3({
    dir: dataDir,
    port: { port: 0, fixed: false },
    region,
    bucket: Bucket,
    notifications: {
      prefix: 'uploads/',
      destinationArn: 'arn:test',
      configurationId: 'test',
      deliver: () => {},
    },
    log: () => undefined,
  });
  s3 = new S3Client({
    endpoint: service.endpoint,
    region,
    credentials: localCredentials,
    forcePathStyle: true,
  });
  const limit = pLimit(16);
  await Promise.all(
    [...bulkKeys, ...orderedKeys.toReversed(), ...treeKeys].map((Key) =>
      limit(() => s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }))),
    ),
  );
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  await service?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function pages(input: Omit<ListObjectsV2CommandInput, 'Bucket'>, pageSize?: number) {
  const result = [];
  for await (const page of paginateListObjectsV2({ client: s3, pageSize }, { Bucket, ...input })) {
    result.push({
      keys: (page.Contents ?? []).map((object) => object.Key),
      prefixes: (page.CommonPrefixes ?? []).map((prefix) => prefix.Prefix),
      keyCount: page.KeyCount,
      truncated: page.IsTruncated,
    });
  }
  return result;
}

describe('local S3 ListObjectsV2', () => {
  it('pages through more than 1,000 keys with continuation tokens (aws s3 ls --recursive)', async () => {
    const listed = await pages({ Prefix: 'bulk/' });
    expect(listed.map((page) => [page.keys.length, page.keyCount, page.truncated])).toEqual([
      [1000, 1000, true],
      [50, 50, false],
    ]);
    expect(listed.flatMap((page) => page.keys)).toEqual(bulkKeys);
    const all = await pages({});
    expect(all.flatMap((page) => page.keys)).toHaveLength(
      bulkKeys.length + orderedKeys.length + treeKeys.length,
    );
  });

  it('honours MaxKeys, StartAfter and S3 key order', async () => {
    const listed = await pages({ Prefix: 'o/' }, 2);
    expect(listed.map((page) => page.keys)).toEqual([
      ['o/a', 'o/a-b'],
      ['o/a/b', 'o/a/c'],
      ['o/ab', 'o/é'],
    ]);
    expect(listed.map((page) => page.truncated)).toEqual([true, true, false]);
    const after = await s3.send(
      new ListObjectsV2Command({ Bucket, Prefix: 'o/', StartAfter: 'o/a/b', MaxKeys: 2 }),
    );
    expect(after.Contents?.map((object) => object.Key)).toEqual(['o/a/c', 'o/ab']);
    expect(after.StartAfter).toBe('o/a/b');
    expect(after.IsTruncated).toBe(true);
    expect(after.Contents?.[0]).toMatchObject({ Size: 5, StorageClass: 'STANDARD' });
    expect(after.Contents?.[0]?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('groups common prefixes under a delimiter, counting them against MaxKeys', async () => {
    expect(await pages({ Prefix: 't/', Delimiter: '/' }, 2)).toEqual([
      { keys: ['t/b'], prefixes: ['t/a/'], keyCount: 2, truncated: true },
      { keys: ['t/e'], prefixes: ['t/c/'], keyCount: 2, truncated: false },
    ]);
    expect(await pages({ Prefix: 't/c/', Delimiter: '/' })).toEqual([
      { keys: ['t/c/1'], prefixes: ['t/c/d/'], keyCount: 2, truncated: false },
    ]);
    expect(await pages({ Prefix: 'none/' })).toEqual([
      { keys: [], prefixes: [], keyCount: 0, truncated: false },
    ]);
  });

  it('refuses a continuation token it did not issue, and leaves ListObjects (v1) as it was', async () => {
    const refused = await s3
      .send(new ListObjectsV2Command({ Bucket, ContinuationToken: 'bm90LWEtdG9rZW4=' }))
      .catch((error: Error & { $metadata: { httpStatusCode?: number } }) => error);
    expect(refused).toMatchObject({ name: 'InvalidArgument', $metadata: { httpStatusCode: 400 } });
    const v1 = await s3.send(new ListObjectsCommand({ Bucket, Prefix: 'o/a/' }));
    expect(v1.Contents?.map((object) => object.Key)).toEqual(['o/a/b', 'o/a/c']);
  });
});
