/**
 * What happens when things go wrong between the parts: a poison message, and a restart of the whole local cloud
 * in the middle of a job. Both must end with every accepted job SUCCEEDED or FAILED with a reason.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Api, event, localCredentials, signUpAndIn, startTestCloud, type TestCloud } from './harness';

const clouds: TestCloud[] = [];
afterAll(async () => {
  for (const env of clouds.reverse()) await env.dispose();
});

describe('recovery', () => {
  it('moves a poison message to the DLQ and fails its job with the reason', async () => {
    const env = await startTestCloud({ queue: { visibilityTimeoutSeconds: 1 } });
    clouds.push(env);
    const user = await signUpAndIn(env.endpoints, 'poison');
    const api = new Api(env.endpoints.apiUrl, user.idToken);
    // A job waiting for its file, and a malformed message about it (no bucket or key): it can never start.
    const upload = await api.postJson('/uploads', { filename: 'never.ndjson' });
    const sqs = new SQSClient({
      endpoint: env.endpoints.sqsEndpoint,
      region: env.endpoints.region,
      credentials: localCredentials,
    });
    const poison = JSON.stringify({ kind: 'submission', jobId: upload.body.jobId, tenant: user.sub });
    await sqs.send(new SendMessageCommand({ QueueUrl: env.endpoints.queueUrl, MessageBody: poison }));

    const job = await api.waitForJob(upload.body.jobId, 60_000);
    expect(job.status).toBe('FAILED');
    expect(job.failure.error).toBe('DeliveryFailed');
    expect(job.failure.cause).toMatch(/bucket|key/);

    let dead: string[] = [];
    const deadline = Date.now() + 20_000;
    while (dead.length === 0 && Date.now() < deadline) {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: env.endpoints.deadLetterQueueUrl,
          WaitTimeSeconds: 1,
          MaxNumberOfMessages: 10,
        }),
      );
      dead = (received.Messages ?? []).map((m) => m.Body ?? '');
    }
    expect(dead).toContain(poison);
  }, 90_000);

  it('loses nothing when the local cloud restarts in the middle of a job', async () => {
    const first = await startTestCloud();
    const user = await signUpAndIn(first.endpoints, 'restart');
    const type = `com.example.restart.${Date.now()}`;
    const events = Array.from({ length: 3000 }, (_, i) => event({ type, data: { i } }));
    let api = new Api(first.endpoints.apiUrl, user.idToken);
    const sent = await api.postJson('/events', events);
    expect(sent.status).toBe(202);
    await api
      .waitForJobState(sent.body.jobId, (job) => job.status === 'RUNNING', 30_000)
      .catch(() => undefined);
    await first.cloud.stop();

    const second = await startTestCloud({ dataDir: first.dataDir });
    clouds.push(second);
    api = new Api(second.endpoints.apiUrl, user.idToken);
    const job = await api.waitForJob(sent.body.jobId, 120_000);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.counts).toEqual({ received: 3000, accepted: 3000, rejected: 0, duplicates: 0 });
    let count = 0;
    let cursor: string | null = null;
    do {
      const page: { body: { items: unknown[]; nextCursor: string | null } } = await api.get(
        `/events?type=${type}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      count += page.body.items.length;
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(count).toBe(3000);
  }, 180_000);
});
