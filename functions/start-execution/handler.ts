/**
 * The ingest queue's consumer (docs/design.md, "Starter"). Inline submissions of a batch are grouped
 * (shared/pipeline/grouping.ts): each group's events are PUT once to `work/groups/<groupId>.json`, then one
 * execution starts per group, named by the groupId (a redelivered identical set is ExecutionAlreadyExists).
 * Stored submissions, uploads and due upload deadlines start one execution per job (name = jobId), capped per
 * tenant (shared/pipeline/admission.ts): each such job is first parked in its tenant's ordered waiting list, then
 * the tenant's oldest waiting jobs are admitted while it holds fewer than `runningJobs` slots; the rest stay
 * QUEUED until a release (record-execution-end sends an `admit` message) lets them in.
 *
 * A throttled StartExecution is retried with backoff and full jitter inside the invocation; what is still
 * throttled near the time budget is re-sent to the queue with a delay and acknowledged, so throttling alone never
 * fails a job. Other errors are partial batch failures; on a message's last allowed receive they fail its job
 * (DeliveryFailed) before SQS moves the message to the DLQ, so no accepted job is left open.
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import pLimit from 'p-limit';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { readEnv, intVar, textVar } from '../../shared/config';
import { tenantLimitStore } from '../../shared/aws/stores/tenant-limits';
import { tenantSlotStore } from '../../shared/aws/stores/tenant-slots';
import { admitWaiting, reconcileGate, type WaitingJob } from '../../shared/pipeline/admission';
import { sfn, sqs } from '../../shared/aws/clients';
import { instrumented } from '../../shared/aws/handler';
import { logger, metrics } from '../../shared/aws/observability';
import { jobStore } from '../../shared/aws/stores/jobs';
import { head, putText } from '../../shared/aws/stores/objects';
import { deadlineAction, uploadNotReceived } from '../../shared/api/upload-deadline';
import { MAX_DELAY_SECONDS } from '../../shared/api/uploads';
import {
  isInline,
  jobRefOf,
  readQueueMessage,
  secondsUntilDue,
  type JobRef,
  type QueueMessage,
  type UploadDeadlineMessage,
} from '../../shared/api/queue-messages';
import { groupExecutionInput, planGroups, type Group, type InlineJob } from '../../shared/pipeline/grouping';
import { isThrottling, requeueDelaySeconds, retryThrottled } from '../../shared/pipeline/throttling';

const env = readEnv({
  TABLE_NAME: textVar,
  BUCKET_NAME: textVar,
  STATE_MACHINE_ARN: textVar,
  QUEUE_URL: textVar,
  MAX_RECEIVE_COUNT: intVar,
  UPLOAD_GRACE_SECONDS: intVar,
  TENANT_RUNNING_JOBS: intVar,
});
const jobs = jobStore(env.TABLE_NAME);
const slots = tenantSlotStore<ExecutionInput>(env.TABLE_NAME);
const runningJobsOf = tenantLimitStore(env.TABLE_NAME, 'runningJobs', {
  defaultValue: env.TENANT_RUNNING_JOBS,
});
/** The leak check (reading each running job) runs at most once per tenant per minute per sandbox. */
const mayReconcile = reconcileGate();

/** Time kept at the end of the invocation to re-queue throttled messages and answer. */
const RESERVE_MS = 10_000;
const GROUP_CONCURRENCY = 4;
const MESSAGE_CONCURRENCY = 16;
const TENANT_CONCURRENCY = 8;

interface ExecutionInput extends JobRef {
  source: 'api' | 'upload';
  bucket: string;
  key: string;
}

/** A tenant to admit waiting jobs for after this batch's large jobs are parked, and the records that asked. */
interface Admission {
  triggers: Map<string, SQSRecord>;
  /** The record that parked each job of this batch. */
  jobs: Map<string, SQSRecord>;
  /** Uploads parked by this batch: those left waiting move PENDING_UPLOAD → QUEUED. */
  uploads: string[];
}

/** One invocation's bookkeeping: the records to report as failed and those to re-queue. */
interface Run {
  deadlineMs: number;
  failed: Set<string>;
  throttled: Map<string, { record: SQSRecord; jobs: JobRef[] }>;
  admissions: Map<string, Admission>;
}

type Started = 'started' | 'throttled';

/** StartExecution, backing off while throttled; ExecutionAlreadyExists is success ('existed'). */
async function start(run: Run, name: string, input: unknown): Promise<Started | 'existed'> {
  const outcome = await retryThrottled(async () => {
    try {
      await sfn().send(
        new StartExecutionCommand({
          stateMachineArn: env.STATE_MACHINE_ARN,
          name,
          input: JSON.stringify(input),
        }),
      );
      return 'started' as const;
    } catch (error) {
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
      return 'existed' as const;
    }
  }, run);
  if (outcome.attempts > 1) metrics.addMetric('StartThrottled', MetricUnit.Count, outcome.attempts - 1);
  if (!outcome.ok) {
    logger.warn('StartExecution still throttled at the end of the budget, re-queueing', {
      name,
      attempts: outcome.attempts,
      error: outcome.error,
    });
    return 'throttled';
  }
  if (outcome.value === 'started') metrics.addMetric('ExecutionStarted', MetricUnit.Count, 1);
  return outcome.value;
}

function admissionOf(run: Run, tenant: string): Admission {
  let admission = run.admissions.get(tenant);
  if (!admission) {
    admission = { triggers: new Map(), jobs: new Map(), uploads: [] };
    run.admissions.set(tenant, admission);
  }
  return admission;
}

/**
 * A large job joins its tenant's waiting list; the message is done once it is parked (the admission after
 * the batch starts it, or a later one does). Parking rewrites the same item on a redelivery.
 */
async function parkJob(run: Run, record: SQSRecord, input: ExecutionInput): Promise<Started> {
  await slots.park(input.tenant, { jobId: input.jobId, input });
  const admission = admissionOf(run, input.tenant);
  admission.triggers.set(record.messageId, record);
  admission.jobs.set(input.jobId, record);
  if (input.source === 'upload') admission.uploads.push(input.jobId);
  return 'started';
}

const isFinished = async (tenant: string, jobId: string): Promise<boolean> => {
  const job = await jobs.get(tenant, jobId);
  return job === undefined || job.status === 'SUCCEEDED' || job.status === 'FAILED';
};

/**
 * Admits the tenant's oldest waiting jobs up to its cap. Still throttled: the records that asked are re-queued
 * (their redelivery re-parks idempotently and admits again). A job whose StartExecution failed otherwise is, as
 * before the cap, its record's failure (redelivered; on the last receive the job fails DeliveryFailed and leaves
 * the list); one parked by an earlier batch fails the records that asked, so the pass is retried. Another error:
 * those records are reported failed, never their jobs, which wait safely parked.
 */
async function admitTenant(run: Run, tenant: string, admission: Admission): Promise<void> {
  const triggers = [...admission.triggers.values()];
  try {
    const runningJobs = await runningJobsOf.get(tenant);
    const result = await admitWaiting<ExecutionInput>(tenant, runningJobs, {
      store: slots,
      start: async (job: WaitingJob<ExecutionInput>) => {
        const started = await start(run, job.jobId, job.input);
        if (started !== 'throttled') logger.info('execution started', { jobId: job.jobId, tenant });
        return started;
      },
      finished: isFinished,
      mayReconcile,
    });
    if (result.admitted.length > 0)
      metrics.addMetric('JobsAdmitted', MetricUnit.Count, result.admitted.length);
    if (result.reclaimed.length > 0) {
      logger.warn('slots of finished jobs reclaimed', { tenant, jobIds: result.reclaimed });
      metrics.addMetric('SlotsReclaimed', MetricUnit.Count, result.reclaimed.length);
    }
    if (result.full) logger.info('tenant at its running-jobs cap, jobs wait', { tenant, runningJobs });
    if (result.throttled)
      for (const record of triggers) run.throttled.set(record.messageId, { record, jobs: [] });
    for (const { jobId, error } of result.failed) {
      const record = admission.jobs.get(jobId);
      if (record) await fail(run, record, [{ tenant, jobId }], error, { parked: true });
      else {
        logger.error('a waiting job could not be started, it stays waiting', { tenant, jobId, error });
        await Promise.all(triggers.map((trigger) => fail(run, trigger, [], error)));
      }
    }
    const admitted = new Set(result.admitted);
    const waiting = admission.uploads.filter((jobId) => !admitted.has(jobId));
    // An upload whose file arrived but waits for a slot is QUEUED like any waiting job (conditional: one that
    // started meanwhile is RUNNING already and stays so).
    await Promise.all(
      waiting.map((jobId) => jobs.transition(tenant, jobId, 'QUEUED', {}, { from: ['PENDING_UPLOAD'] })),
    );
  } catch (error) {
    // Throttled table calls wait like a throttled start: re-queued with a delay, not redelivered toward the DLQ.
    if (isThrottling(error)) {
      logger.warn('admission throttled, re-queueing', { tenant, error });
      for (const record of triggers) run.throttled.set(record.messageId, { record, jobs: [] });
    } else await Promise.all(triggers.map((record) => fail(run, record, [], error)));
  }
}

async function uploadDeadline(run: Run, message: UploadDeadlineMessage, record: SQSRecord): Promise<Started> {
  const body = record.body;
  const { tenant, jobId, expiresAt } = message;
  const remaining = secondsUntilDue(expiresAt, env.UPLOAD_GRACE_SECONDS, Date.now());
  if (remaining > 0) {
    // SQS delays at most 15 minutes: a longer deadline is waited out in several hops.
    const DelaySeconds = Math.min(MAX_DELAY_SECONDS, remaining);
    await sqs().send(new SendMessageCommand({ QueueUrl: env.QUEUE_URL, MessageBody: body, DelaySeconds }));
    logger.info('upload deadline not due yet, re-queued', { jobId, DelaySeconds });
    return 'started';
  }
  const next = deadlineAction(await jobs.get(tenant, jobId), expiresAt);
  if (next.action === 'none') {
    logger.info('upload deadline passed, job not waiting', { jobId, why: next.why });
    return 'started';
  }
  if (next.action === 'check' && (await head(env.BUCKET_NAME, next.key))) {
    // The file landed but its notification has not started the job (late, lost or still queued): start it
    // here. The execution name is the job id, so the notification's own start is then a no-op.
    logger.info('upload deadline found the file, starting the job', { jobId, key: next.key });
    metrics.addMetric('UploadFoundAtDeadline', MetricUnit.Count, 1);
    return parkJob(run, record, { jobId, tenant, source: 'upload', bucket: env.BUCKET_NAME, key: next.key });
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
  return 'started';
}

async function failDelivery(job: JobRef, error: unknown, parked: boolean): Promise<void> {
  const failure = { error: 'DeliveryFailed', cause: (error as Error).message ?? String(error) };
  try {
    await jobs.transition(
      job.tenant,
      job.jobId,
      'FAILED',
      { failure, finishedAt: new Date().toISOString() },
      { from: ['PENDING_UPLOAD', 'QUEUED'] }, // a RUNNING job belongs to its execution
    );
    // A failed job leaves the waiting list and gives back the slot its failed start kept.
    if (parked) {
      await slots.unpark(job.tenant, job.jobId);
      await slots.release(job.tenant, job.jobId);
    }
  } catch (markError) {
    logger.error('could not fail the job of an undeliverable message', { jobId: job.jobId, markError });
  }
}

/** A record that failed for real: reported (SQS redelivers it); on its last receive its jobs fail first. */
async function fail(
  run: Run,
  record: SQSRecord,
  failedJobs: JobRef[],
  error: unknown,
  { parked = false } = {},
): Promise<void> {
  const lastReceive = Number(record.attributes.ApproximateReceiveCount) >= env.MAX_RECEIVE_COUNT;
  logger.error('queue message failed', {
    messageId: record.messageId,
    jobIds: failedJobs.map((job) => job.jobId),
    lastReceive,
    error,
  });
  run.failed.add(record.messageId);
  if (lastReceive) await Promise.all(failedJobs.map((job) => failDelivery(job, error, parked)));
}

async function processMessage(run: Run, record: SQSRecord, message: QueueMessage): Promise<void> {
  let current: JobRef | undefined = jobRefOf(record.body);
  try {
    let outcome: Started = 'started';
    switch (message.kind) {
      case 's3-test':
        return;
      case 'admit':
        admissionOf(run, message.tenant).triggers.set(record.messageId, record);
        return;
      case 'submission': {
        if (isInline(message)) return; // grouped, never here
        const { jobId, tenant, bucket, key } = message;
        outcome = await parkJob(run, record, { jobId, tenant, source: 'api', bucket, key });
        break;
      }
      case 'upload-deadline':
        outcome = await uploadDeadline(run, message, record);
        break;
      case 'uploads':
        for (const ignored of message.ignored) logger.warn('ignored S3 notification record', { ignored });
        for (const { tenant, jobId, bucket, key } of message.uploads) {
          current = { tenant, jobId };
          await parkJob(run, record, { jobId, tenant, source: 'upload', bucket, key });
        }
    }
    if (outcome === 'throttled')
      run.throttled.set(record.messageId, { record, jobs: current ? [current] : [] });
  } catch (error) {
    await fail(run, record, current ? [current] : [], error);
  }
}

interface Delivery {
  record: SQSRecord;
  job: JobRef;
}

async function startGroup(run: Run, group: Group<Delivery>): Promise<void> {
  const { groupId } = group;
  try {
    // Overwriting an identical object (a redelivered group) is harmless.
    await putText(env.BUCKET_NAME, group.key, group.body, 'application/json');
    const outcome = await start(run, groupId, groupExecutionInput(group, env.BUCKET_NAME));
    if (outcome === 'throttled') {
      for (const { record, job } of group.deliveries)
        run.throttled.set(record.messageId, { record, jobs: [job] });
      return;
    }
    logger.info('group execution started', { groupId, jobs: group.jobs.length });
    metrics.addMetric('GroupedJobs', MetricUnit.Count, group.jobs.length);
  } catch (error) {
    await Promise.all(group.deliveries.map(({ record, job }) => fail(run, record, [job], error)));
  }
}

/** SendMessageBatch takes 10 entries and 256 KiB in all. */
function requeueBatches(records: SQSRecord[]): SQSRecord[][] {
  const batches: SQSRecord[][] = [];
  let batch: SQSRecord[] = [];
  let size = 0;
  for (const record of records) {
    const bytes = Buffer.byteLength(record.body);
    if (batch.length === 10 || (batch.length > 0 && size + bytes > 256 * 1024)) {
      batches.push(batch);
      batch = [];
      size = 0;
    }
    batch.push(record);
    size += bytes;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Re-sends the throttled records as new messages with a delay (their receive count starts again). */
async function requeueThrottled(run: Run): Promise<void> {
  const throttled = [...run.throttled.values()];
  if (throttled.length === 0) return;
  const jobsOf = new Map(throttled.map(({ record, jobs }) => [record.messageId, jobs]));
  const batches = requeueBatches(throttled.map(({ record }) => record));
  let requeued = 0;
  await Promise.all(
    batches.map(async (batch) => {
      try {
        const { Failed = [] } = await sqs().send(
          new SendMessageBatchCommand({
            QueueUrl: env.QUEUE_URL,
            Entries: batch.map((record, n) => ({
              Id: String(n),
              MessageBody: record.body,
              DelaySeconds: requeueDelaySeconds(),
            })),
          }),
        );
        requeued += batch.length - Failed.length;
        for (const entry of Failed) {
          const record = batch[Number(entry.Id)]!;
          const error = new Error(
            `could not re-queue after throttling: ${entry.Code} ${entry.Message ?? ''}`,
          );
          await fail(run, record, jobsOf.get(record.messageId)!, error);
        }
      } catch (error) {
        await Promise.all(batch.map((record) => fail(run, record, jobsOf.get(record.messageId)!, error)));
      }
    }),
  );
  metrics.addMetric('ThrottledRequeued', MetricUnit.Count, requeued);
  logger.warn('throttled messages re-queued with a delay', { messages: requeued, of: throttled.length });
}

async function processBatch(event: SQSEvent, context: Context | undefined): Promise<SQSBatchResponse> {
  const remainingMs = context?.getRemainingTimeInMillis?.() ?? 30_000;
  const run: Run = {
    deadlineMs: Date.now() + remainingMs - RESERVE_MS,
    failed: new Set(),
    throttled: new Map(),
    admissions: new Map(),
  };
  const inline: { job: InlineJob; delivery: Delivery }[] = [];
  const others: { record: SQSRecord; message: QueueMessage }[] = [];
  for (const record of event.Records) {
    let message: QueueMessage;
    try {
      message = readQueueMessage(record.body);
    } catch (error) {
      const job = jobRefOf(record.body);
      await fail(run, record, job ? [job] : [], error);
      continue;
    }
    if (isInline(message)) {
      const { jobId, tenant, events } = message;
      inline.push({ job: { jobId, tenant, events }, delivery: { record, job: { jobId, tenant } } });
    } else others.push({ record, message });
  }
  const groupLimit = pLimit(GROUP_CONCURRENCY);
  const messageLimit = pLimit(MESSAGE_CONCURRENCY);
  await Promise.all([
    ...planGroups(inline).map((group) => groupLimit(() => startGroup(run, group))),
    ...others.map(({ record, message }) => messageLimit(() => processMessage(run, record, message))),
  ]);
  // Every large job of the batch is parked before any is admitted, so a tenant's jobs start in jobId order.
  const tenantLimit = pLimit(TENANT_CONCURRENCY);
  await Promise.all(
    [...run.admissions].map(([tenant, admission]) => tenantLimit(() => admitTenant(run, tenant, admission))),
  );
  await requeueThrottled(run);
  return { batchItemFailures: [...run.failed].map((itemIdentifier) => ({ itemIdentifier })) };
}

export const handler = instrumented('start-execution', processBatch);
