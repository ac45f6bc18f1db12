/**
 * Opening a job from the API: the new record, and the rule that a job whose queue message could not be sent
 * is failed at once (EnqueueFailed) rather than left open forever.
 */
import { zeroCounts, type JobRecord } from '../jobs/model';
import type { JobStore } from '../aws/stores/jobs';
import { logger } from '../aws/observability';

type NewJob = Pick<JobRecord, 'jobId' | 'tenant' | 'source' | 'status'> &
  Partial<Pick<JobRecord, 'submission' | 'filename' | 'uploadExpiresAt'>>;

export function newJobRecord(job: NewJob, now: Date): JobRecord {
  const at = now.toISOString();
  return { ...job, counts: zeroCounts(), errors: [], createdAt: at, updatedAt: at };
}

export async function enqueueOrFailJob(
  jobs: JobStore,
  job: Pick<JobRecord, 'tenant' | 'jobId'>,
  send: () => Promise<unknown>,
): Promise<void> {
  try {
    await send();
  } catch (error) {
    const at = new Date().toISOString();
    const cause = `the job could not be queued: ${(error as Error).message}`;
    await jobs
      .transition(job.tenant, job.jobId, 'FAILED', {
        failure: { error: 'EnqueueFailed', cause },
        finishedAt: at,
      })
      .catch((markError: unknown) =>
        logger.error('could not fail the unqueued job', { jobId: job.jobId, markError }),
      );
    throw error;
  }
}
