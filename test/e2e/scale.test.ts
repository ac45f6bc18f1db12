/**
 * Small submissions at scale against a local cloud, through the real API, queue, starter and workflow: 500
 * concurrent single-event POSTs share a handful of executions and every job SUCCEEDS with exact counts; a storm
 * of ThrottlingException from StartExecution delays jobs but fails none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, event, signUpAndIn, startTestCloud, type TestCloud } from './harness';

let env: TestCloud;
let api: Api;

beforeAll(async () => {
  env = await startTestCloud();
  api = new Api(env.endpoints.apiUrl, (await signUpAndIn(env.endpoints, 'scale')).idToken);
}, 60_000);

afterAll(async () => {
  await env?.dispose();
});

/** Posts `count` single events at once; each answer must be 202 with its job id. */
async function postSingles(count: number): Promise<string[]> {
  const sent = await Promise.all(Array.from({ length: count }, () => api.postJson('/events', event())));
  expect(sent.map((response) => response.status)).toEqual(Array(count).fill(202));
  return sent.map((response) => response.body.jobId as string);
}

const finished = (jobIds: string[]) => Promise.all(jobIds.map((jobId) => api.waitForJob(jobId, 120_000)));

describe('small submissions share executions', () => {
  it('500 concurrent single-event POSTs all SUCCEED with exact counts, in at most 10 executions', async () => {
    const jobs = await finished(await postSingles(500));
    expect(jobs.filter((job) => job.status !== 'SUCCEEDED')).toEqual([]);
    for (const job of jobs) {
      expect(job.counts).toEqual({ received: 1, accepted: 1, rejected: 0, duplicates: 0 });
      expect(job.executionArn).toMatch(/:execution:[^:]+:g-[0-9a-f]{40}$/);
    }
    const executions = new Set(jobs.map((job) => job.executionArn as string));
    expect(executions.size).toBeGreaterThanOrEqual(1);
    expect(executions.size).toBeLessThanOrEqual(10);
  }, 180_000);

  it('absorbs a storm of ThrottlingException from StartExecution: every job SUCCEEDS', async () => {
    // More throttled calls than the SDK's own three attempts: the starter's backoff must carry the rest.
    env.cloud.throttleStartExecution(12);
    const jobs = await finished(await postSingles(50));
    expect(jobs.filter((job) => job.status !== 'SUCCEEDED').map((job) => job.failure)).toEqual([]);
    expect(jobs.every((job) => job.counts.accepted === 1)).toBe(true);
    expect(env.cloud.pendingStartExecutionThrottles()).toBe(0); // the storm did hit the starter
  }, 180_000);
});
