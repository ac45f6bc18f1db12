import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  GROUP_LIMITS,
  groupExecutionInput,
  groupIdOf,
  groupKey,
  planGroups,
  type InlineJob,
} from '../../shared/pipeline/grouping';

const job = (jobId: string, events: unknown[] = [{ id: jobId }], tenant = 't'): InlineJob => ({
  jobId,
  tenant,
  events,
});
const deliveries = (jobs: InlineJob[]) => jobs.map((j, n) => ({ job: j, delivery: `m-${n}` }));
const ids = (n: number) => Array.from({ length: n }, (_, i) => `JOB-${String(i).padStart(6, '0')}`);

describe('groupIdOf', () => {
  it('is g- and the first 40 hex digits of SHA-256 over the sorted unique jobIds, joined by newlines', () => {
    const expected = `g-${createHash('sha256').update('A\nB\nC').digest('hex').slice(0, 40)}`;
    expect(groupIdOf(['C', 'A', 'B', 'A'])).toBe(expected);
    expect(groupIdOf(['A', 'B', 'C'])).toBe(expected);
    expect(groupIdOf(['A', 'B'])).not.toBe(expected);
  });

  it('is a valid execution name (at most 80 characters of [0-9a-zA-Z_-])', () => {
    expect(groupIdOf(ids(1000))).toMatch(/^g-[0-9a-f]{40}$/);
  });
});

describe('planGroups', () => {
  it('puts a small batch in one group, by jobId, with the group object and the execution input', () => {
    const [group, ...rest] = planGroups(deliveries([job('B'), job('A', [{ x: 1 }, { x: 2 }], 'u')]));
    expect(rest).toEqual([]);
    expect(group!.groupId).toBe(groupIdOf(['A', 'B']));
    expect(group!.key).toBe(`work/groups/${group!.groupId}.json`);
    expect(groupKey(group!.groupId)).toBe(group!.key);
    expect(JSON.parse(group!.body)).toEqual({
      groupId: group!.groupId,
      jobs: [
        { jobId: 'A', tenant: 'u', events: [{ x: 1 }, { x: 2 }] },
        { jobId: 'B', tenant: 't', events: [{ id: 'B' }] },
      ],
    });
    expect(group!.jobs).toEqual([
      { jobId: 'A', tenant: 'u' },
      { jobId: 'B', tenant: 't' },
    ]);
    expect(group!.deliveries).toEqual(['m-1', 'm-0']); // by jobId
    expect(groupExecutionInput(group!, 'bkt')).toEqual({
      group: { id: group!.groupId, bucket: 'bkt', key: group!.key },
      jobs: group!.jobs,
    });
  });

  it('holds at most 1,000 jobs per group', () => {
    const groups = planGroups(deliveries(ids(2_345).map((id) => job(id))));
    expect(groups.map((g) => g.jobs.length)).toEqual([1000, 1000, 345]);
    expect(groups.flatMap((g) => g.jobs.map((j) => j.jobId))).toEqual(ids(2_345));
  });

  it('keeps each group object within the byte limit, and gives an oversized job a group of its own', () => {
    const pad = 'x'.repeat(60 * 1024);
    const jobs = ids(200).map((id) => job(id, [{ id, pad }]));
    const groups = planGroups(deliveries(jobs));
    for (const group of groups) expect(Buffer.byteLength(group.body)).toBeLessThanOrEqual(5 * 1024 * 1024);
    expect(groups.length).toBeGreaterThanOrEqual(3);
    expect(groups.reduce((n, g) => n + g.jobs.length, 0)).toBe(200);

    const limits = { ...GROUP_LIMITS, maxObjectBytes: 1_000 };
    const big = planGroups(deliveries([job('A', ['y'.repeat(5_000)]), job('B'), job('C')]), limits);
    expect(big.map((g) => g.jobs.map((j) => j.jobId))).toEqual([['A'], ['B', 'C']]);
  });

  it('keeps the execution input within its byte limit', () => {
    const limits = { ...GROUP_LIMITS, maxInputBytes: 1_024 + 10 * 40 };
    const groups = planGroups(deliveries(ids(100).map((id) => job(id, [], 'tenant'))), limits);
    for (const group of groups) {
      expect(Buffer.byteLength(JSON.stringify(groupExecutionInput(group, 'b')))).toBeLessThanOrEqual(
        limits.maxInputBytes,
      );
    }
    expect(groups.reduce((n, g) => n + g.jobs.length, 0)).toBe(100);
  });

  it('carries a job delivered several times once, keeping every delivery with its group', () => {
    const [group] = planGroups([
      { job: job('A'), delivery: 'm-1' },
      { job: job('B'), delivery: 'm-2' },
      { job: job('A'), delivery: 'm-3' },
    ]);
    expect(group!.jobs.map((j) => j.jobId)).toEqual(['A', 'B']);
    expect(group!.deliveries).toEqual(['m-1', 'm-3', 'm-2']);
    expect(group!.groupId).toBe(groupIdOf(['A', 'B']));
  });

  it('gives the same groups (and groupIds) for the same jobs in any order, with any duplicates', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[0-9A-Z]{1,8}$/), { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat()),
        fc.integer({ min: 1, max: 7 }),
        (jobIds, picks, maxJobs) => {
          const limits = { ...GROUP_LIMITS, maxJobs };
          const once = planGroups(deliveries(jobIds.map((id) => job(id))), limits);
          const shuffled = [...jobIds].reverse();
          const again = [...shuffled, ...picks.map((p) => shuffled[p % shuffled.length]!)];
          const twice = planGroups(deliveries(again.map((id) => job(id))), limits);
          expect(twice.map((g) => g.groupId)).toEqual(once.map((g) => g.groupId));
          expect(twice.map((g) => g.body)).toEqual(once.map((g) => g.body));
          const carried = once.flatMap((g) => g.jobs.map((j) => j.jobId));
          expect(carried.length).toBe(jobIds.length);
          expect(new Set(carried)).toEqual(new Set(jobIds));
          for (const g of once) {
            expect(g.jobs.length).toBeLessThanOrEqual(maxJobs);
            expect(g.groupId).toBe(groupIdOf(g.jobs.map((j) => j.jobId)));
          }
          expect(twice.reduce((n, g) => n + g.deliveries.length, 0)).toBe(again.length);
        },
      ),
    );
  });

  it('makes no group of nothing', () => {
    expect(planGroups([])).toEqual([]);
  });
});
