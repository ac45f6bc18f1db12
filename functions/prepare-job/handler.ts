/** Workflow task PrepareJob: mark the job RUNNING, read its submission and write it to S3 as chunks. */
import { intVar, readEnv, textVar } from '../../shared/config';
import { jobStore } from '../../shared/aws/stores/jobs';
import { putText } from '../../shared/aws/stores/objects';
import { planChunks } from '../../shared/jobs/chunking';
import { writeChunks, type ChunkRef } from '../../shared/pipeline/chunks';
import { TaskError } from '../../shared/pipeline/errors';
import { notRunnable } from '../../shared/pipeline/job-state';
import { chunkKey } from '../../shared/pipeline/keys';
import { openSubmission } from '../../shared/pipeline/open-submission';
import { workflowTask } from '../../shared/pipeline/task';

export interface PrepareJobInput {
  jobId: string;
  tenant: string;
  executionArn: string;
  source: 'api' | 'upload';
  bucket: string;
  key: string;
}

export interface PrepareJobOutput {
  jobId: string;
  tenant: string;
  executionArn: string;
  received: number;
  /** At most MAX_CHUNKS_PER_JOB entries of `{n, start}` (about 30 bytes each in the state's output). */
  chunks: ChunkRef[];
}

const config = () =>
  readEnv({
    TABLE_NAME: textVar,
    BUCKET_NAME: textVar,
    MAX_UPLOAD_BYTES: intVar,
    MAX_UNCOMPRESSED_BYTES: intVar,
    MAX_EVENT_BYTES: intVar,
    MAX_CHUNKS_PER_JOB: intVar,
    MIN_CHUNK_BYTES: intVar,
  });

export const handler = workflowTask(
  'prepare-job',
  async (input: PrepareJobInput): Promise<PrepareJobOutput> => {
    const env = config();
    const { jobId, tenant, executionArn, source, bucket, key } = input;
    const jobs = jobStore(env.TABLE_NAME);
    // RUNNING → RUNNING is allowed, so a retried PrepareJob passes; a finished or missing job does not.
    const job = await jobs.transition(tenant, jobId, 'RUNNING', {
      executionArn,
      submission: { bucket, key },
    });
    if (!job) throw notRunnable(jobId, await jobs.get(tenant, jobId), 'RUNNING');

    const { lines, sourceBytes } = await openSubmission(
      { source, bucket, key },
      {
        maxUploadBytes: env.MAX_UPLOAD_BYTES,
        maxUncompressedBytes: env.MAX_UNCOMPRESSED_BYTES,
        maxEventBytes: env.MAX_EVENT_BYTES,
      },
    );
    const plan = planChunks(sourceBytes, {
      minChunkBytes: env.MIN_CHUNK_BYTES,
      maxChunksPerJob: env.MAX_CHUNKS_PER_JOB,
      maxUncompressedBytes: env.MAX_UNCOMPRESSED_BYTES,
    });
    const { received, chunks } = await writeChunks(lines, plan, (n, body) =>
      putText(env.BUCKET_NAME, chunkKey(jobId, n), body, 'application/x-ndjson'),
    );
    if (received === 0) throw new TaskError('EmptySubmission', 'the submission holds no events');
    return { jobId, tenant, executionArn, received, chunks };
  },
);
