/**
 * Grouping inline submissions (docs/design.md, "Starter"): the starter partitions the inline jobs of one SQS
 * batch into groups, writes each group's events to S3 once (`work/groups/<groupId>.json`) and starts one
 * execution per group, named by the groupId. Pure: no AWS here.
 *
 * - Deliveries of one job (duplicate SQS deliveries) are deduplicated by jobId; the group keeps every delivery,
 *   so all of them share the group's outcome.
 * - Jobs are ordered by jobId before partitioning, so a redelivered identical set gives identical groups, hence
 *   identical groupIds, hence `ExecutionAlreadyExists` for a group that already started.
 * - A group holds at most `maxJobs` jobs, its object at most `maxObjectBytes` and its execution input at most
 *   `maxInputBytes` (Step Functions takes 256 KiB); a single job larger than that still gets a group of its own.
 */
import { createHash } from 'node:crypto';
import type { JobRef } from '../api/queue-messages';

/** An inline job as its message carries it. */
export interface InlineJob extends JobRef {
  events: unknown[];
}

/** The group object in S3: `{"groupId","jobs":[{"jobId","tenant","events"}]}`. */
export interface GroupObject {
  groupId: string;
  jobs: InlineJob[];
}

/** A grouped execution's input: the group object's address and the jobs it carries (shown in the console). */
export interface GroupExecutionInput {
  group: { id: string; bucket: string; key: string };
  jobs: JobRef[];
}

export interface GroupLimits {
  maxJobs: number;
  maxObjectBytes: number;
  maxInputBytes: number;
}

export const GROUP_LIMITS: GroupLimits = {
  maxJobs: 1_000,
  maxObjectBytes: 5 * 1024 * 1024,
  maxInputBytes: 200 * 1024,
};

export interface Group<D> {
  groupId: string;
  /** `work/groups/<groupId>.json` */
  key: string;
  /** The group object's JSON text (what is PUT). */
  body: string;
  /** The jobs, by jobId. */
  jobs: JobRef[];
  /** Every delivery of those jobs (duplicates included), by jobId. */
  deliveries: D[];
}

export const GROUP_PREFIX = 'work/groups/';

/** `g-` + the first 40 hex digits of SHA-256 over the sorted unique jobIds joined by "\n" (80 characters max). */
export function groupIdOf(jobIds: Iterable<string>): string {
  const sorted = [...new Set(jobIds)].sort(compare);
  return `g-${createHash('sha256').update(sorted.join('\n')).digest('hex').slice(0, 40)}`;
}

export const groupKey = (groupId: string): string => `${GROUP_PREFIX}${groupId}.json`;

export function groupExecutionInput(group: Group<unknown>, bucket: string): GroupExecutionInput {
  return { group: { id: group.groupId, bucket, key: group.key }, jobs: group.jobs };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const bytes = (text: string) => Buffer.byteLength(text);

/** Partitions the inline jobs of a batch into groups (see the module comment). */
export function planGroups<D>(
  deliveries: { job: InlineJob; delivery: D }[],
  limits: GroupLimits = GROUP_LIMITS,
): Group<D>[] {
  const byJob = new Map<string, { job: InlineJob; deliveries: D[] }>();
  for (const { job, delivery } of deliveries) {
    const seen = byJob.get(job.jobId);
    if (seen) seen.deliveries.push(delivery);
    else byJob.set(job.jobId, { job, deliveries: [delivery] });
  }
  const jobs = [...byJob.values()].sort((a, b) => compare(a.job.jobId, b.job.jobId));

  // `{"groupId":"g-<40 hex>","jobs":[…]}` and `{"group":{"id","bucket","key"},"jobs":[…]}`: generous envelopes.
  const objectEnvelope = 64;
  const inputEnvelope = 1_024;
  const groups: Group<D>[] = [];
  let entries: string[] = [];
  let current: typeof jobs = [];
  let objectBytes = 0;
  let inputBytes = 0;
  const close = () => {
    if (current.length === 0) return;
    const groupId = groupIdOf(current.map(({ job }) => job.jobId));
    groups.push({
      groupId,
      key: groupKey(groupId),
      body: `{"groupId":${JSON.stringify(groupId)},"jobs":[${entries.join(',')}]}`,
      jobs: current.map(({ job }) => ({ jobId: job.jobId, tenant: job.tenant })),
      deliveries: current.flatMap((item) => item.deliveries),
    });
    entries = [];
    current = [];
    objectBytes = 0;
    inputBytes = 0;
  };
  for (const item of jobs) {
    const { jobId, tenant, events } = item.job;
    const entry = JSON.stringify({ jobId, tenant, events });
    const entryBytes = bytes(entry) + 1;
    const refBytes = bytes(JSON.stringify({ jobId, tenant })) + 1;
    const full =
      current.length >= limits.maxJobs ||
      objectEnvelope + objectBytes + entryBytes > limits.maxObjectBytes ||
      inputEnvelope + inputBytes + refBytes > limits.maxInputBytes;
    if (full) close();
    entries.push(entry);
    current.push(item);
    objectBytes += entryBytes;
    inputBytes += refBytes;
  }
  close();
  return groups;
}
