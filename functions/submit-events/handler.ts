/**
 * POST /events: open a QUEUED job and queue it for the starter. A submission whose JSON array text is at most
 * `maxInlineBytes` travels in the message itself (PutItem + SendMessage, no S3 call: the starter groups it with
 * others); a larger one is stored in S3 first and the message points at it (one execution of its own).
 *
 * A successful POST writes no log line and no metric: at a million single-event POSTs an EMF line each would cost
 * ≈ $0.10 (CloudWatch Logs ingestion). Events are counted where they are processed (EventsAccepted, EventsRejected,
 * EventsDuplicate), requests by API Gateway's own metrics.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { readEnv, intVar, textVar } from '../../shared/config';
import { sqs } from '../../shared/aws/clients';
import { jobStore } from '../../shared/aws/stores/jobs';
import { putText } from '../../shared/aws/stores/objects';
import { parseHttpSubmission } from '../../shared/cloudevents/http';
import { tenantOf } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { newJobId } from '../../shared/jobs/model';
import { apiHandler, type ApiEvent } from '../../shared/api/router';
import { enqueueOrFailJob, newJobRecord } from '../../shared/api/job-intake';
import { inlineSubmissionBody, type SubmissionMessage } from '../../shared/api/queue-messages';

const env = readEnv({
  TABLE_NAME: textVar,
  BUCKET_NAME: textVar,
  QUEUE_URL: textVar,
  MAX_REQUEST_BYTES: intVar,
  MAX_EVENTS_PER_REQUEST: intVar,
  MAX_INLINE_BYTES: intVar,
});
const jobs = jobStore(env.TABLE_NAME);

async function submitEvents(event: ApiEvent) {
  const tenant = tenantOf(event);
  const { candidates } = parseHttpSubmission(
    { headers: event.headers ?? {}, body: event.body, isBase64Encoded: event.isBase64Encoded },
    { maxRequestBytes: env.MAX_REQUEST_BYTES, maxEventsPerRequest: env.MAX_EVENTS_PER_REQUEST },
  );
  const now = new Date();
  const jobId = newJobId(now.getTime());
  const job = { tenant, jobId };
  const eventsText = JSON.stringify(candidates);
  let messageBody: string;
  if (Buffer.byteLength(eventsText) <= env.MAX_INLINE_BYTES) {
    await jobs.create(newJobRecord({ jobId, tenant, source: 'api', status: 'QUEUED' }, now));
    messageBody = inlineSubmissionBody(job, eventsText);
  } else {
    const submission = { bucket: env.BUCKET_NAME, key: `submissions/${tenant}/${jobId}.json` };
    await putText(submission.bucket, submission.key, eventsText, 'application/json');
    await jobs.create(newJobRecord({ jobId, tenant, source: 'api', status: 'QUEUED', submission }, now));
    const message: SubmissionMessage = { kind: 'submission', jobId, tenant, ...submission };
    messageBody = JSON.stringify(message);
  }
  await enqueueOrFailJob(jobs, job, () =>
    sqs().send(new SendMessageCommand({ QueueUrl: env.QUEUE_URL, MessageBody: messageBody })),
  );
  return json(202, { jobId, status: 'QUEUED' }, { Location: `/jobs/${jobId}` });
}

export const handler = apiHandler('submit-events', { 'POST /events': submitEvents });
