/**
 * `npm run demo`: a scripted walk through a running local cloud (`npm start` in another terminal), using only
 * its public interfaces: create a user, sign in, post events, upload a file through a signed URL, wait for both
 * jobs and print their results with a link to each execution.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { Api, event, signUpAndIn } from './client';
import type { Endpoints } from './cloud';

// The AWS SDK's notice about its future Node.js requirement is noise in a demo's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const endpointsFile = process.argv[2] ?? `${process.env.SLUICE_DATA_DIR ?? '.sluice'}/endpoints.json`;

function loadEndpoints(): Endpoints & { consoleUrl?: string } {
  try {
    return JSON.parse(readFileSync(endpointsFile, 'utf8'));
  } catch {
    console.error(`Cannot read ${endpointsFile}: start the local cloud first with \`npm start\`.`);
    process.exit(1);
  }
}

function executionLink(endpoints: Endpoints & { consoleUrl?: string }, executionArn: string): string {
  return endpoints.consoleUrl
    ? `${endpoints.consoleUrl}/#/executions/${encodeURIComponent(executionArn)}`
    : `aws stepfunctions describe-execution --endpoint-url ${endpoints.sfnEndpoint} --execution-arn ${executionArn}`;
}

async function main(): Promise<void> {
  const endpoints = loadEndpoints();
  const step = (text: string) => console.log(`\n▸ ${text}`);

  step('Creating a user and signing in (Cognito SignUp, AdminConfirmSignUp, InitiateAuth)');
  const user = await signUpAndIn(endpoints, 'demo');
  console.log(`  ${user.username}`);
  const api = new Api(endpoints.apiUrl, user.idToken);

  step('Registering a JSON Schema for com.example.order.created');
  await api.putJson('/schemas/com.example.order.created', {
    type: 'object',
    required: ['orderId', 'amount'],
    properties: { orderId: { type: 'string' }, amount: { type: 'number', minimum: 0 } },
  });

  step('Posting a batch of 5 events (one invalid, one failing the schema, one duplicate)');
  const good = event();
  const posted = await api.postJson(
    '/events',
    [
      good,
      event(),
      { ...event(), specversion: '0.3' },
      event({ data: { orderId: 'x', amount: -5 } }),
      { ...good },
    ],
    'application/cloudevents-batch+json',
  );
  console.log(`  ${posted.status} ${JSON.stringify(posted.body)}`);

  step('Uploading a gzip NDJSON file of 1,000 events through the CDN signed URL');
  const lines = Array.from({ length: 1000 }, (_, i) =>
    JSON.stringify(event({ id: randomUUID(), data: { orderId: `o-${i}`, amount: i } })),
  );
  const upload = await api.postJson('/uploads', { filename: 'orders.ndjson.gz' });
  const put = await fetch(upload.body.uploadUrl, { method: 'PUT', body: gzipSync(lines.join('\n')) });
  console.log(`  job ${upload.body.jobId}: PUT ${put.status}`);

  for (const jobId of [posted.body.jobId, upload.body.jobId]) {
    step(`Waiting for job ${jobId}`);
    const job = await api.waitForJob(jobId, 120_000);
    console.log(`  status:    ${job.status}`);
    console.log(`  counts:    ${JSON.stringify(job.counts)}`);
    for (const error of job.errors.slice(0, 5)) console.log(`  rejected:  #${error.index} ${error.reason}`);
    if (job.failure) console.log(`  failure:   ${job.failure.error}: ${job.failure.cause}`);
    console.log(`  execution: ${executionLink(endpoints, job.executionArn)}`);
    if (job.status !== 'SUCCEEDED') process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
