/** POST /uploads: a PENDING_UPLOAD job, a CloudFront signed PUT URL for its file, and its deadline message. */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { readEnv, intVar, textVar } from '../../shared/config';
import { secretsManager, sqs } from '../../shared/aws/clients';
import { jobStore } from '../../shared/aws/stores/jobs';
import { tenantOf } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { newJobId } from '../../shared/jobs/model';
import { apiHandler, jsonBody, type ApiEvent } from '../../shared/api/router';
import { enqueueOrFailJob, newJobRecord } from '../../shared/api/job-intake';
import type { UploadDeadlineMessage } from '../../shared/api/queue-messages';
import {
  cdnObjectUrl,
  deadlineDelaySeconds,
  parseUploadRequest,
  sanitizeFilename,
  uploadExpiry,
  uploadKey,
} from '../../shared/api/uploads';

const env = readEnv({
  TABLE_NAME: textVar,
  QUEUE_URL: textVar,
  CDN_URL: textVar,
  SIGNING_KEY_SECRET_ARN: textVar,
  SIGNING_KEY_PAIR_ID: textVar,
  UPLOAD_URL_TTL_SECONDS: intVar,
  UPLOAD_GRACE_SECONDS: intVar,
});
const jobs = jobStore(env.TABLE_NAME);

let signingKey: Promise<string> | undefined;

/** The CloudFront private key (PEM), read from Secrets Manager once per container. */
function privateKey(): Promise<string> {
  if (!signingKey) {
    signingKey = secretsManager()
      .send(new GetSecretValueCommand({ SecretId: env.SIGNING_KEY_SECRET_ARN }))
      .then(({ SecretString }) => {
        if (!SecretString) throw new Error('the signing key secret has no string value');
        return SecretString;
      });
    signingKey.catch(() => (signingKey = undefined)); // a failed read is retried by the next request
  }
  return signingKey;
}

async function createUpload(event: ApiEvent) {
  const tenant = tenantOf(event);
  const { filename } = parseUploadRequest(jsonBody(event));
  const now = new Date();
  const jobId = newJobId(now.getTime());
  const key = uploadKey(tenant, jobId, filename);
  const expiresAt = uploadExpiry(now.getTime(), env.UPLOAD_URL_TTL_SECONDS);
  const uploadUrl = getSignedUrl({
    url: cdnObjectUrl(env.CDN_URL, key),
    keyPairId: env.SIGNING_KEY_PAIR_ID,
    privateKey: await privateKey(),
    dateLessThan: expiresAt,
  });
  await jobs.create(
    newJobRecord(
      {
        jobId,
        tenant,
        source: 'upload',
        status: 'PENDING_UPLOAD',
        filename: sanitizeFilename(filename),
        uploadExpiresAt: expiresAt.toISOString(),
      },
      now,
    ),
  );
  const deadline: UploadDeadlineMessage = {
    kind: 'upload-deadline',
    jobId,
    tenant,
    expiresAt: expiresAt.toISOString(),
  };
  await enqueueOrFailJob(jobs, { tenant, jobId }, () =>
    sqs().send(
      new SendMessageCommand({
        QueueUrl: env.QUEUE_URL,
        MessageBody: JSON.stringify(deadline),
        DelaySeconds: deadlineDelaySeconds(env.UPLOAD_URL_TTL_SECONDS, env.UPLOAD_GRACE_SECONDS),
      }),
    ),
  );
  return json(201, { jobId, uploadUrl, method: 'PUT', expiresAt: expiresAt.toISOString() });
}

export const handler = apiHandler('create-upload', { 'POST /uploads': createUpload });
