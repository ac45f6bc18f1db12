import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startCdn, type Cdn } from '../../local/edge/cdn';
import { cannedPolicy, resourceMatches, splitSignedUrl } from '../../local/edge/signed-url';
import { startS3, type S3Service } from '../../local/services/s3';
import { localCredentials } from '../../local/services/credentials';

const region = 'us-east-1';
const bucket = 'sluice-local';
const keyPairId = 'K-LOCAL-TEST0001';
const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const otherKeys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

let dataDir: string;
let s3Service: S3Service;
let cdn: Cdn;
let s3: S3Client;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sluice-edge-'));
  s3Service = await startS3({
    dir: dataDir,
    port: { port: 0, fixed: false },
    region,
    bucket,
    notifications: {
      prefix: 'uploads/',
      destinationArn: 'arn:test',
      configurationId: 'test',
      deliver: () => undefined,
    },
    log: () => undefined,
  });
  cdn = await startCdn({
    port: { port: 0, fixed: false },
    s3Endpoint: s3Service.endpoint,
    region,
    bucket,
    trustedKeys: { [keyPairId]: keys.publicKey },
  });
  s3 = new S3Client({
    endpoint: s3Service.endpoint,
    region,
    credentials: localCredentials,
    forcePathStyle: true,
  });
});

afterAll(async () => {
  await cdn?.stop();
  await s3Service?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const inOneHour = () => new Date(Date.now() + 3_600_000).toISOString();
const sign = (path: string, overrides: Partial<Parameters<typeof getSignedUrl>[0]> = {}) =>
  getSignedUrl({
    url: `${cdn.url}${path}`,
    keyPairId,
    privateKey: keys.privateKey,
    dateLessThan: inOneHour(),
    ...overrides,
  } as Parameters<typeof getSignedUrl>[0]);
const put = (url: string, body: string) =>
  fetch(url, { method: 'PUT', body, headers: { 'content-type': 'application/x-ndjson' } });

async function stored(key: string): Promise<string | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return object.Body!.transformToString();
  } catch {
    return undefined;
  }
}

describe('CloudFront signed-URL uploads', () => {
  it('stores the body of a PUT with a valid canned signed URL under the path', async () => {
    const response = await put(await sign('/uploads/t1/job1/events.ndjson'), '{"id":"1"}\n');
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await stored('uploads/t1/job1/events.ndjson')).toBe('{"id":"1"}\n');
  });

  it('accepts a custom policy with a wildcard resource and a start date', async () => {
    const policy = JSON.stringify({
      Statement: [
        {
          Resource: `${cdn.url}/uploads/t1/job2/*`,
          Condition: {
            DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 600 },
            DateGreaterThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) - 600 },
            IpAddress: { 'AWS:SourceIp': '127.0.0.0/8' },
          },
        },
      ],
    });
    const signed = getSignedUrl({ policy, keyPairId, privateKey: keys.privateKey });
    const url = `${cdn.url}/uploads/t1/job2/data.json?${new URL(signed).search.slice(1)}`;
    expect((await put(url, '[1]')).status).toBe(200);
    expect(await stored('uploads/t1/job2/data.json')).toBe('[1]');
  });

  it.each([
    ['no signature at all', async () => `${cdn.url}/uploads/t1/job3/a.json`, 'MissingKey'],
    [
      'a tampered signature',
      async () =>
        (await sign('/uploads/t1/job3/a.json')).replace(/Signature=([^&]{10})/, 'Signature=AAAAAAAAAA'),
      'AccessDenied',
    ],
    [
      'an expired URL',
      async () =>
        sign('/uploads/t1/job3/a.json', { dateLessThan: new Date(Date.now() - 1000).toISOString() }),
      'AccessDenied',
    ],
    [
      'an unknown key pair id',
      async () => sign('/uploads/t1/job3/a.json', { keyPairId: 'K-OTHER' }),
      'InvalidKey',
    ],
    [
      'a key that is not trusted, under the trusted id',
      async () => sign('/uploads/t1/job3/a.json', { privateKey: otherKeys.privateKey }),
      'AccessDenied',
    ],
    [
      'a URL signed for another resource',
      async () => (await sign('/uploads/t1/other/a.json')).replace('/other/', '/job3/'),
      'AccessDenied',
    ],
  ])('refuses %s with 403 and does not store anything', async (_case, url, code) => {
    const response = await put(await url(), 'nope');
    expect(response.status).toBe(403);
    expect(await response.text()).toContain(`<Code>${code}</Code>`);
    expect(await stored('uploads/t1/job3/a.json')).toBeUndefined();
  });

  it('requires a Content-Length (411) for uploads', async () => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('chunked'));
        controller.close();
      },
    });
    const response = await fetch(await sign('/uploads/t1/job4/a.json'), {
      method: 'PUT',
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(411);
  });
});

describe('CloudFront web behavior', () => {
  it('serves web/ objects, index.html for /, and 403 for missing objects or writes', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'web/index.html',
        Body: '<h1>Sluice</h1>',
        ContentType: 'text/html',
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'web/config.json',
        Body: '{}',
        ContentType: 'application/json',
      }),
    );
    const index = await fetch(`${cdn.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html');
    expect(await index.text()).toBe('<h1>Sluice</h1>');
    expect(await (await fetch(`${cdn.url}/config.json`)).json()).toEqual({});
    expect((await fetch(`${cdn.url}/missing.js`)).status).toBe(403);
    expect((await fetch(`${cdn.url}/config.json`, { method: 'PUT', body: 'x' })).status).toBe(403);
  });
});

describe('signed URL helpers', () => {
  it('rebuilds the URL without the signing parameters and the canned policy as CloudFront does', () => {
    const { resource, params } = splitSignedUrl(
      'http://h/a%20b?x=1&Expires=10&Signature=a~b_&Key-Pair-Id=K&y=2',
    );
    expect(resource).toBe('http://h/a%20b?x=1&y=2');
    expect(params).toEqual({ Expires: '10', Signature: 'a~b_', 'Key-Pair-Id': 'K' });
    expect(cannedPolicy(resource, 10)).toBe(
      '{"Statement":[{"Resource":"http://h/a%20b?x=1&y=2","Condition":{"DateLessThan":{"AWS:EpochTime":10}}}]}',
    );
  });

  it('matches wildcards in policy resources', () => {
    expect(resourceMatches('http://h/uploads/*', 'http://h/uploads/t/j/f.json')).toBe(true);
    expect(resourceMatches('http://h/uploads/?.json', 'http://h/uploads/a.json')).toBe(true);
    expect(resourceMatches('http://h/uploads/*', 'http://h/web/index.html')).toBe(false);
  });
});
