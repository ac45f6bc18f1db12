/**
 * Workflow task MarkJobFailed / MarkGroupFailed: record the caught error and cause on the job (status FAILED),
 * or, for a group execution, on every job of the group still QUEUED (those IngestGroup finished keep their result).
 */
import pLimit from 'p-limit';
import { readEnv, textVar } from '../../shared/config';
import { logger } from '../../shared/aws/observability';
import { jobStore } from '../../shared/aws/stores/jobs';
import { failureFrom, type JobStatus } from '../../shared/jobs/model';
import { TaskError } from '../../shared/pipeline/errors';
import { notRunnable } from '../../shared/pipeline/job-state';
import { workflowTask } from '../../shared/pipeline/task';

interface CaughtFailure {
  /** The Catch output of the failed state. */
  failure: { Error?: string; Cause?: string };
  executionArn: string;
}

export interface MarkJobFailedInput extends CaughtFailure {
  jobId: string;
  tenant: string;
}

export interface MarkGroupFailedInput extends CaughtFailure {
  group?: { id?: string; bucket?: string; key?: string };
  /** The group's jobs, as the execution input lists them. */
  jobs: { jobId: string; tenant: string }[];
}

export type MarkFailedOutput =
  { jobId: string; status: JobStatus } | { groupId: string | null; jobs: number; failed: number };

/** Conditional writes in flight for a group (up to 1,000 jobs). */
const GROUP_WRITE_CONCURRENCY = 16;

const config = () => readEnv({ TABLE_NAME: textVar });

const isGroupInput = (input: MarkJobFailedInput | MarkGroupFailedInput): input is MarkGroupFailedInput =>
  'jobs' in input || 'group' in input;

async function markGroupFailed(input: MarkGroupFailedInput): Promise<MarkFailedOutput> {
  if (!Array.isArray(input.jobs)) throw new TaskError('JobNotRunnable', 'the group input lists no jobs');
  const jobs = jobStore(config().TABLE_NAME);
  const failure = failureFrom(input.failure);
  const groupId = typeof input.group?.id === 'string' ? input.group.id : undefined;
  const finishedAt = new Date().toISOString();
  const limit = pLimit(GROUP_WRITE_CONCURRENCY);
  const failed = await Promise.all(
    input.jobs.map((job) =>
      limit(async () => {
        if (typeof job?.jobId !== 'string' || typeof job.tenant !== 'string') return false;
        // Only a job still QUEUED: one this group (or another execution) finished keeps its result.
        const changed = await jobs.transition(
          job.tenant,
          job.jobId,
          'FAILED',
          { failure, executionArn: input.executionArn, groupId, finishedAt },
          { from: ['QUEUED'] },
        );
        return changed !== undefined;
      }),
    ),
  );
  const count = failed.filter(Boolean).length;
  logger.warn('group failed', { groupId, jobs: input.jobs.length, failed: count, failure });
  return { groupId: groupId ?? null, jobs: input.jobs.length, failed: count };
}

export const handler = workflowTask(
  'mark-job-failed',
  async (input: MarkJobFailedInput | MarkGroupFailedInput): Promise<MarkFailedOutput> => {
    if (isGroupInput(input)) return markGroupFailed(input);
    const { jobId, tenant } = input;
    const jobs = jobStore(config().TABLE_NAME);
    const failure = failureFrom(input.failure);
    const job = await jobs.transition(tenant, jobId, 'FAILED', {
      failure,
      finishedAt: new Date().toISOString(),
    });
    if (job) return { jobId, status: 'FAILED' };
    const current = await jobs.get(tenant, jobId);
    if (!current) throw notRunnable(jobId, current, 'FAILED');
    // Already finished (a retry, or the job ended another way): its outcome stands.
    logger.warn('job already finished; failure not recorded', { status: current.status, failure });
    return { jobId, status: current.status };
  },
);
