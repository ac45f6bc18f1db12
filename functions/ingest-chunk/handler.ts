/** Workflow task IngestChunk: validate one chunk's events, store the new ones, write the chunk's result. */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { intVar, readEnv, textVar } from '../../shared/config';
import { metrics } from '../../shared/aws/observability';
import { eventStore } from '../../shared/aws/stores/events';
import { getText, putJson } from '../../shared/aws/stores/objects';
import { schemaStore } from '../../shared/aws/stores/schemas';
import { chunkBodyLines, type ChunkRef } from '../../shared/pipeline/chunks';
import { TaskError } from '../../shared/pipeline/errors';
import { ingestChunk } from '../../shared/pipeline/ingest';
import { chunkKey, resultKey } from '../../shared/pipeline/keys';
import { workflowTask } from '../../shared/pipeline/task';

export interface IngestChunkInput {
  jobId: string;
  tenant: string;
  chunk: ChunkRef;
}

export interface IngestChunkOutput {
  n: number;
  received: number;
  accepted: number;
  rejected: number;
  duplicates: number;
}

const config = () =>
  readEnv({
    TABLE_NAME: textVar,
    BUCKET_NAME: textVar,
    MAX_EVENT_BYTES: intVar,
    WRITE_CONCURRENCY: intVar,
  });

export const handler = workflowTask(
  'ingest-chunk',
  async (input: IngestChunkInput): Promise<IngestChunkOutput> => {
    const env = config();
    const { jobId, tenant, chunk } = input;
    const body = await getText(env.BUCKET_NAME, chunkKey(jobId, chunk.n));
    if (body === undefined)
      throw new TaskError('JobNotRunnable', `chunk ${chunk.n} of job ${jobId} does not exist`);

    const events = eventStore(env.TABLE_NAME);
    const schemas = schemaStore(env.TABLE_NAME);
    const ingestedAt = new Date().toISOString();
    const result = await ingestChunk(
      { n: chunk.n, start: chunk.start, lines: chunkBodyLines(body) },
      {
        maxEventBytes: env.MAX_EVENT_BYTES,
        writeConcurrency: env.WRITE_CONCURRENCY,
        schemaFor: async (type) => (await schemas.get(tenant, type))?.schema,
        store: (event, serialized, idx) =>
          events.putIfAbsent({ tenant, event, serialized, jobId, idx, ingestedAt }),
      },
    );
    await putJson(env.BUCKET_NAME, resultKey(jobId, chunk.n), result);

    metrics.addMetric('EventsAccepted', MetricUnit.Count, result.counts.accepted);
    metrics.addMetric('EventsRejected', MetricUnit.Count, result.counts.rejected);
    metrics.addMetric('EventsDuplicate', MetricUnit.Count, result.counts.duplicates);
    return { n: chunk.n, ...result.counts };
  },
);
