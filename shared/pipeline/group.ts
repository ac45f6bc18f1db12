/**
 * IngestGroup's domain logic: one execution carries up to 1,000 small inline submissions (docs/design.md
 * "Workflow"). Each job's candidates go through the same per-chunk ingest as a chunk of a big job (one line per
 * candidate, index = position), and each job is finished by ONE conditional write QUEUED → SUCCEEDED | FAILED
 * (no RUNNING write: it would cost a write unit per job). A job already finished (another execution got there
 * first) is skipped: events are first-write-wins by (jobId, idx), so a second processing counts the same.
 * One bad job fails alone; an infrastructure error fails the whole task so Step Functions retries it.
 */
import pLimit from 'p-limit';
import type { Rejection } from '../cloudevents/types';
import type { JobCounts, JobFailure, ReportPages } from '../jobs/model';
import { isInfrastructureError, TaskError } from './errors';
import { ingestChunk, type IngestDeps } from './ingest';
import { VALIDATION_TIME_LIMITS, validationBudget, type ValidationBudget } from '../schemas/time-bound';
import { ReportWriter } from './report';

/** One job of a group object (`work/groups/<groupId>.json`): the candidates exactly as submit-events parsed them. */
export interface GroupJob {
  jobId: string;
  tenant: string;
  events: unknown[];
}

export interface GroupObject {
  groupId: string;
  jobs: GroupJob[];
}

/** How a job ends: its one conditional write. */
export type JobOutcome =
  | { status: 'SUCCEEDED'; counts: JobCounts; errors: Rejection[]; report?: ReportPages }
  | { status: 'FAILED'; failure: JobFailure };

export interface GroupIngestDeps extends Pick<
  IngestDeps,
  'maxEventBytes' | 'writeConcurrency' | 'validationTime'
> {
  /** Rejections per report page; pages are written only when a job has more than `firstErrorsLimit`. */
  reportPageSize: number;
  /** Jobs in flight at once. */
  jobConcurrency: number;
  /** Rejections kept on the job record (100). */
  firstErrorsLimit?: number;
  schemaFor(tenant: string, type: string): Promise<unknown | undefined>;
  store(
    job: GroupJob,
    event: Parameters<IngestDeps['store']>[0],
    serialized: string,
    index: number,
  ): Promise<'stored' | 'duplicate'>;
  /** The job's report prefix (reports/<tenant>/<jobId>/errors/). */
  reportPrefix(job: GroupJob): string;
  writePage(key: string, rejections: Rejection[]): Promise<void>;
  /** The conditional finish QUEUED → status; false when the condition failed (already finished, or no such job). */
  finish(job: GroupJob, outcome: JobOutcome): Promise<boolean>;
  /** Told about each job that failed, with its reason (for a WARN line: failures are rare, successes are not logged). */
  onJobFailed?(job: GroupJob, failure: JobFailure): void;
}

export interface GroupSummary {
  groupId: string;
  jobs: number;
  succeeded: number;
  failed: number;
  /** Already finished by another execution: left as they were. */
  skipped: number;
  /** Events of the jobs this execution finished. */
  counts: JobCounts;
}

const MAX_CAUSE_CHARS = 2000;

const failureOf = (error: unknown): JobFailure => {
  const e = error as { name?: unknown; message?: unknown } | null;
  const name = typeof e?.name === 'string' && e.name !== '' ? e.name : 'Error';
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return { error: name, cause: message.slice(0, MAX_CAUSE_CHARS) };
};

/** The group object, checked: anything unusable here is the whole group's problem (SubmissionUnreadable). */
export function parseGroup(value: unknown, groupId: string): GroupObject {
  const group = value as Partial<GroupObject> | null;
  if (typeof group !== 'object' || group === null || !Array.isArray(group.jobs)) {
    throw new TaskError('SubmissionUnreadable', `the group object of ${groupId} holds no jobs array`);
  }
  if (group.groupId !== undefined && group.groupId !== groupId) {
    throw new TaskError(
      'SubmissionUnreadable',
      `the group object names group ${String(group.groupId)}, not ${groupId}`,
    );
  }
  return { groupId, jobs: group.jobs };
}

const isJobRef = (job: unknown): job is GroupJob => {
  const j = job as Partial<GroupJob> | null;
  return (
    typeof j === 'object' &&
    j !== null &&
    typeof j.jobId === 'string' &&
    j.jobId !== '' &&
    typeof j.tenant === 'string' &&
    j.tenant !== ''
  );
};

/** One job's result, or the reason it fails alone; infrastructure errors propagate. */
async function outcomeOf(
  job: GroupJob,
  deps: GroupIngestDeps,
  schemaFor: (tenant: string, type: string) => Promise<unknown>,
  store: GroupIngestDeps['store'],
  validationBudgets: readonly ValidationBudget[],
): Promise<JobOutcome> {
  if (!Array.isArray(job.events)) {
    return {
      status: 'FAILED',
      failure: { error: 'SubmissionUnreadable', cause: 'the submission is not a JSON array of events' },
    };
  }
  if (job.events.length === 0) {
    return {
      status: 'FAILED',
      failure: { error: 'EmptySubmission', cause: 'the submission holds no events' },
    };
  }
  try {
    // JSON.stringify of a parsed JSON value is one line (newlines inside strings are escaped) and never starts with
    // `!`, so no candidate can pass for a pre-rejected line; depth ≤ 1,000 is guaranteed by the API.
    const lines = job.events.map((candidate) => JSON.stringify(candidate) ?? 'null');
    const result = await ingestChunk(
      { n: 0, start: 0, lines },
      {
        maxEventBytes: deps.maxEventBytes,
        writeConcurrency: deps.writeConcurrency,
        validationTime: deps.validationTime,
        validationBudgets,
        schemaFor: (type) => schemaFor(job.tenant, type),
        store: (event, serialized, index) => store(job, event, serialized, index),
      },
    );
    const limit = deps.firstErrorsLimit ?? 100;
    if (result.rejections.length <= limit) {
      return { status: 'SUCCEEDED', counts: result.counts, errors: result.rejections };
    }
    // More rejections than the job record keeps: the paged report, written as FinalizeJob writes it.
    const writer = new ReportWriter({
      prefix: deps.reportPrefix(job),
      pageSize: deps.reportPageSize,
      writePage: deps.writePage,
      firstErrorsLimit: limit,
    });
    await writer.add(result);
    const summary = await writer.finish();
    return {
      status: 'SUCCEEDED',
      counts: summary.counts,
      errors: summary.firstErrors,
      report: summary.report,
    };
  } catch (error) {
    if (isInfrastructureError(error)) throw error;
    return { status: 'FAILED', failure: failureOf(error) };
  }
}

/** A group spends at most this many chunks' validation budgets (4 × 30 s: well inside the task's 300 s). */
export const GROUP_BUDGET_CHUNKS = 4;

/**
 * Ingests every job of the group, `jobConcurrency` at a time, store calls bounded group-wide by
 * `writeConcurrency`, and finishes each. Throws only infrastructure errors (and a finish that cannot be written
 * even as FAILED), after which a retry redoes the group to the same results.
 */
export async function ingestGroup(group: GroupObject, deps: GroupIngestDeps): Promise<GroupSummary> {
  const summary: GroupSummary = {
    groupId: group.groupId,
    jobs: group.jobs.length,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    counts: { received: 0, accepted: 0, rejected: 0, duplicates: 0 },
  };
  // One read per (tenant, type) for the whole group, not one per job.
  const schemas = new Map<string, Promise<unknown>>();
  const schemaFor = (tenant: string, type: string) => {
    const key = JSON.stringify([tenant, type]);
    let schema = schemas.get(key);
    if (!schema) {
      schema = deps.schemaFor(tenant, type);
      schemas.set(key, schema);
      schema.catch(() => schemas.delete(key)); // a failed read is not remembered
    }
    return schema;
  };
  const writes = pLimit(deps.writeConcurrency);
  const store: GroupIngestDeps['store'] = (job, event, serialized, index) =>
    writes(() => deps.store(job, event, serialized, index));

  // Validation time: each tenant's jobs share one chunk's budget, and the group has GROUP_BUDGET_CHUNKS of them,
  // so no tenant's schemas hold the group (whose other jobs are other tenants') past the task's timeout.
  const limits = deps.validationTime ?? VALIDATION_TIME_LIMITS;
  const groupBudget = validationBudget(
    limits.perChunkMs * GROUP_BUDGET_CHUNKS,
    `data: not validated: this group execution spent its ${limits.perChunkMs * GROUP_BUDGET_CHUNKS} ms schema validation budget`,
  );
  const tenantBudgets = new Map<string, ValidationBudget>();
  const budgetsOf = (tenant: string): ValidationBudget[] => {
    let budget = tenantBudgets.get(tenant);
    if (!budget) {
      budget = validationBudget(
        limits.perChunkMs,
        `data: not validated: this tenant's jobs spent their ${limits.perChunkMs} ms schema validation budget in this group execution`,
      );
      tenantBudgets.set(tenant, budget);
    }
    return [budget, groupBudget];
  };

  const finishJob = async (job: GroupJob) => {
    let outcome = await outcomeOf(job, deps, schemaFor, store, budgetsOf(job.tenant));
    let finished: boolean;
    try {
      finished = await deps.finish(job, outcome);
    } catch (error) {
      // A success record DynamoDB refuses (not the infrastructure's fault) still ends the job, FAILED with why.
      if (isInfrastructureError(error) || outcome.status === 'FAILED') throw error;
      outcome = { status: 'FAILED', failure: failureOf(error) };
      finished = await deps.finish(job, outcome);
    }
    if (!finished) {
      summary.skipped++;
      return;
    }
    if (outcome.status === 'FAILED') {
      summary.failed++;
      deps.onJobFailed?.(job, outcome.failure);
      return;
    }
    summary.succeeded++;
    const { counts } = outcome;
    summary.counts.received += counts.received;
    summary.counts.accepted += counts.accepted;
    summary.counts.rejected += counts.rejected;
    summary.counts.duplicates += counts.duplicates;
  };

  const jobs = pLimit(deps.jobConcurrency);
  await Promise.all(
    group.jobs.map((job) =>
      jobs(async () => {
        if (!isJobRef(job)) {
          // Without a jobId and tenant there is no job to finish: nothing else in the group is affected.
          summary.failed++;
          deps.onJobFailed?.(job, {
            error: 'SubmissionUnreadable',
            cause: 'a group entry names no jobId and tenant',
          });
          return;
        }
        await finishJob(job);
      }),
    ),
  ).catch((error: unknown) => {
    jobs.clearQueue(); // the task is retried whole
    writes.clearQueue();
    throw error;
  });
  return summary;
}
