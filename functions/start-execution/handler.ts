/**
 * The ingest queue's consumer: one Step Functions execution per job (name = jobId, so a duplicate delivery is
 * a no-op), and upload deadlines. Reports partial batch failures; on a message's last allowed receive it fails
 * the job (DeliveryFailed) before SQS moves the message to the DLQ, so no accepted job is left open.
 */
import * as z from 'zod';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { readEnv, intVar } from '../../shared/config';
import { sfn, sqs } from '../../shared/aws/clients';
import { instrumented } from '../../shared/aws/handler';
import { logger, metrics } from '../../shared/aws/observability';
import { jobStore } from '../../shared/aws/stores/jobs';
import { head } from '../../shared/aws/stores/objects';
import { deadlineAction, uploadNotReceived } from '../../shared/api/upload-deadline';
import { MAX_DELAY_SECONDS } from '../../shared/api/uploads';
import {
  jobRefOf,
  readQueueMessage,
  secondsUntilDue,
  type JobRef,
  type UploadDeadlineMessage,
} from '../../shared/api/queue-messages';

const env = readEnv({
  TABLE_NAME: z.string().min(1),
  BUCKET_NAME: z.string().min(1),
  STATE_MACHINE_ARN: z.string().min(1),
  MAX_RECEIVE_COUNT: intVar,
  UPLOAD_GRACE_SECONDS: intVar,
});
const jobs = jobStore(env.TABLE_NAME);
const processor = new BatchProcessor(EventType.SQS);

interface ExecutionInput extends JobRef {
  source: 'api' | 'upload';
  bucket: string;
  key: string;
}

async function startExecution(input: ExecutionInput): Promise<void> {
  const { jobId } = input;
  try {
    const { executionArn } = await sfn().send(
      new StartExecutionCommand({
        stateMachineArn: env.STATE_MACHINE_ARN,
        name: jobId,
        input: JSON.stringify(input),
      }),
    );
    logger.info('execution started', { jobId, executionArn });
    metrics.addMetric('ExecutionStarted', MetricUnit.Count, 1);
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    logger.info('execution already started by an earlier delivery', { jobId });
  }
}

async function uploadDeadline(message: UploadDeadlineMessage, body: string): Promise<void> {
  const { tenant, jobId, expiresAt } = message;
  const remaining = secondsUntilDue(expiresAt, env.UPLOAD_GRACE_SECONDS, Date.now());
  if (remaining > 0) {
    // SQS delays at most 15 minutes: a longer deadline is waited out in several hops.
    const { QUEUE_URL } = readEnv({ QUEUE_URL: z.string().min(1) });
    const DelaySeconds = Math.min(MAX_DELAY_SECONDS, remaining);
    await sqs().send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: body, DelaySeconds }));
    logger.info('upload deadline not due yet, re-queued', { jobId, DelaySeconds });
    return;
  }
  const next = deadlineAction(await jobs.get(tenant, jobId), expiresAt);
  if (next.action === 'none') {
    logger.info('upload deadline passed, job not waiting', { jobId, why: next.why });
    return;
  }
  if (next.action === 'check' && (await head(env.BUCKET_NAME, next.key))) {
    // The file landed but its notification has not started the job (late, lost or still queued): start it
    // here. The execution name is the job id, so the notification's own start is then a no-op.
    logger.info('upload deadline found the file, starting the job', { jobId, key: next.key });
    metrics.addMetric('UploadFoundAtDeadline', MetricUnit.Count, 1);
    return startExecution({ jobId, tenant, source: 'upload', bucket: env.BUCKET_NAME, key: next.key });
  }
  const failed = await jobs.transition(
    tenant,
    jobId,
    'FAILED',
    { failure: uploadNotReceived(expiresAt), finishedAt: new Date().toISOString() },
    { from: ['PENDING_UPLOAD'] },
  );
  // No update means the file arrived and the job started meanwhile: nothing to do.
  logger.info(failed ? 'upload not received, job failed' : 'upload deadline passed, job not waiting', {
    jobId,
  });
  if (failed) metrics.addMetric('UploadNotReceived', MetricUnit.Count, 1);
}

async function failDelivery(job: JobRef, error: unknown): Promise<void> {
  const failure = { error: 'DeliveryFailed', cause: (error as Error).message ?? String(error) };
  try {
    await jobs.transition(
      job.tenant,
      job.jobId,
      'FAILED',
      { failure, finishedAt: new Date().toISOString() },
      { from: ['PENDING_UPLOAD', 'QUEUED'] }, // a RUNNING job belongs to its execution
    );
  } catch (markError) {
    logger.error('could not fail the job of an undeliverable message', { jobId: job.jobId, markError });
  }
}

async function processRecord(record: SQSRecord): Promise<void> {
  let job = jobRefOf(record.body);
  try {
    const message = readQueueMessage(record.body);
    switch (message.kind) {
      case 's3-test':
        return;
      case 'submission': {
        const { jobId, tenant, bucket, key } = message;
        return await startExecution({ jobId, tenant, source: 'api', bucket, key });
      }
      case 'upload-deadline':
        return await uploadDeadline(message, record.body);
      case 'uploads':
        for (const ignored of message.ignored) logger.warn('ignored S3 notification record', { ignored });
        for (const { tenant, jobId, bucket, key } of message.uploads) {
          job = { tenant, jobId };
          await startExecution({ jobId, tenant, source: 'upload', bucket, key });
        }
    }
  } catch (error) {
    const lastReceive = Number(record.attributes.ApproximateReceiveCount) >= env.MAX_RECEIVE_COUNT;
    logger.error('queue message failed', {
      messageId: record.messageId,
      jobId: job?.jobId,
      lastReceive,
      error,
    });
    if (lastReceive && job) await failDelivery(job, error);
    throw error;
  }
}

export const handler = instrumented('start-execution', (event: SQSEvent, context) =>
  processPartialResponse(event, processRecord, processor, { context, throwOnFullBatchFailure: false }),
);
