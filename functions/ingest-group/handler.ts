/**
 * Workflow task IngestGroup: the jobs of one group execution (small inline submissions), each ingested as one
 * chunk and finished by one conditional write QUEUED → SUCCEEDED | FAILED (shared/pipeline/group.ts).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { intVar, readEnv, textVar } from '../../shared/config';
import { logger, metrics } from '../../shared/aws/observability';
import { eventStore } from '../../shared/aws/stores/events';
import { jobStore } from '../../shared/aws/stores/jobs';
import { getJson, putJson } from '../../shared/aws/stores/objects';
import { schemaStore } from '../../shared/aws/stores/schemas';
import { TaskError } from '../../shared/pipeline/errors';
import { ingestGroup, parseGroup, type GroupSummary } from '../../shared/pipeline/group';
import { reportPrefix } from '../../shared/pipeline/keys';
import { workflowTask } from '../../shared/pipeline/task';

export interface GroupRef {
  /** The group id, also the execution name (`g-` + 40 hex). */
  id: string;
  bucket: string;
  key: string;
}

export interface IngestGroupInput {
  group: GroupRef;
  executionArn: string;
}

export type IngestGroupOutput = Omit<GroupSummary, 'counts'>;

/**
 * Jobs in flight at once. A grouped job holds ≤ 60 KiB of events, so most are one or a few writes: 16 at a time
 * keeps ~1,000 single-event jobs to a few seconds, and store calls stay bounded group-wide by writeConcurrency.
 */
const JOB_CONCURRENCY = 16;

const config = () =>
  readEnv({
    TABLE_NAME: textVar,
    BUCKET_NAME: textVar,
    MAX_EVENT_BYTES: intVar,
    WRITE_CONCURRENCY: intVar,
    REPORT_PAGE_SIZE: intVar,
  });

export const handler = workflowTask(
  'ingest-group',
  async (input: IngestGroupInput): Promise<IngestGroupOutput> => {
    const env = config();
    const { group: ref, executionArn } = input;
    logger.appendKeys({ groupId: ref?.id });
    if (typeof ref?.id !== 'string' || typeof ref.bucket !== 'string' || typeof ref.key !== 'string') {
      throw new TaskError('SubmissionUnreadable', 'the execution input names no group {id, bucket, key}');
    }
    const stored = await getJson(ref.bucket, ref.key);
    if (stored === undefined) {
      throw new TaskError('SubmissionUnreadable', `the group object ${ref.key} does not exist`);
    }
    const group = parseGroup(stored, ref.id);

    const jobs = jobStore(env.TABLE_NAME);
    const events = eventStore(env.TABLE_NAME);
    const schemas = schemaStore(env.TABLE_NAME);
    const ingestedAt = new Date().toISOString();
    const summary = await ingestGroup(group, {
      maxEventBytes: env.MAX_EVENT_BYTES,
      writeConcurrency: env.WRITE_CONCURRENCY,
      reportPageSize: env.REPORT_PAGE_SIZE,
      jobConcurrency: JOB_CONCURRENCY,
      schemaFor: async (tenant, type) => (await schemas.get(tenant, type))?.schema,
      store: ({ tenant, jobId }, event, serialized, idx) =>
        events.putIfAbsent({ tenant, event, serialized, jobId, idx, ingestedAt }),
      reportPrefix: ({ tenant, jobId }) => reportPrefix(tenant, jobId),
      writePage: (key, rejections) => putJson(env.BUCKET_NAME, key, rejections),
      finish: async ({ tenant, jobId }, outcome) => {
        const common = { executionArn, groupId: group.groupId, finishedAt: new Date().toISOString() };
        const changes =
          outcome.status === 'SUCCEEDED'
            ? { counts: outcome.counts, errors: outcome.errors, report: outcome.report, ...common }
            : { failure: outcome.failure, ...common };
        // Only from QUEUED: a job another execution already finished stays as it is (no extra read).
        const job = await jobs.transition(tenant, jobId, outcome.status, changes, { from: ['QUEUED'] });
        return job !== undefined;
      },
      onJobFailed: (job, failure) =>
        logger.warn('grouped job failed', { jobId: (job as { jobId?: unknown }).jobId, failure }),
    });

    // One line per group, none per job (a log line per event or job would cost more than the job itself).
    logger.info('group ingested', { ...summary });
    metrics.addMetric('GroupJobsSucceeded', MetricUnit.Count, summary.succeeded);
    metrics.addMetric('GroupJobsFailed', MetricUnit.Count, summary.failed);
    metrics.addMetric('EventsAccepted', MetricUnit.Count, summary.counts.accepted);
    metrics.addMetric('EventsRejected', MetricUnit.Count, summary.counts.rejected);
    metrics.addMetric('EventsDuplicate', MetricUnit.Count, summary.counts.duplicates);
    const { counts: _counts, ...output } = summary;
    return output;
  },
);
