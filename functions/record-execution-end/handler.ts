/**
 * EventBridge "Step Functions Execution Status Change" (SUCCEEDED, FAILED, TIMED_OUT, ABORTED). FAILED,
 * TIMED_OUT, ABORTED: fail the execution's job if it is still open, so no job is left RUNNING when its execution
 * ended without MarkJobFailed; for a group execution, fail every job of the group still QUEUED (the ones
 * IngestGroup finished keep their result). Any end of a one-job execution then releases the job's tenant slot
 * and sends an `admit` message for the tenant, so its oldest waiting job starts (docs/design.md "Running-jobs
 * cap"). Each step is idempotent: an asynchronous retry (or a duplicate event) repeats them harmlessly; a
 * failure after the retries lands in the alarmed ExecutionEndFailures queue, to be redriven.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import pLimit from 'p-limit';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { readEnv, textVar } from '../../shared/config';
import { sqs } from '../../shared/aws/clients';
import { tenantSlotStore } from '../../shared/aws/stores/tenant-slots';
import { admitMessageBody } from '../../shared/api/queue-messages';
import { instrumented } from '../../shared/aws/handler';
import { logger } from '../../shared/aws/observability';
import { jobStore } from '../../shared/aws/stores/jobs';
import { getJson } from '../../shared/aws/stores/objects';
import {
  endedGroup,
  endedJob,
  releasedSlot,
  type EndedGroup,
  type ExecutionStatusDetail,
} from '../../shared/pipeline/execution-end';
import { groupKey } from '../../shared/pipeline/keys';

export type ExecutionStatusChange = EventBridgeEvent<
  'Step Functions Execution Status Change',
  ExecutionStatusDetail
>;

export type RecordOutput =
  | { jobId: string; recorded: boolean; released?: boolean }
  | { groupId: string; jobs: number; recorded: number };

const GROUP_WRITE_CONCURRENCY = 16;

const config = () => readEnv({ TABLE_NAME: textVar, BUCKET_NAME: textVar, QUEUE_URL: textVar });

/**
 * Gives the job's slot back (idempotent), then asks the starter to admit the tenant's oldest waiting jobs. A
 * failed send throws: the asynchronous retry repeats both steps.
 */
async function releaseSlot(tenant: string, jobId: string): Promise<void> {
  const { TABLE_NAME, QUEUE_URL } = config();
  await tenantSlotStore(TABLE_NAME).release(tenant, jobId);
  await sqs().send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: admitMessageBody(tenant) }));
}

/** The group's jobs: from the input when the event carried it, else from the group object. */
async function groupJobs(ended: EndedGroup, bucket: string) {
  if (ended.jobs) return ended.jobs;
  const stored = await getJson<{ jobs?: { tenant?: unknown; jobId?: unknown }[] }>(
    bucket,
    groupKey(ended.groupId),
  );
  if (!Array.isArray(stored?.jobs)) {
    // Nothing to go on: the starter writes the object before it starts the execution, so this is not expected.
    logger.error('group execution ended without its jobs in the input or a group object', {
      groupId: ended.groupId,
    });
    return [];
  }
  return stored.jobs
    .filter((job) => typeof job?.tenant === 'string' && typeof job.jobId === 'string')
    .map((job) => ({ tenant: job.tenant as string, jobId: job.jobId as string }));
}

async function recordGroupEnd(ended: EndedGroup, executionArn: string): Promise<RecordOutput> {
  const env = config();
  const jobs = jobStore(env.TABLE_NAME);
  const listed = await groupJobs(ended, env.BUCKET_NAME);
  const finishedAt = new Date().toISOString();
  const limit = pLimit(GROUP_WRITE_CONCURRENCY);
  const changed = await Promise.all(
    listed.map((job) =>
      limit(async () => {
        const failed = await jobs.transition(
          job.tenant,
          job.jobId,
          'FAILED',
          { failure: ended.failure, executionArn, groupId: ended.groupId, finishedAt },
          { from: ['QUEUED'] },
        );
        return failed !== undefined;
      }),
    ),
  );
  const recorded = changed.filter(Boolean).length;
  if (recorded > 0)
    logger.warn('group jobs failed by their execution ending', { recorded, failure: ended.failure });
  return { groupId: ended.groupId, jobs: listed.length, recorded };
}

export const handler = instrumented(
  'record-execution-end',
  async (event: ExecutionStatusChange): Promise<RecordOutput> => {
    const { detail } = event;
    const group = endedGroup(detail);
    if (group) {
      logger.appendKeys({ groupId: group.groupId, executionArn: detail.executionArn });
      return recordGroupEnd(group, detail.executionArn);
    }
    logger.appendKeys({ jobId: detail.name, executionArn: detail.executionArn });
    const ended = endedJob(detail);
    let recorded = false;
    if (ended) {
      const job = await jobStore(config().TABLE_NAME).transition(ended.tenant, ended.jobId, 'FAILED', {
        failure: ended.failure,
        finishedAt: new Date().toISOString(),
      });
      // No job, or one already finished (MarkJobFailed got there first): nothing to change.
      if (job) logger.warn('job failed by its execution ending', { failure: ended.failure });
      recorded = job !== undefined;
    }
    // After the job is final: the starter's leak check releases a finished job's slot too, never an open one's.
    const slot = releasedSlot(detail);
    if (slot) await releaseSlot(slot.tenant, slot.jobId);
    else if (!ended) logger.info('nothing to record', { status: detail.status });
    return { jobId: detail.name, recorded, released: slot !== undefined };
  },
);
