/** IngestGroup's domain logic over in-memory stores: per-job isolation, one finish per job, retries redo the same. */
import { describe, expect, it } from 'vitest';
import type { Rejection } from '../../shared/cloudevents/types';
import {
  ingestGroup,
  parseGroup,
  type GroupIngestDeps,
  type GroupJob,
  type JobOutcome,
} from '../../shared/pipeline/group';

const event = (id: string, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id,
  source: 'urn:test:group',
  type: 'com.example.plain',
  ...extra,
});

const throttled = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'ProvisionedThroughputExceededException',
    $metadata: { httpStatusCode: 400 },
  });

interface Finished {
  status: string;
  outcome: JobOutcome;
  writes: number;
}

/** A table of QUEUED jobs with a conditional finish, a first-write-wins event store, a bucket of report pages. */
function world(jobIds: string[], overrides: Partial<GroupIngestDeps> = {}) {
  const jobs = new Map<string, Finished | { status: 'QUEUED' }>(
    jobIds.map((id) => [id, { status: 'QUEUED' }]),
  );
  const events = new Map<string, { jobId: string; index: number; serialized: string }>();
  const pages = new Map<string, Rejection[]>();
  let finishCalls = 0;
  const deps: GroupIngestDeps = {
    maxEventBytes: 2048,
    writeConcurrency: 4,
    reportPageSize: 50,
    jobConcurrency: 3,
    async schemaFor(_tenant, type) {
      if (type === 'com.example.payment') {
        return { type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } };
      }
      return undefined;
    },
    async store(job, e, serialized, index) {
      const key = `${job.tenant}|${e.source}|${e.id}`;
      const current = events.get(key);
      if (current && !(current.jobId === job.jobId && current.index === index)) return 'duplicate';
      events.set(key, { jobId: job.jobId, index, serialized });
      return 'stored';
    },
    reportPrefix: (job) => `reports/${job.tenant}/${job.jobId}/errors/`,
    async writePage(key, rejections) {
      pages.set(key, rejections);
    },
    async finish(job, outcome) {
      finishCalls++;
      const current = jobs.get(job.jobId);
      if (current?.status !== 'QUEUED') return false;
      jobs.set(job.jobId, { status: outcome.status, outcome, writes: 1 });
      return true;
    },
    ...overrides,
  };
  return { deps, jobs, events, pages, finishCalls: () => finishCalls };
}

const job = (jobId: string, events: unknown, tenant = 'alice'): GroupJob =>
  ({ jobId, tenant, events }) as GroupJob;
const outcome = (w: ReturnType<typeof world>, jobId: string) => (w.jobs.get(jobId) as Finished).outcome;

describe('ingestGroup', () => {
  it('ingests every job and finishes each SUCCEEDED once with its own counts and indexes', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `job-${i}`);
    const w = world(ids);
    const group = {
      groupId: 'g-1',
      jobs: ids.map((id, i) => job(id, i === 0 ? [event('a'), event('b'), event('a')] : [event(`e-${i}`)])),
    };
    const summary = await ingestGroup(group, w.deps);
    expect(summary).toEqual({
      groupId: 'g-1',
      jobs: 20,
      succeeded: 20,
      failed: 0,
      skipped: 0,
      counts: { received: 22, accepted: 21, rejected: 0, duplicates: 1 },
    });
    expect(w.finishCalls()).toBe(20);
    expect(outcome(w, 'job-0')).toEqual({
      status: 'SUCCEEDED',
      counts: { received: 3, accepted: 2, rejected: 0, duplicates: 1 },
      errors: [],
    });
    expect(w.events.get('alice|urn:test:group|b')).toMatchObject({ jobId: 'job-0', index: 1 });
    expect(w.events.get('alice|urn:test:group|e-7')).toMatchObject({ jobId: 'job-7', index: 0 });
    expect(JSON.parse(w.events.get('alice|urn:test:group|e-7')!.serialized)).toEqual(event('e-7'));
    expect(w.pages.size).toBe(0);
  });

  it('rejects bad events inside their job, by position and with the id, keeping them on the job', async () => {
    const w = world(['j']);
    await ingestGroup(
      {
        groupId: 'g-2',
        jobs: [
          job('j', [
            event('ok'),
            event('old-spec', { specversion: '0.3' }),
            'not an object',
            event('pay', { type: 'com.example.payment', data: { amount: 'ten' } }),
          ]),
        ],
      },
      w.deps,
    );
    const result = outcome(w, 'j');
    expect(result.status).toBe('SUCCEEDED');
    if (result.status !== 'SUCCEEDED') return;
    expect(result.counts).toEqual({ received: 4, accepted: 1, rejected: 3, duplicates: 0 });
    expect(result.errors.map((e) => [e.index, e.id])).toEqual([
      [1, 'old-spec'],
      [2, null],
      [3, 'pay'],
    ]);
    expect(result.errors[0]!.reason).toMatch(/^specversion/);
    expect(result.report).toBeUndefined(); // ≤ 100 rejections: the job record holds them all
  });

  it('fails a poisoned job alone with its reason while the others SUCCEED', async () => {
    const w = world(['good-1', 'not-array', 'empty', 'good-2']);
    const failures: string[] = [];
    const summary = await ingestGroup(
      {
        groupId: 'g-3',
        jobs: [
          job('good-1', [event('g1')]),
          job('not-array', { specversion: '1.0' }),
          job('empty', []),
          job('good-2', [event('g2')]),
        ],
      },
      { ...w.deps, onJobFailed: (j) => failures.push(j.jobId) },
    );
    expect(summary).toMatchObject({ jobs: 4, succeeded: 2, failed: 2, skipped: 0 });
    expect(outcome(w, 'not-array')).toEqual({
      status: 'FAILED',
      failure: { error: 'SubmissionUnreadable', cause: 'the submission is not a JSON array of events' },
    });
    expect(outcome(w, 'empty')).toEqual({
      status: 'FAILED',
      failure: { error: 'EmptySubmission', cause: 'the submission holds no events' },
    });
    expect(w.jobs.get('good-1')!.status).toBe('SUCCEEDED');
    expect(w.jobs.get('good-2')!.status).toBe('SUCCEEDED');
    expect(failures.sort()).toEqual(['empty', 'not-array']);
  });

  it('fails a job whose success record the table refuses (not an infrastructure error), the others unaffected', async () => {
    const base = world(['big', 'small']);
    const refused = Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
    const summary = await ingestGroup(
      { groupId: 'g-4', jobs: [job('big', [event('b')]), job('small', [event('s')])] },
      {
        ...base.deps,
        finish: (j, o) =>
          j.jobId === 'big' && o.status === 'SUCCEEDED' ? Promise.reject(refused) : base.deps.finish(j, o),
      },
    );
    expect(summary).toMatchObject({ succeeded: 1, failed: 1 });
    expect(outcome(base, 'big')).toEqual({
      status: 'FAILED',
      failure: { error: 'ValidationException', cause: 'Item size has exceeded the maximum allowed size' },
    });
  });

  it("rejects the event, not the job, when the store refuses one event; the job's other events are stored", async () => {
    const w = world(['j', 'other']);
    const refused = Object.assign(new Error('key too large'), { name: 'ValidationException' });
    await ingestGroup(
      { groupId: 'g-5', jobs: [job('j', [event('x'), event('y')]), job('other', [event('z')])] },
      {
        ...w.deps,
        store: (j, e, s, i) => (e.id === 'x' ? Promise.reject(refused) : w.deps.store(j, e, s, i)),
      },
    );
    const result = outcome(w, 'j');
    expect(result).toMatchObject({ status: 'SUCCEEDED', counts: { received: 2, accepted: 1, rejected: 1 } });
    expect(result.status === 'SUCCEEDED' && result.errors[0]).toMatchObject({
      index: 0,
      id: 'x',
      reason: 'event: could not be stored (ValidationException: key too large)',
    });
    expect(w.jobs.get('other')!.status).toBe('SUCCEEDED');
  });

  it('skips a job another execution already finished, without error, and leaves its result as it was', async () => {
    const w = world(['done', 'open']);
    const earlier: Finished = {
      status: 'SUCCEEDED',
      outcome: {
        status: 'SUCCEEDED',
        counts: { received: 1, accepted: 1, rejected: 0, duplicates: 0 },
        errors: [],
      },
      writes: 1,
    };
    w.jobs.set('done', earlier);
    // The same job processed again: its event was written by (done, 0) and is rewritten, not a duplicate.
    w.events.set('alice|urn:test:group|d', { jobId: 'done', index: 0, serialized: '{}' });
    const summary = await ingestGroup(
      { groupId: 'g-6', jobs: [job('done', [event('d')]), job('open', [event('o')])] },
      w.deps,
    );
    expect(summary).toMatchObject({ jobs: 2, succeeded: 1, failed: 0, skipped: 1 });
    expect(w.jobs.get('done')).toBe(earlier);
    expect(summary.counts.accepted).toBe(1); // only the job this execution finished
  });

  it('throws an infrastructure error (the task is retried) and a retry ends every job the same', async () => {
    const ids = ['a', 'b', 'c', 'd'];
    const w = world(ids);
    const group = {
      groupId: 'g-7',
      jobs: ids.map((id) => job(id, [event(`ev-${id}`), event(`ev-${id}-2`)])),
    };
    let fail = true;
    await expect(
      ingestGroup(group, {
        ...w.deps,
        store: (j, e, s, i) =>
          fail && j.jobId === 'c' ? Promise.reject(throttled()) : w.deps.store(j, e, s, i),
      }),
    ).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(w.jobs.get('c')!.status).toBe('QUEUED');
    fail = false;
    const summary = await ingestGroup(group, w.deps);
    expect(summary.succeeded + summary.skipped).toBe(4);
    for (const id of ids) {
      expect(outcome(w, id)).toEqual({
        status: 'SUCCEEDED',
        counts: { received: 2, accepted: 2, rejected: 0, duplicates: 0 },
        errors: [],
      });
    }
  });

  it('throws when the finish itself fails on the infrastructure, leaving the job QUEUED', async () => {
    const w = world(['a']);
    await expect(
      ingestGroup(
        { groupId: 'g-8', jobs: [job('a', [event('f')])] },
        { ...w.deps, finish: () => Promise.reject(throttled()) },
      ),
    ).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(w.jobs.get('a')!.status).toBe('QUEUED');
  });

  it('keeps the first 100 rejections on the job and writes the report in pages past 100', async () => {
    const w = world(['many']);
    const candidates = Array.from({ length: 130 }, (_, i) =>
      i % 13 === 0 ? event(`fine-${i}`) : event(`bad-${i}`, { specversion: '0.3' }),
    );
    await ingestGroup({ groupId: 'g-9', jobs: [job('many', candidates)] }, w.deps);
    const result = outcome(w, 'many');
    if (result.status !== 'SUCCEEDED') throw new Error('expected SUCCEEDED');
    expect(result.counts).toEqual({ received: 130, accepted: 10, rejected: 120, duplicates: 0 });
    expect(result.errors).toHaveLength(100);
    expect(result.report).toEqual({ prefix: 'reports/alice/many/errors/', pageSize: 50, count: 120 });
    expect([...w.pages.keys()]).toEqual([
      'reports/alice/many/errors/0.json',
      'reports/alice/many/errors/1.json',
      'reports/alice/many/errors/2.json',
    ]);
    const all = [...w.pages.values()].flat();
    expect(all).toHaveLength(120);
    expect(all.slice(0, 100)).toEqual(result.errors);
    expect(all.map((r) => r.index)).toEqual(candidates.map((_, i) => i).filter((i) => i % 13 !== 0));
  });

  it('reads each (tenant, type) schema once per group and runs at most jobConcurrency jobs at a time', async () => {
    const lookups: string[] = [];
    let inFlight = 0;
    let most = 0;
    const w = world([]);
    const ids = Array.from({ length: 12 }, (_, i) => `p-${i}`);
    for (const id of ids) w.jobs.set(id, { status: 'QUEUED' });
    await ingestGroup(
      {
        groupId: 'g-10',
        jobs: ids.map((id) =>
          job(
            id,
            [event(id, { type: 'com.example.payment', data: { amount: 1 } })],
            id < 'p-5' ? 'alice' : 'bob',
          ),
        ),
      },
      {
        ...w.deps,
        schemaFor: (tenant, type) => {
          lookups.push(`${tenant}/${type}`);
          return w.deps.schemaFor(tenant, type);
        },
        finish: async (j, o) => {
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          inFlight--;
          return w.deps.finish(j, o);
        },
      },
    );
    expect(lookups.sort()).toEqual(['alice/com.example.payment', 'bob/com.example.payment']);
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThan(1);
  });

  it('counts a group entry without a jobId or tenant as failed without touching the other jobs', async () => {
    const w = world(['ok']);
    const summary = await ingestGroup(
      {
        groupId: 'g-11',
        jobs: [{ tenant: 'alice', events: [] } as unknown as GroupJob, job('ok', [event('k')])],
      },
      w.deps,
    );
    expect(summary).toMatchObject({ jobs: 2, succeeded: 1, failed: 1 });
  });
});

describe('parseGroup', () => {
  it('accepts the group object and refuses one without a jobs array or for another group', () => {
    expect(parseGroup({ groupId: 'g-1', jobs: [] }, 'g-1')).toEqual({ groupId: 'g-1', jobs: [] });
    expect(() => parseGroup({ groupId: 'g-1' }, 'g-1')).toThrow(
      expect.objectContaining({ name: 'SubmissionUnreadable' }),
    );
    expect(() => parseGroup(null, 'g-1')).toThrow(/no jobs array/);
    expect(() => parseGroup({ groupId: 'g-2', jobs: [] }, 'g-1')).toThrow(/names group g-2, not g-1/);
  });
});

describe('ingestGroup validation time', () => {
  it("shares validation time: one tenant's slow schema spends its own budget, not the group's task time", async () => {
    // uniqueItems over objects is quadratic: 20,000 distinct objects take far longer than the 20 ms per event.
    const slow = Array.from({ length: 20_000 }, (_, i) => ({ i }));
    const w = world([], {
      validationTime: { perEventMs: 20, perChunkMs: 100 },
      jobConcurrency: 1,
      async schemaFor(tenant) {
        return tenant === 'mallory' ? { type: 'array', uniqueItems: true } : { type: 'array' };
      },
    });
    const jobs = [
      ...Array.from({ length: 30 }, (_, i) => job(`slow-${i}`, [event(`s${i}`, { data: slow })], 'mallory')),
      job('bob-1', [event('b1', { data: [1, 2] })], 'bob'),
    ];
    for (const j of jobs) w.jobs.set(j.jobId, { status: 'QUEUED' });
    await ingestGroup({ groupId: 'g-budget', jobs }, { ...w.deps, maxEventBytes: 1_000_000 });
    const reasons = jobs.slice(0, 30).map((j) => {
      const finished = outcome(w, j.jobId);
      return finished.status === 'SUCCEEDED' ? finished.errors[0]?.reason : finished.failure.cause;
    });
    // Without a shared budget each of the 30 jobs would spend its own 100 ms: 30 stopped events, 30 × 20 ms.
    const stopped = reasons.filter((r) => r === 'data: schema validation stopped after 20 ms').length;
    expect(stopped).toBeGreaterThanOrEqual(1);
    expect(stopped).toBeLessThanOrEqual(6);
    expect(reasons[0]).toBe('data: schema validation stopped after 20 ms');
    expect(reasons.at(-1)).toBe(
      "data: not validated: this tenant's jobs spent their 100 ms schema validation budget in this group execution",
    );
    expect(outcome(w, 'bob-1')).toMatchObject({ status: 'SUCCEEDED', counts: { accepted: 1, rejected: 0 } });
  });
});
