/**
 * The hostile corpus, request level and CDN (test/hostile/cases/requests.ts, cases/cdn.ts): every malformed
 * request gets its exact 4xx, never a 5xx, and the CDN never serves a key outside what was asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { localCredentials as s3Credentials } from '../../local/services/credentials';
import { type ApiResponse, type Json } from '../../local/client';
import { Api, event } from '../e2e/harness';
import { cdnCases, type CdnContext } from './cases/cdn';
import {
  requestCases,
  type RequestContext,
  type RequestExpectation,
  type RequestSpec,
} from './cases/requests';
import { allRejections, rawRequest, startHostileCloud, type HostileCloud } from './cloud';

let cloud: HostileCloud;
let ctx: RequestContext;
let cdnCtx: CdnContext;
/** An event id held by the submission object the CDN cases try to reach. */
let secretId: string;

beforeAll(async () => {
  cloud = await startHostileCloud();
  const [mine, theirs, secret] = await Promise.all([
    cloud.api.postJson('/events', [event(), { specversion: '1.0' }]),
    cloud.otherApi.postJson('/events', [event()]),
    cloud.api.postJson('/events', [event()]),
  ]);
  for (const sent of [mine, theirs, secret]) expect(sent.status).toBe(202);
  await Promise.all([
    cloud.api.waitForJob(mine.body.jobId),
    cloud.otherApi.waitForJob(theirs.body.jobId),
    cloud.api.waitForJob(secret.body.jobId),
  ]);
  ctx = {
    sub: cloud.user.sub,
    otherSub: cloud.other.sub,
    jobId: mine.body.jobId,
    otherJobId: theirs.body.jobId,
  };

  // The job's submission object, written again here so that it exists whatever the pipeline keeps.
  secretId = `secret-${randomUUID()}`;
  await withS3((s3) =>
    s3.send(
      new PutObjectCommand({
        Bucket: cloud.env.endpoints.bucketName,
        Key: `submissions/${cloud.user.sub}/${secret.body.jobId}.json`,
        Body: JSON.stringify([event({ id: secretId })]),
      }),
    ),
  );
  const upload = await cloud.api.postJson('/uploads', { filename: 'cdn.ndjson' });
  expect(upload.status).toBe(201);
  const uploadUrl = upload.body.uploadUrl as string;
  expect(uploadUrl.startsWith(cloud.env.endpoints.cdnUrl)).toBe(true);
  cdnCtx = {
    sub: cloud.user.sub,
    jobId: secret.body.jobId,
    signedTarget: uploadUrl.slice(cloud.env.endpoints.cdnUrl.length),
  };
}, 120_000);

afterAll(async () => {
  await cloud?.env.dispose();
});

/** The local S3 itself (not through the CDN). */
async function withS3<T>(use: (s3: S3Client) => Promise<T>): Promise<T> {
  const s3 = new S3Client({
    endpoint: cloud.env.endpoints.s3Endpoint,
    region: cloud.env.endpoints.region,
    credentials: s3Credentials,
    forcePathStyle: true,
  });
  try {
    return await use(s3);
  } finally {
    s3.destroy();
  }
}

function send(spec: RequestSpec): Promise<ApiResponse<Json>> {
  const api =
    spec.as === 'anonymous'
      ? cloud.anonymous
      : spec.as === 'junk-token'
        ? new Api(cloud.env.endpoints.apiUrl, 'junk.token.value')
        : cloud.api;
  return api.request(spec.method, spec.path, { body: spec.body, headers: spec.headers });
}

async function verify(response: ApiResponse<Json>, expected: RequestExpectation): Promise<void> {
  const seen = { status: response.status, body: response.body };
  if ('gateway' in expected) {
    expect(seen).toEqual({ status: expected.status, body: { message: expected.gateway } });
  } else if ('code' in expected) {
    expect(seen).toEqual({
      status: expected.status,
      body: { error: { code: expected.code, message: expect.any(String), details: expect.any(Array) } },
    });
    if (expected.message) expect(response.body.error.message).toMatch(expected.message);
    if (expected.parameter) {
      expect(response.body.error.details).toContainEqual(
        expect.objectContaining({ parameter: expected.parameter }),
      );
    }
  } else if ('job' in expected) {
    expect(seen).toMatchObject({ status: 202, body: { jobId: expect.any(String), status: 'QUEUED' } });
    const job = await cloud.api.waitForJob(response.body.jobId, 90_000);
    expect(job).toMatchObject({ status: 'SUCCEEDED', counts: expected.job.counts });
    const reasons = (await allRejections(cloud.api, job.jobId)).map((r) => r.reason);
    if (expected.job.reasons) expect(reasons).toEqual(expected.job.reasons);
    if (expected.job.everyReason) {
      expect(reasons).toHaveLength(expected.job.counts.rejected);
      expect(new Set(reasons)).toEqual(new Set([expected.job.everyReason]));
    }
  } else {
    expect(seen).toMatchObject({ status: expected.status, body: expected.body });
  }
}

describe.concurrent('request level', () => {
  for (const testCase of requestCases) {
    it(
      testCase.name,
      async () => {
        const response = await send(testCase.request(ctx));
        const alternatives = Array.isArray(testCase.expect) ? testCase.expect : [testCase.expect];
        const failures: unknown[] = [];
        for (const expected of alternatives) {
          try {
            await verify(response, expected);
            return;
          } catch (error) {
            failures.push(error);
          }
        }
        throw failures[
          Math.max(
            0,
            alternatives.findIndex((a) => a.status === response.status),
          )
        ];
      },
      120_000,
    );
  }
});

describe("listings stay under Lambda's 6 MB response", () => {
  it('GET /events of 16 events of 240 KB of quotes (≈ 7.7 MB escaped) pages them instead of a 500', async () => {
    const type = `com.example.hostile.bulky.${randomUUID()}`;
    // Each `"` is `\"` in the event's JSON and `\\\"` once that JSON is the response's body string.
    const bulky = () => event({ type, data: '"'.repeat(120_000) });
    const sent = Array.from({ length: 16 }, bulky);
    for (let i = 0; i < sent.length; i += 4) {
      const posted = await cloud.api.postJson('/events', sent.slice(i, i + 4));
      expect(posted.status).toBe(202);
      expect(await cloud.api.waitForJob(posted.body.jobId, 90_000)).toMatchObject({
        status: 'SUCCEEDED',
        counts: { accepted: 4 },
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page = await cloud.api.get(`/events?type=${encodeURIComponent(type)}&limit=100${query}`);
      expect({ status: page.status, error: page.body?.error ?? page.body?.message }).toEqual({
        status: 200,
        error: undefined,
      });
      seen.push(...(page.body.items as { id: string }[]).map((item) => item.id));
      cursor = page.body.nextCursor as string | null;
      pages++;
    } while (cursor !== null && pages < 20);
    expect(pages).toBeGreaterThan(1);
    expect(seen.sort()).toEqual(sent.map((e) => e.id as string).sort());
  }, 180_000);
});

describe('CDN', () => {
  it('the submission the cases aim at exists in S3', async () => {
    const key = `submissions/${cdnCtx.sub}/${cdnCtx.jobId}.json`;
    const object = await withS3((s3) =>
      s3.send(new GetObjectCommand({ Bucket: cloud.env.endpoints.bucketName, Key: key })),
    );
    expect(await object.Body!.transformToString()).toContain(secretId);
  });

  for (const testCase of cdnCases) {
    it(testCase.name, async () => {
      const { method, target } = testCase.request(cdnCtx);
      const body = method === 'GET' ? undefined : Buffer.from(`${JSON.stringify(event())}\n`);
      const response = await rawRequest(cloud.env.endpoints.cdnUrl, target, { method, body });
      expect(testCase.status).toContain(response.status);
      expect(response.body.toString('utf8')).not.toContain(secretId);
    });
  }

  it('the signed URL the cases tampered with still works untouched, and cannot read the file back', async () => {
    const sent = event();
    const response = await rawRequest(cloud.env.endpoints.cdnUrl, cdnCtx.signedTarget, {
      method: 'PUT',
      body: Buffer.from(`${JSON.stringify(sent)}\n`),
    });
    expect(response.status).toBe(200);
    const readBack = await rawRequest(cloud.env.endpoints.cdnUrl, cdnCtx.signedTarget);
    expect(readBack.status).toBe(403);
    expect(readBack.body.toString('utf8')).not.toContain(sent.id as string);
  });
});
