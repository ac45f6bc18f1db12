/**
 * The hostile corpus, per event (test/hostile/cases/events.ts): each group of cases is one POST, one job. The
 * job SUCCEEDS whatever its events hold; each bad event is rejected at its index with its reason (and its id
 * cut as the contract says), each good one is then readable back exactly as sent. Also: a tenant's
 * catastrophic schema pattern ends its job in bounded time while the API keeps answering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../../shared/cloudevents/limits';
import { event } from '../e2e/harness';
import {
  earlierJobEvent,
  eventCases,
  orderSchema,
  SCHEMA_TYPE,
  type EventCase,
  type EventJob,
} from './cases/events';
import {
  allRejections,
  eventPath,
  startHostileCloud,
  type HostileCloud,
  type ReportedRejection,
} from './cloud';

interface JobOutcome {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the job view as the API returns it
  job: any;
  rejections: Map<number, ReportedRejection>;
}

let cloud: HostileCloud;
const outcomes = new Map<EventJob, JobOutcome>();
const groups = new Map<EventJob, EventCase[]>();
for (const testCase of eventCases) groups.set(testCase.job, [...(groups.get(testCase.job) ?? []), testCase]);

async function runJob(cases: EventCase[]): Promise<JobOutcome> {
  const sent = await cloud.api.request('POST', '/events', {
    body: `[${cases.map((c) => c.candidate).join(',')}]`,
    headers: { 'content-type': 'application/json' },
  });
  if (sent.status !== 202)
    throw new Error(`POST /events answered ${sent.status}: ${JSON.stringify(sent.body)}`);
  const job = await cloud.api.waitForJob(sent.body.jobId, 120_000);
  const rejections = job.status === 'SUCCEEDED' ? await allRejections(cloud.api, job.jobId) : [];
  return { job, rejections: new Map(rejections.map((r) => [r.index, r])) };
}

beforeAll(async () => {
  cloud = await startHostileCloud();
  const schema = await cloud.api.putJson(`/schemas/${SCHEMA_TYPE}`, orderSchema);
  expect(schema.status).toBe(200);
  const earlier = await runJob([
    { name: 'earlier', job: 'envelope', candidate: earlierJobEvent, expect: { outcome: 'accepted' } },
  ]);
  expect(earlier.job.counts).toMatchObject({ accepted: 1 });
  await Promise.all([...groups].map(async ([name, cases]) => outcomes.set(name, await runJob(cases))));
}, 240_000);

afterAll(async () => {
  await cloud?.env.dispose();
});

/** The job ended SUCCEEDED (else its failure is the message). */
function succeeded(name: EventJob): JobOutcome {
  const outcome = outcomes.get(name)!;
  expect(
    outcome.job,
    `job ${name} ended ${outcome.job.status}: ${JSON.stringify(outcome.job.failure)}`,
  ).toMatchObject({
    status: 'SUCCEEDED',
  });
  return outcome;
}

const isKeyable = (value: unknown): value is string =>
  typeof value === 'string' && value !== '' && value.isWellFormed() && Buffer.byteLength(value) <= 1_000;

for (const [name, cases] of groups) {
  describe(`job "${name}" (${cases.length} events in one POST)`, () => {
    it('SUCCEEDS with exact counts and no rejection but the expected ones', () => {
      const { job, rejections } = succeeded(name);
      const count = (outcome: string) => cases.filter((c) => c.expect.outcome === outcome).length;
      expect(job.counts).toEqual({
        received: cases.length,
        accepted: count('accepted'),
        rejected: count('rejected'),
        duplicates: count('duplicate'),
      });
      const expectedIndexes = cases.flatMap((c, index) => (c.expect.outcome === 'rejected' ? [index] : []));
      expect([...rejections.keys()].sort((a, b) => a - b)).toEqual(expectedIndexes);
    });

    describe.concurrent('each event', () => {
      cases.forEach((testCase, index) => {
        it(`[${index}] ${testCase.name}`, async () => {
          const { rejections } = succeeded(name);
          const reported = rejections.get(index);
          const candidate = JSON.parse(testCase.candidate) as Record<string, unknown> | null;
          const id = typeof candidate?.id === 'string' ? candidate.id : null;
          const source = candidate?.source;
          const expected = testCase.expect;
          if (expected.outcome !== 'rejected') {
            expect(reported).toBeUndefined();
            if (expected.outcome === 'duplicate') return;
            const stored = await cloud.api.get(eventPath(id!, source as string));
            expect({ status: stored.status, body: stored.body }).toEqual({ status: 200, body: candidate });
            if (expected.byType) {
              const type = candidate!.type as string;
              const more = typeof expected.byType === 'string' ? `&${expected.byType}` : '';
              const listed = await cloud.api.get(`/events?type=${encodeURIComponent(type)}&limit=100${more}`);
              expect(listed.status).toBe(200);
              expect(listed.body.items).toContainEqual(candidate);
            }
            return;
          }
          expect(reported, 'the event was not rejected').toBeDefined();
          if (typeof expected.reason === 'string') expect(reported!.reason).toBe(expected.reason);
          else expect(reported!.reason).toMatch(expected.reason);
          if (!expected.anyId) {
            const { id: shownId, idTruncated } = rejection(index, id, reported!.reason);
            expect({ id: reported!.id, idTruncated: reported!.idTruncated }).toEqual({
              id: shownId,
              idTruncated,
            });
          }
          if (isKeyable(id) && isKeyable(source)) {
            expect((await cloud.api.get(eventPath(id, source))).status).toBe(404);
          }
        });
      });
    });
  });
}

describe('schema patterns', () => {
  it('a catastrophic pattern (^(a+)+$) ends its job in bounded time, and /health answers meanwhile', async () => {
    const type = 'com.example.hostile.redos';
    const schema = { type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } };
    expect((await cloud.api.putJson(`/schemas/${type}`, schema)).status).toBe(200);
    const evil = event({ type, data: { name: `${'a'.repeat(40)}!` } });
    const good = event({ type, data: { name: 'aaaa' } });
    const sent = await cloud.api.postJson('/events', [evil, good]);
    expect(sent.status).toBe(202);

    let job = (await cloud.api.get(`/jobs/${sent.body.jobId}`)).body;
    while (job.status !== 'SUCCEEDED' && job.status !== 'FAILED') {
      const health = await cloud.anonymous.get('/health');
      expect({ status: health.status, body: health.body }).toEqual({ status: 200, body: { status: 'ok' } });
      await new Promise((resolve) => setTimeout(resolve, 250));
      job = (await cloud.api.get(`/jobs/${sent.body.jobId}`)).body;
    }
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      counts: { received: 2, accepted: 1, rejected: 1, duplicates: 0 },
      errors: [{ index: 0, id: evil.id, reason: 'data: must match pattern "^(a+)+$" (at /name)' }],
    });
    expect((await cloud.api.get(eventPath(good.id as string, good.source as string))).body).toEqual(good);
  }, 60_000);
});
