/** Jobs: the stored record, the public view, status transitions (docs/design.md "Job statuses"). */
import { monotonicFactory } from 'ulid';
import type { Rejection } from '../cloudevents/types';

export const JOB_STATUSES = ['PENDING_UPLOAD', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface JobCounts {
  received: number;
  accepted: number;
  rejected: number;
  duplicates: number;
}

export const zeroCounts = (): JobCounts => ({ received: 0, accepted: 0, rejected: 0, duplicates: 0 });

export function addCounts(a: JobCounts, b: JobCounts): JobCounts {
  return {
    received: a.received + b.received,
    accepted: a.accepted + b.accepted,
    rejected: a.rejected + b.rejected,
    duplicates: a.duplicates + b.duplicates,
  };
}

export interface JobFailure {
  error: string;
  cause: string;
}

/** Where a job's paged rejection report lives (shared/pipeline/report.ts). */
export interface ReportPages {
  /** Page `p` is the object `<prefix><p>.json`: a JSON array of the rejections from `p * pageSize` on. */
  prefix: string;
  pageSize: number;
  /** Rejections in the whole report. */
  count: number;
}

export interface JobRecord {
  jobId: string;
  tenant: string;
  source: 'api' | 'upload';
  status: JobStatus;
  counts: JobCounts;
  errors: Rejection[];
  failure?: JobFailure;
  executionArn?: string;
  /** The group execution that carried this job (inline submissions share executions: `g-…`). */
  groupId?: string;
  submission?: { bucket: string; key: string };
  filename?: string;
  uploadExpiresAt?: string;
  /** The rejection report of a job finished before the report was paged: one JSON array. */
  reportKey?: string;
  /** The paged rejection report (shared/pipeline/report.ts). */
  report?: ReportPages;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

/** What the API returns for a job (README "A job"). */
export interface JobView {
  jobId: string;
  source: 'api' | 'upload';
  status: JobStatus;
  counts: JobCounts;
  errors: Rejection[];
  failure?: JobFailure;
  executionArn: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export function toJobView(job: JobRecord): JobView {
  return {
    jobId: job.jobId,
    source: job.source,
    status: job.status,
    counts: { ...job.counts },
    errors: job.errors,
    ...(job.status === 'FAILED' && job.failure ? { failure: job.failure } : {}),
    executionArn: job.executionArn ?? null,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    finishedAt: job.finishedAt ?? null,
  };
}

/**
 * A job is created PENDING_UPLOAD (uploads) or QUEUED (API submissions); these are the moves after that. A job
 * carried by a group execution has no RUNNING write (it would cost a write unit per job): IngestGroup finishes it
 * QUEUED → SUCCEEDED | FAILED in one conditional write.
 */
const PREVIOUS: Record<JobStatus, JobStatus[]> = {
  PENDING_UPLOAD: [],
  QUEUED: ['PENDING_UPLOAD'],
  RUNNING: ['PENDING_UPLOAD', 'QUEUED', 'RUNNING'], // RUNNING → RUNNING: a retried PrepareJob
  SUCCEEDED: ['RUNNING', 'QUEUED'], // QUEUED → SUCCEEDED: a grouped job
  FAILED: ['PENDING_UPLOAD', 'QUEUED', 'RUNNING'],
};

/** The statuses a job may be in for a write that sets `to` (the write's condition). */
export function previousStatusesFor(to: JobStatus): JobStatus[] {
  return [...PREVIOUS[to]];
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return PREVIOUS[to].includes(from);
}

export const isFinal = (status: JobStatus): boolean => status === 'SUCCEEDED' || status === 'FAILED';

const nextUlid = monotonicFactory();

/** A ULID: time-sortable, so `GET /jobs` lists newest first by sort key alone. */
export function newJobId(now: number = Date.now()): string {
  return nextUlid(now);
}

const MAX_CAUSE_CHARS = 2000;

/**
 * A Step Functions Catch output (`{Error, Cause}`) as a job failure. A Lambda error's Cause is JSON
 * (`{errorType, errorMessage, trace}`): only its message is kept, never the stack trace.
 */
export function failureFrom(stepFunctionsError: { Error?: string; Cause?: string } | undefined): JobFailure {
  const error = stepFunctionsError?.Error || 'UnknownError';
  const rawCause = stepFunctionsError?.Cause ?? '';
  return { error, cause: lambdaErrorMessage(rawCause).slice(0, MAX_CAUSE_CHARS) };
}

function lambdaErrorMessage(cause: string): string {
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) {
      return String(parsed.errorMessage);
    }
  } catch {
    // not JSON: a plain cause from Step Functions itself (States.Timeout, …)
  }
  return cause;
}
