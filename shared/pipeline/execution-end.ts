/**
 * EventBridge "Step Functions Execution Status Change" → the failure to record on the job, for executions that
 * ended without reaching MarkJobFailed (aborted, timed out, or failed outside a Catch).
 */
import { executionEnded } from '../../cdk/wiring';
import type { JobFailure } from '../jobs/model';

export interface ExecutionStatusDetail {
  executionArn: string;
  stateMachineArn?: string;
  /** The execution name: the job id. */
  name: string;
  status: string;
  /** The execution input as a JSON string: {jobId, tenant, source, bucket, key}. */
  input?: string | null;
  error?: string | null;
  cause?: string | null;
}

export interface EndedJob {
  tenant: string;
  jobId: string;
  failure: JobFailure;
}

const ENDED: readonly string[] = executionEnded.statuses;

/** 'TIMED_OUT' → 'TimedOut'. */
const pascal = (status: string) =>
  status
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

function tenantOf(input: string | null | undefined): string | undefined {
  try {
    const parsed = JSON.parse(input ?? '') as { tenant?: unknown };
    return typeof parsed.tenant === 'string' && parsed.tenant !== '' ? parsed.tenant : undefined;
  } catch {
    return undefined;
  }
}

/** The job to fail and why, or undefined when the status is not an unsuccessful end or the input has no tenant. */
export function endedJob(detail: ExecutionStatusDetail): EndedJob | undefined {
  if (!ENDED.includes(detail.status)) return undefined;
  const tenant = tenantOf(detail.input);
  if (!tenant) return undefined;
  return {
    tenant,
    jobId: detail.name,
    failure: {
      error: detail.error || `Execution${pascal(detail.status)}`,
      cause: detail.cause || `execution ${detail.status.toLowerCase().replace('_', ' ')}`,
    },
  };
}
