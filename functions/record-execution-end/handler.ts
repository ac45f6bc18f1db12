/**
 * EventBridge "Step Functions Execution Status Change" (FAILED, TIMED_OUT, ABORTED): fail the execution's job
 * if it is still open, so no job is left RUNNING when its execution ended without MarkJobFailed.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import * as z from 'zod';
import { readEnv } from '../../shared/config';
import { instrumented } from '../../shared/aws/handler';
import { logger } from '../../shared/aws/observability';
import { jobStore } from '../../shared/aws/stores/jobs';
import { endedJob, type ExecutionStatusDetail } from '../../shared/pipeline/execution-end';

export type ExecutionStatusChange = EventBridgeEvent<
  'Step Functions Execution Status Change',
  ExecutionStatusDetail
>;

const config = () => readEnv({ TABLE_NAME: z.string().min(1) });

export const handler = instrumented(
  'record-execution-end',
  async (event: ExecutionStatusChange): Promise<{ jobId: string; recorded: boolean }> => {
    const { detail } = event;
    logger.appendKeys({ jobId: detail.name, executionArn: detail.executionArn });
    const ended = endedJob(detail);
    if (!ended) {
      logger.info('nothing to record', { status: detail.status });
      return { jobId: detail.name, recorded: false };
    }
    const job = await jobStore(config().TABLE_NAME).transition(ended.tenant, ended.jobId, 'FAILED', {
      failure: ended.failure,
      finishedAt: new Date().toISOString(),
    });
    // No job, or one already finished (MarkJobFailed got there first): nothing to change.
    if (job) logger.warn('job failed by its execution ending', { failure: ended.failure });
    return { jobId: ended.jobId, recorded: job !== undefined };
  },
);
