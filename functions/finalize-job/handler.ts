/** Workflow task FinalizeJob: add up the chunk results, write the rejection report, mark the job SUCCEEDED. */
import { intVar, readEnv, textVar } from '../../shared/config';
import { jobStore } from '../../shared/aws/stores/jobs';
import { getJson, putJson } from '../../shared/aws/stores/objects';
import { toJobView, type JobView } from '../../shared/jobs/model';
import type { ChunkResult } from '../../shared/jobs/results';
import { TaskError } from '../../shared/pipeline/errors';
import { summarizeJob } from '../../shared/pipeline/finalize';
import { notRunnable } from '../../shared/pipeline/job-state';
import { reportPrefix, resultKey } from '../../shared/pipeline/keys';
import { workflowTask } from '../../shared/pipeline/task';

export interface FinalizeJobInput {
  jobId: string;
  tenant: string;
  executionArn: string;
  chunkCount: number;
  received: number;
}

/** Chunk results read ahead of the one being added up: memory holds at most this many plus one. */
const RESULTS_READ_AHEAD = 4;

const config = () => readEnv({ TABLE_NAME: textVar, BUCKET_NAME: textVar, REPORT_PAGE_SIZE: intVar });

/** The chunk results in chunk order, a few reads ahead, never all of them at once. */
async function* resultsInOrder(
  bucket: string,
  jobId: string,
  chunkCount: number,
): AsyncGenerator<ChunkResult> {
  const read = async (n: number) => {
    const result = await getJson<ChunkResult>(bucket, resultKey(jobId, n));
    if (!result) throw new TaskError('ResultMismatch', `the result of chunk ${n} does not exist`);
    return result;
  };
  const ahead: Promise<ChunkResult>[] = [];
  const readNext = (n: number) => {
    if (n >= chunkCount) return;
    const pending = read(n);
    pending.catch(() => {}); // rethrown when its turn comes
    ahead.push(pending);
  };
  for (let n = 0; n < Math.min(RESULTS_READ_AHEAD, chunkCount); n++) readNext(n);
  for (let n = 0; n < chunkCount; n++) {
    readNext(n + RESULTS_READ_AHEAD);
    yield await ahead.shift()!;
  }
}

export const handler = workflowTask('finalize-job', async (input: FinalizeJobInput): Promise<JobView> => {
  const env = config();
  const { jobId, tenant, chunkCount, received } = input;
  const summary = await summarizeJob(resultsInOrder(env.BUCKET_NAME, jobId, chunkCount), received, {
    prefix: reportPrefix(tenant, jobId),
    pageSize: env.REPORT_PAGE_SIZE,
    writePage: (key, rejections) => putJson(env.BUCKET_NAME, key, rejections),
  });

  const jobs = jobStore(env.TABLE_NAME);
  // Only from RUNNING (PrepareJob's claim): QUEUED → SUCCEEDED is a grouped job's move, not this path's.
  const job = await jobs.transition(
    tenant,
    jobId,
    'SUCCEEDED',
    {
      counts: summary.counts,
      errors: summary.firstErrors,
      report: summary.report,
      finishedAt: new Date().toISOString(),
    },
    { from: ['RUNNING'] },
  );
  if (job) return toJobView(job);
  const current = await jobs.get(tenant, jobId);
  if (current?.status === 'SUCCEEDED') return toJobView(current); // a retry after the write went through
  throw notRunnable(jobId, current, 'SUCCEEDED');
});
