/**
 * EventBridge "Step Functions Execution Status Change" → the failure to record on the job, for executions that
 * ended without reaching MarkJobFailed (aborted, timed out, or failed outside a Catch).
 */
import { executionEnded } from '../../cdk/wiring';
import type { JobFailure } from '../jobs/model';
import { isGroupExecutionName } from './keys';

export interface ExecutionStatusDetail {
  executionArn: string;
  stateMachineArn?: string;
  /** The execution name: the job id, or the group id (`g-…`) of a group execution. */
  name: string;
  status: string;
  /**
   * The execution input as a JSON string: {jobId, tenant, source, bucket, key}, or for a group
   * {group: {id, bucket, key}, jobs: [{jobId, tenant}]}. EventBridge leaves it out when the event would be too large.
   */
  input?: string | null;
  error?: string | null;
  cause?: string | null;
}

export interface EndedJob {
  tenant: string;
  jobId: string;
  failure: JobFailure;
}

const ENDED: readonly string[] = executionEnded.failedStatuses;
const ANY_END: readonly string[] = executionEnded.statuses;

/** 'TIMED_OUT' → 'TimedOut'. */
const pascal = (status: string) =>
  status
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

interface ParsedInput {
  tenant?: unknown;
  group?: unknown;
  jobs?: unknown;
}

function parsedInput(input: string | null | undefined): ParsedInput | undefined {
  try {
    const parsed: unknown = JSON.parse(input ?? '');
    return typeof parsed === 'object' && parsed !== null ? (parsed as ParsedInput) : undefined;
  } catch {
    return undefined;
  }
}

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value !== '';

const failureOf = (detail: ExecutionStatusDetail): JobFailure => ({
  error: detail.error || `Execution${pascal(detail.status)}`,
  cause: detail.cause || `execution ${detail.status.toLowerCase().replace('_', ' ')}`,
});

/** The job to fail and why, or undefined when the status is not an unsuccessful end or the input has no tenant. */
export function endedJob(detail: ExecutionStatusDetail): EndedJob | undefined {
  if (!ENDED.includes(detail.status)) return undefined;
  const tenant = parsedInput(detail.input)?.tenant;
  if (!nonEmpty(tenant)) return undefined;
  return { tenant, jobId: detail.name, failure: failureOf(detail) };
}

/**
 * The tenant slot a one-job execution held, for any end (SUCCEEDED included); undefined for a group execution
 * (grouped jobs are not capped), a status that is not an end, or an input without a tenant.
 */
export function releasedSlot(detail: ExecutionStatusDetail): { tenant: string; jobId: string } | undefined {
  if (!ANY_END.includes(detail.status)) return undefined;
  const input = parsedInput(detail.input);
  if (isGroupExecutionName(detail.name) || input?.group !== undefined) return undefined;
  const tenant = input?.tenant;
  return nonEmpty(tenant) ? { tenant, jobId: detail.name } : undefined;
}

export interface EndedGroup {
  groupId: string;
  /** The jobs the input lists; undefined when the event carried no input (then read the group object). */
  jobs: { tenant: string; jobId: string }[] | undefined;
  failure: JobFailure;
}

/**
 * The group whose still-QUEUED jobs to fail, for a group execution (name `g-…`, or input with `group`) that
 * ended unsuccessfully; undefined otherwise.
 */
export function endedGroup(detail: ExecutionStatusDetail): EndedGroup | undefined {
  if (!ENDED.includes(detail.status)) return undefined;
  const input = parsedInput(detail.input);
  if (!isGroupExecutionName(detail.name) && input?.group === undefined) return undefined;
  const jobs = Array.isArray(input?.jobs)
    ? (input.jobs as { tenant?: unknown; jobId?: unknown }[])
        .filter((job) => nonEmpty(job?.tenant) && nonEmpty(job?.jobId))
        .map((job) => ({ tenant: job.tenant as string, jobId: job.jobId as string }))
    : undefined;
  const id = (input?.group as { id?: unknown } | undefined)?.id;
  return { groupId: nonEmpty(id) ? id : detail.name, jobs, failure: failureOf(detail) };
}
