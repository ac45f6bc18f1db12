/** POST /events: store the submission in S3, open a QUEUED job, queue it for the starter. */
import * as z from 'zod';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { readEnv, intVar } from '../../shared/config';
import { sqs } from '../../shared/aws/clients';
import { metrics } from '../../shared/aws/observability';
import { jobStore } from '../../shared/aws/stores/jobs';
import { putJson } from '../../shared/aws/stores/objects';
import { parseHttpSubmission } from '../../shared/cloudevents/http';
import { tenantOf } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { newJobId } from '../../shared/jobs/model';
import { apiHandler, type ApiEvent } from '../../shared/api/router';
import { enqueueOrFailJob, newJobRecord } from '../../shared/api/job-intake';
import type { SubmissionMessage } from '../../shared/api/queue-messages';

const env = readEnv({
  TABLE_NAME: z.string().min(1),
  BUCKET_NAME: z.string().min(1),
  QUEUE_URL: z.string().min(1),
  MAX_REQUEST_BYTES: intVar,
  MAX_EVENTS_PER_REQUEST: intVar,
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
  const submission = { bucket: env.BUCKET_NAME, key: `submissions/${tenant}/${jobId}.json` };
  await putJson(submission.bucket, submission.key, candidates);
  await jobs.create(newJobRecord({ jobId, tenant, source: 'api', status: 'QUEUED', submission }, now));
  const message: SubmissionMessage = { kind: 'submission', jobId, tenant, ...submission };
  await enqueueOrFailJob(jobs, { tenant, jobId }, () =>
    sqs().send(new SendMessageCommand({ QueueUrl: env.QUEUE_URL, MessageBody: JSON.stringify(message) })),
  );
  metrics.addMetric('EventsSubmitted', MetricUnit.Count, candidates.length);
  return json(202, { jobId, status: 'QUEUED' }, { Location: `/jobs/${jobId}` });
}

export const handler = apiHandler('submit-events', { 'POST /events': submitEvents });
