/** Workflow task MarkJobFailed: record the caught error and cause on the job (status FAILED). */
import * as z from 'zod';
import { readEnv } from '../../shared/config';
import { logger } from '../../shared/aws/observability';
import { jobStore } from '../../shared/aws/stores/jobs';
import { failureFrom, type JobStatus } from '../../shared/jobs/model';
import { notRunnable } from '../../shared/pipeline/job-state';
import { workflowTask } from '../../shared/pipeline/task';

export interface MarkJobFailedInput {
  jobId: string;
  tenant: string;
  executionArn: string;
  /** The Catch output of the failed state. */
  failure: { Error?: string; Cause?: string };
}

const config = () => readEnv({ TABLE_NAME: z.string().min(1) });

export const handler = workflowTask(
  'mark-job-failed',
  async (input: MarkJobFailedInput): Promise<{ jobId: string; status: JobStatus }> => {
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
