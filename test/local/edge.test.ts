import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:http';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { literalKey, startCdn, type Cdn } from '../../local/edge/cdn';
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

/** A request with the path exactly as given (fetch would resolve dot segments, `%2e` included). */
function raw(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(cdn.url);
  return new Promise((resolve, reject) => {
    const req = request({
      hostname,
      port,
      method,
      path,
      headers: { 'content-length': Buffer.byteLength(body ?? '') },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const errorCode = (body: string) => /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
const cloudFrontBase64 = (text: string) =>
  Buffer.from(text).toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');

describe('CloudFront + S3 keys are literal', () => {
  const secret = '{"tenant":"t2","secret":true}';
  beforeAll(async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'submissions/t2/job9.json', Body: secret }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'web/app.js', Body: 'app' }));
  });

  it('never resolves dot segments or encoded slashes out of web/', async () => {
    for (const path of [
      '/..%2Fsubmissions%2Ft2%2Fjob9.json',
      '/../submissions/t2/job9.json',
      '/%2E%2E/submissions/t2/job9.json',
      '/%2e%2e%2fsubmissions%2ft2%2fjob9.json',
      '/a/..%2F..%2Fsubmissions%2Ft2%2Fjob9.json',
      '/uploads%2F..%2F..%2Fsubmissions%2Ft2%2Fjob9.json',
      '//submissions/t2/job9.json',
      '/./app.js',
      '/%00',
    ]) {
      const response = await raw('GET', path);
      expect({ path, status: response.status, code: errorCode(response.body) }).toEqual({
        path,
        status: 403,
        code: 'AccessDenied',
      });
      expect(response.body).not.toContain('secret');
    }
    expect(await raw('GET', '/app.js')).toEqual({ status: 200, body: 'app' });
    expect((await raw('GET', `/${'a'.repeat(1100)}`)).status).toBe(400);
    expect((await raw('GET', '/%E0%A4%A')).status).toBe(400);
  });

  it('keeps an upload under its signed key, even with a wildcard policy', async () => {
    const policy = JSON.stringify({
      Statement: [
        {
          Resource: `${cdn.url}/uploads/t1/*`,
          Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 3600 } },
        },
      ],
    });
    const signed = new URL(await sign('/uploads/t1/file.ndjson', { policy, dateLessThan: undefined }));
    for (const path of [
      '/uploads/t1/..%2F..%2Fsubmissions%2Ft2%2Fjob9.json',
      '/uploads/t1/%2e%2e/%2e%2e/submissions/t2/job9.json',
      '/uploads/t1/../../submissions/t2/job9.json',
      '/uploads/t1//x',
    ]) {
      const response = await raw('PUT', `${path}${signed.search}`, 'overwritten');
      expect({ path, status: response.status }).toEqual({ path, status: 403 });
    }
    expect(await stored('submissions/t2/job9.json')).toBe(secret);
    expect((await raw('PUT', `/uploads/t1/file.ndjson${signed.search}`, 'ok')).status).toBe(200);
    expect(await stored('uploads/t1/file.ndjson')).toBe('ok');
  });

  it("answers malformed signing parameters with CloudFront's 403, never a 5xx", async () => {
    const valid = new URL(await sign('/uploads/t1/m.ndjson'));
    const param = (name: string) => valid.searchParams.get(name)!;
    const withParams = (params: string) => `/uploads/t1/m.ndjson?${params}`;
    const canned = `Expires=${param('Expires')}&Signature=${param('Signature')}`;
    const policy = (json: string) =>
      withParams(`Policy=${cloudFrontBase64(json)}&Signature=${param('Signature')}&Key-Pair-Id=${keyPairId}`);
    const cases: [string, string][] = [
      [withParams(`${canned}&Key-Pair-Id=constructor`), 'InvalidKey'],
      [withParams(`${canned}&Key-Pair-Id=__proto__`), 'InvalidKey'],
      [withParams(`${canned}&Key-Pair-Id=hasOwnProperty`), 'InvalidKey'],
      [withParams(`${canned}&Key-Pair-Id=%E0%A4%A`), 'AccessDenied'],
      [withParams(`Expires=${param('Expires')}&Signature=%ZZ&Key-Pair-Id=${keyPairId}`), 'AccessDenied'],
      [withParams(`${canned}&Key-Pair-Id=${keyPairId}&Key-Pair-Id=${keyPairId}`), 'AccessDenied'],
      [withParams(`${canned}&Signature=${param('Signature')}&Key-Pair-Id=${keyPairId}`), 'AccessDenied'],
      [withParams(`Expires=${param('Expires')}&Signature=!!!*&Key-Pair-Id=${keyPairId}`), 'AccessDenied'],
      [
        withParams(`Expires=${param('Expires')}&Signature=${'A'.repeat(8000)}&Key-Pair-Id=${keyPairId}`),
        'AccessDenied',
      ],
      [withParams(`${canned}&Key-Pair-Id=${'K'.repeat(8000)}`), 'InvalidKey'],
      [withParams(`Expires=-1&Signature=${param('Signature')}&Key-Pair-Id=${keyPairId}`), 'MalformedPolicy'],
      [withParams(`Policy=!!!&Signature=${param('Signature')}&Key-Pair-Id=${keyPairId}`), 'MalformedPolicy'],
      [policy('null'), 'MalformedPolicy'],
      [policy('[]'), 'MalformedPolicy'],
      [policy('"Statement"'), 'MalformedPolicy'],
      [policy('{"Statement":"x"}'), 'MalformedPolicy'],
      [policy('{"Statement":[null]}'), 'MalformedPolicy'],
      [policy('{"Statement":[{"Condition":null}]}'), 'MalformedPolicy'],
      [
        policy('{"Statement":[{"Resource":5,"Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}'),
        'MalformedPolicy',
      ],
      [policy('{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":"1"}}}]}'), 'MalformedPolicy'],
      [
        policy(
          '{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":9e9},"IpAddress":{"AWS:SourceIp":1}}}]}',
        ),
        'MalformedPolicy',
      ],
      [policy('{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":9e9}}}]}'), 'AccessDenied'],
    ];
    for (const [path, code] of cases) {
      for (const method of ['GET', 'PUT']) {
        const response = await raw(method, path, method === 'PUT' ? 'x' : undefined);
        expect({ path, method, status: response.status, code: errorCode(response.body) }).toEqual({
          path,
          method,
          status: 403,
          code,
        });
      }
    }
    expect(await stored('uploads/t1/m.ndjson')).toBeUndefined();
  });
});

describe('signed URL helpers', () => {
  it('maps a path to one literal key, refusing those the local bucket cannot hold', () => {
    expect(literalKey('/uploads/t/j/a%20b.ndjson')).toEqual({ key: 'uploads/t/j/a b.ndjson' });
    expect(literalKey('/docs/')).toEqual({ key: 'docs/' });
    expect(literalKey('/')).toEqual({ key: '' });
    expect(literalKey('/%252e%252e')).toEqual({ key: '%2e%2e' });
    for (const path of ['/..', '/a/%2e', '/a//b', '//a', '/a%00', `/${'a'.repeat(250)}`]) {
      expect(literalKey(path)).toEqual({ error: 'Unstorable' });
    }
    expect(literalKey('/%')).toEqual({ error: 'InvalidURI' });
    expect(literalKey(`/${'a/'.repeat(513)}`)).toEqual({ error: 'KeyTooLong' });
  });

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
