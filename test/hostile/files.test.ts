/**
 * The hostile corpus, uploads (test/hostile/cases/files.ts): every file goes the client's way (POST /uploads,
 * then a PUT to the signed CDN URL), all of them in parallel, and each job must end exactly as its case says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pLimit from 'p-limit';
import { fileCases, type FileCase, type FileExpectation } from './cases/files';
import { allRejections, chunkCount, eventPath, startHostileCloud, type HostileCloud } from './cloud';

let cloud: HostileCloud;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the job view as the API returns it
const finished = new Map<FileCase, { job?: any; error?: unknown }>();

async function uploadAndWait(testCase: FileCase) {
  const created = await cloud.api.postJson('/uploads', { filename: testCase.filename });
  if (created.status !== 201)
    throw new Error(`POST /uploads answered ${created.status}: ${JSON.stringify(created.body)}`);
  const put = await fetch(created.body.uploadUrl, { method: 'PUT', body: testCase.body });
  await put.arrayBuffer();
  if (put.status !== 200) throw new Error(`the PUT to the signed URL answered ${put.status}`);
  return cloud.api.waitForJob(created.body.jobId, 150_000);
}

beforeAll(async () => {
  cloud = await startHostileCloud();
  const limit = pLimit(12);
  await Promise.all(
    fileCases.map((testCase) =>
      limit(async () => {
        try {
          finished.set(testCase, { job: await uploadAndWait(testCase) });
        } catch (error) {
          finished.set(testCase, { error });
        }
      }),
    ),
  );
}, 240_000);

afterAll(async () => {
  await cloud?.env.dispose();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the job view as the API returns it
async function verify(job: any, expected: FileExpectation): Promise<void> {
  if (expected.status === 'FAILED') {
    expect(job).toMatchObject({ status: 'FAILED', failure: { error: expected.error ?? expect.any(String) } });
    expect(job.failure.cause).toMatch(expected.cause);
    return;
  }
  expect(job).toMatchObject({ status: 'SUCCEEDED', counts: expected.counts });
  const rejections = await allRejections(cloud.api, job.jobId);
  if (expected.rejections) {
    expect(rejections.map((r) => r.index)).toEqual(expected.rejections.map((r) => r.index));
    expected.rejections.forEach((want, i) => {
      const got = rejections[i]!;
      if (typeof want.reason === 'string') expect(got.reason).toBe(want.reason);
      else expect(got.reason).toMatch(want.reason);
      if (want.id !== undefined) expect(got.id).toBe(want.id);
    });
  } else {
    expect(rejections).toEqual([]);
  }
  for (const text of expected.stored ?? []) {
    const candidate = JSON.parse(text) as { id: string; source: string };
    const stored = await cloud.api.get(eventPath(candidate.id, candidate.source));
    expect({ status: stored.status, body: stored.body }).toEqual({ status: 200, body: candidate });
  }
  if (expected.chunks) {
    const chunks = await chunkCount(cloud.env, job.executionArn);
    expect(chunks).toBeGreaterThanOrEqual(expected.chunks.min);
    expect(chunks).toBeLessThanOrEqual(expected.chunks.max);
  }
}

describe.concurrent('uploads', () => {
  for (const testCase of fileCases) {
    it(testCase.name, async () => {
      const { job, error } = finished.get(testCase)!;
      if (error) throw error;
      const alternatives = Array.isArray(testCase.expect) ? testCase.expect : [testCase.expect];
      const failures: unknown[] = [];
      for (const expected of alternatives) {
        try {
          await verify(job, expected);
          return;
        } catch (failure) {
          failures.push(failure);
        }
      }
      // The failure of the alternative that ends as this job did says the most.
      throw failures[
        Math.max(
          0,
          alternatives.findIndex((a) => a.status === job.status),
        )
      ];
    });
  }
});
