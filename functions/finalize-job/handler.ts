/** Workflow task FinalizeJob: add up the chunk results, write the rejection report, mark the job SUCCEEDED. */
import { z } from 'zod';
import pLimit from 'p-limit';
import { readEnv } from '../../shared/config';
import { jobStore } from '../../shared/aws/stores/jobs';
import { getJson, putJson } from '../../shared/aws/stores/objects';
import { toJobView, type JobView } from '../../shared/jobs/model';
import type { ChunkResult } from '../../shared/jobs/results';
import { TaskError } from '../../shared/pipeline/errors';
import { summarizeJob } from '../../shared/pipeline/finalize';
import { notRunnable } from '../../shared/pipeline/job-state';
import { reportKey, resultKey } from '../../shared/pipeline/keys';
import { workflowTask } from '../../shared/pipeline/task';

export interface FinalizeJobInput {
  jobId: string;
  tenant: string;
  executionArn: string;
  chunkCount: number;
  received: number;
}

const RESULT_READS_IN_FLIGHT = 16;

const config = () => readEnv({ TABLE_NAME: z.string().min(1), BUCKET_NAME: z.string().min(1) });

async function readResults(bucket: string, jobId: string, chunkCount: number): Promise<ChunkResult[]> {
  const limit = pLimit(RESULT_READS_IN_FLIGHT);
  return Promise.all(
    Array.from({ length: chunkCount }, (_, n) =>
      limit(async () => {
        const result = await getJson<ChunkResult>(bucket, resultKey(jobId, n));
        if (!result) throw new TaskError('ResultMismatch', `the result of chunk ${n} does not exist`);
        return result;
      }),
    ),
  );
}

export const handler = workflowTask('finalize-job', async (input: FinalizeJobInput): Promise<JobView> => {
  const env = config();
  const { jobId, tenant, chunkCount, received } = input;
  const summary = summarizeJob(await readResults(env.BUCKET_NAME, jobId, chunkCount), received);
  const report = reportKey(tenant, jobId);
  await putJson(env.BUCKET_NAME, report, summary.allErrors);

  const jobs = jobStore(env.TABLE_NAME);
  const job = await jobs.transition(tenant, jobId, 'SUCCEEDED', {
    counts: summary.counts,
    errors: summary.firstErrors,
    reportKey: report,
    finishedAt: new Date().toISOString(),
  });
  if (job) return toJobView(job);
  const current = await jobs.get(tenant, jobId);
  if (current?.status === 'SUCCEEDED') return toJobView(current); // a retry after the write went through
  throw notRunnable(jobId, current, 'SUCCEEDED');
});
