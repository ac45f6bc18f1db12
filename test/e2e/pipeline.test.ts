/**
 * End to end against a local cloud started here, through public interfaces only: HTTP (the API and the CDN),
 * the Cognito API, the Step Functions and SQS APIs, and the official CloudEvents SDK to build requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CloudEvent, HTTP } from 'cloudevents';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  Api,
  event,
  localCredentials,
  signUpAndIn,
  startTestCloud,
  type TestCloud,
  type TestUser,
} from './harness';

let env: TestCloud;
let alice: TestUser;
let bob: TestUser;
let api: Api;
let bobApi: Api;

beforeAll(async () => {
  env = await startTestCloud();
  [alice, bob] = await Promise.all([signUpAndIn(env.endpoints, 'alice'), signUpAndIn(env.endpoints, 'bob')]);
  api = new Api(env.endpoints.apiUrl, alice.idToken);
  bobApi = new Api(env.endpoints.apiUrl, bob.idToken);
}, 120_000);

afterAll(async () => {
  await env?.dispose();
});

function sdkRequest(message: { headers: Record<string, unknown>; body: unknown }) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) headers[name.toLowerCase()] = String(value);
  return { headers, body: typeof message.body === 'string' ? message.body : JSON.stringify(message.body) };
}

describe('authentication', () => {
  it('serves /health without a token and refuses other routes without a valid one', async () => {
    const anonymous = new Api(env.endpoints.apiUrl);
    expect((await anonymous.get('/health')).body).toEqual({ status: 'ok' });
    expect((await anonymous.get('/jobs')).status).toBe(401);
    expect((await new Api(env.endpoints.apiUrl, 'not.a.jwt').get('/jobs')).status).toBe(401);
    const [header, payload] = alice.idToken.split('.');
    expect((await new Api(env.endpoints.apiUrl, `${header}.${payload}.AAAA`).get('/jobs')).status).toBe(401);
  });

  it('accepts the access token as well as the ID token', async () => {
    const { status } = await new Api(env.endpoints.apiUrl, alice.accessToken).get('/jobs');
    expect(status).toBe(200);
  });
});

describe('CloudEvents content modes', () => {
  const ce = () =>
    new CloudEvent({
      source: 'urn:sluice:sdk',
      type: 'com.example.sdk',
      data: { hello: 'world' },
      datacontenttype: 'application/json',
    });

  it.each([
    ['binary', () => HTTP.binary(ce())],
    ['structured', () => HTTP.structured(ce())],
  ])('accepts %s mode from the official SDK and stores the event', async (_mode, make) => {
    const message = make();
    const { headers, body } = sdkRequest(message as never);
    const sent = await api.request('POST', '/events', { headers, body });
    expect(sent.status).toBe(202);
    expect(sent.headers.get('location')).toBe(`/jobs/${sent.body.jobId}`);
    const job = await api.waitForJob(sent.body.jobId);
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      counts: { received: 1, accepted: 1, rejected: 0, duplicates: 0 },
    });
  });

  it('accepts batch mode and plain JSON arrays and objects', async () => {
    const batch = await api.postJson('/events', [event(), event()], 'application/cloudevents-batch+json');
    const array = await api.postJson('/events', [event(), event(), event()]);
    const single = await api.postJson('/events', event());
    for (const response of [batch, array, single]) expect(response.status).toBe(202);
    expect((await api.waitForJob(batch.body.jobId)).counts.accepted).toBe(2);
    expect((await api.waitForJob(array.body.jobId)).counts.accepted).toBe(3);
    expect((await api.waitForJob(single.body.jobId)).counts.accepted).toBe(1);
  });

  it('answers request-level problems with 4xx and the error shape', async () => {
    const notJson = await api.request('POST', '/events', {
      body: '{"specversion":',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('InvalidJson');
    expect((await api.postJson('/events', [], 'application/cloudevents-batch+json')).status).toBe(400);
    expect((await api.postJson('/events', 42)).status).toBe(400);
    const xml = await api.request('POST', '/events', {
      body: '<x/>',
      headers: { 'content-type': 'text/xml' },
    });
    expect(xml.status).toBe(415);
    expect(xml.body.error).toMatchObject({ code: 'UnsupportedMediaType' });
    const tooMany = await api.postJson(
      '/events',
      Array.from({ length: 10_001 }, () => ({ id: 'x' })),
    );
    expect(tooMany.status).toBe(413);
  });
});

describe('validation, schemas and duplicates', () => {
  it('counts a mixed batch exactly and reports each rejection with its index', async () => {
    const type = 'com.example.payment';
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      required: ['amount'],
      properties: { amount: { type: 'number', minimum: 0 } },
    };
    expect((await api.putJson(`/schemas/${type}`, schema)).status).toBe(200);
    const broken = await api.putJson(`/schemas/${type}.broken`, {
      type: 'object',
      properties: { a: { type: 12 } },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('InvalidSchema');

    const stored = event({ type, data: { amount: 1 } });
    const first = await api.postJson('/events', [stored]);
    expect((await api.waitForJob(first.body.jobId)).counts.accepted).toBe(1);

    const valid = event({ type, data: { amount: 5 } });
    const batch = [
      valid, // 0 accepted
      { ...event(), specversion: '0.3' }, // 1 rejected: specversion
      event({ type, data: { amount: -1 } }), // 2 rejected: schema
      { ...stored }, // 3 duplicate of an earlier job
      { ...valid }, // 4 duplicate within the batch
      (({ source: _s, ...rest }) => rest)(event()), // 5 rejected: no source
      event({ time: 'yesterday' }), // 6 rejected: time
    ];
    const sent = await api.postJson('/events', batch);
    expect(sent.status).toBe(202);
    const job = await api.waitForJob(sent.body.jobId);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.counts).toEqual({ received: 7, accepted: 1, rejected: 4, duplicates: 2 });
    expect(job.errors.map((e: { index: number }) => e.index)).toEqual([1, 2, 5, 6]);
    expect(job.errors[0].reason).toMatch(/^specversion/);
    expect(job.errors[1].reason).toMatch(/^data/);
    expect(job.errors[2].reason).toMatch(/^source/);
    expect(job.errors[3].reason).toMatch(/^time/);
    const report = await api.get(`/jobs/${job.jobId}/errors`);
    expect(report.body.items).toHaveLength(4);

    const fetched = await api.get(
      `/events/${encodeURIComponent(valid.id as string)}?source=${encodeURIComponent(valid.source as string)}`,
    );
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(valid);
  });

  it('lists stored events by type, newest time first, with pagination', async () => {
    const type = `com.example.listed.${Date.now()}`;
    const events = [0, 1, 2].map((i) => event({ type, time: `2026-01-0${i + 1}T00:00:00Z` }));
    const sent = await api.postJson('/events', events);
    await api.waitForJob(sent.body.jobId);
    const page1 = await api.get(`/events?type=${type}&limit=2`);
    expect(page1.body.items.map((e: { id: string }) => e.id)).toEqual([events[2]!.id, events[1]!.id]);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await api.get(
      `/events?type=${type}&limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`,
    );
    expect(page2.body.items.map((e: { id: string }) => e.id)).toEqual([events[0]!.id]);
    expect(page2.body.nextCursor).toBeNull();
    const since = await api.get(`/events?type=${type}&since=2026-01-02T00:00:00Z`);
    expect(since.body.items).toHaveLength(2);
  });
});

describe('uploads through the CDN', () => {
  const lines = (n: number, type = 'com.example.upload') =>
    Array.from({ length: n }, (_, i) => JSON.stringify(event({ type, data: { i } })));

  async function upload(filename: string, body: Buffer) {
    const created = await api.postJson('/uploads', { filename });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      method: 'PUT',
      uploadUrl: expect.stringContaining(env.endpoints.cdnUrl),
    });
    const pending = await api.get(`/jobs/${created.body.jobId}`);
    expect(pending.body.status).toBe('PENDING_UPLOAD');
    const put = await fetch(created.body.uploadUrl, { method: 'PUT', body });
    expect(put.status).toBe(200);
    return created.body as { jobId: string; uploadUrl: string };
  }

  it('ingests an NDJSON file with a bad line and exact counts', async () => {
    const type = `com.example.ndjson.${Date.now()}`;
    const good = lines(50, type);
    const text = [...good.slice(0, 10), '{not json', ...good.slice(10)].join('\n') + '\n';
    const { jobId } = await upload('events.ndjson', Buffer.from(text));
    const job = await api.waitForJob(jobId);
    expect(job).toMatchObject({ status: 'SUCCEEDED', source: 'upload' });
    expect(job.counts).toEqual({ received: 51, accepted: 50, rejected: 1, duplicates: 0 });
    expect(job.errors[0]).toMatchObject({ index: 10, id: null });
    const listed = await api.get(`/events?type=${type}&limit=100`);
    expect(listed.body.items).toHaveLength(50);
  });

  it('ingests a gzip file', async () => {
    const { jobId } = await upload('events.ndjson.gz', gzipSync(lines(120).join('\n')));
    const job = await api.waitForJob(jobId);
    expect(job.counts).toEqual({ received: 120, accepted: 120, rejected: 0, duplicates: 0 });
  });

  it('fails a job whose file cannot be read, with the reason', async () => {
    const { jobId } = await upload('broken.json.gz', Buffer.from('this is not gzip'));
    const job = await api.waitForJob(jobId);
    expect(job.status).toBe('FAILED');
    expect(job.failure).toMatchObject({ error: 'SubmissionUnreadable' });
  });

  it('refuses tampered, expired and wrong-key signed URLs', async () => {
    const created = await api.postJson('/uploads', { filename: 'refused.ndjson' });
    const url = new URL(created.body.uploadUrl);
    const body = Buffer.from(lines(1).join('\n'));
    const put = (target: string) => fetch(target, { method: 'PUT', body }).then((r) => r.status);

    const tampered = new URL(url);
    const signature = tampered.searchParams.get('Signature')!;
    tampered.searchParams.set('Signature', (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1));
    expect(await put(tampered.toString())).toBe(403);

    const otherKey = new URL(url);
    otherKey.pathname = otherKey.pathname.replace('refused.ndjson', 'other.ndjson');
    expect(await put(otherKey.toString())).toBe(403);

    const keyPairId = url.searchParams.get('Key-Pair-Id')!;
    const unsigned = `${url.origin}${url.pathname}`;
    const keysDir = join(env.dataDir, 'keys');
    const privateKeyFile = readdirSync(keysDir).find((f) => f.includes('private'))!;
    const realKey = readFileSync(join(keysDir, privateKeyFile), 'utf8');
    const expired = getSignedUrl({
      url: unsigned,
      keyPairId,
      privateKey: realKey,
      dateLessThan: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(await put(expired)).toBe(403);

    const { privateKey: foreign } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const wrongKey = getSignedUrl({
      url: unsigned,
      keyPairId,
      privateKey: foreign.export({ type: 'pkcs1', format: 'pem' }).toString(),
      dateLessThan: new Date(Date.now() + 600_000).toISOString(),
    });
    expect(await put(wrongKey)).toBe(403);

    expect(await put(url.toString())).toBe(200);
    expect((await api.waitForJob(created.body.jobId)).status).toBe('SUCCEEDED');
  });
});

describe('tenant isolation', () => {
  it("never shows one tenant another's jobs, events or schemas", async () => {
    const type = `com.example.private.${Date.now()}`;
    const mine = event({ type });
    const sent = await api.postJson('/events', [mine]);
    await api.waitForJob(sent.body.jobId);
    await api.putJson(`/schemas/${type}`, { type: 'object' });

    expect((await bobApi.get(`/jobs/${sent.body.jobId}`)).status).toBe(404);
    const bobJobs = await bobApi.get('/jobs?limit=100');
    expect(bobJobs.body.items.map((j: { jobId: string }) => j.jobId)).not.toContain(sent.body.jobId);
    expect((await bobApi.get(`/events?type=${type}`)).body.items).toEqual([]);
    expect(
      (
        await bobApi.get(
          `/events/${encodeURIComponent(mine.id as string)}?source=${encodeURIComponent(mine.source as string)}`,
        )
      ).status,
    ).toBe(404);
    expect((await bobApi.get(`/schemas/${type}`)).status).toBe(404);

    // The same event sent by another tenant is theirs, not a duplicate of Alice's.
    const bobSent = await bobApi.postJson('/events', [mine]);
    expect((await bobApi.waitForJob(bobSent.body.jobId)).counts).toMatchObject({
      accepted: 1,
      duplicates: 0,
    });
  });
});

describe('failures, retries and delivery', () => {
  it('retries a task that fails transiently and still succeeds', async () => {
    // A small submission is carried by a group execution: its one task is IngestGroup.
    env.cloud.faults.inject({ function: 'ingest-group', errorType: 'Lambda.ServiceException', times: 1 });
    const sent = await api.postJson('/events', [event(), event()]);
    const job = await api.waitForJob(sent.body.jobId);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.counts.accepted).toBe(2);
    const sfn = new SFNClient({
      endpoint: env.endpoints.sfnEndpoint,
      region: env.endpoints.region,
      credentials: localCredentials,
    });
    const history = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: job.executionArn, maxResults: 1000 }),
    );
    const types = history.events!.map((e) => e.type);
    expect(types).toContain('TaskFailed');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
  });

  it('fails the job with the cause when a task fails fatally', async () => {
    env.cloud.faults.inject({
      function: 'ingest-group',
      errorType: 'SubmissionUnreadable',
      errorMessage: 'injected fatal failure',
      times: 1,
    });
    const sent = await api.postJson('/events', [event()]);
    const job = await api.waitForJob(sent.body.jobId);
    expect(job.status).toBe('FAILED');
    expect(job.failure).toEqual({ error: 'SubmissionUnreadable', cause: 'injected fatal failure' });
    const sfn = new SFNClient({
      endpoint: env.endpoints.sfnEndpoint,
      region: env.endpoints.region,
      credentials: localCredentials,
    });
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: job.executionArn }));
    expect(execution.status).toBe('FAILED');
    expect(execution.name).toMatch(/^g-[0-9a-f]{40}$/);
    expect(JSON.parse(execution.input!).jobs).toContainEqual({ jobId: job.jobId, tenant: alice.sub });
  });

  it('processes a message delivered twice into the same result and stores no duplicate events', async () => {
    const type = `com.example.twice.${Date.now()}`;
    const events = [event({ type }), event({ type })];
    const sent = await api.postJson('/events', events);
    const job = await api.waitForJob(sent.body.jobId);
    const sqs = new SQSClient({
      endpoint: env.endpoints.sqsEndpoint,
      region: env.endpoints.region,
      credentials: localCredentials,
    });
    // Re-deliver the job's own (inline) message, as SQS may: it lands in another batch, so another group.
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: env.endpoints.queueUrl,
        MessageBody: JSON.stringify({ kind: 'submission', jobId: job.jobId, tenant: alice.sub, events }),
      }),
    );
    const sfn = new SFNClient({
      endpoint: env.endpoints.sfnEndpoint,
      region: env.endpoints.region,
      credentials: localCredentials,
    });
    const carrying = async () => {
      const { executions = [] } = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: env.endpoints.stateMachineArn, maxResults: 1000 }),
      );
      const found = [];
      for (const e of executions.filter((x) => x.name?.startsWith('g-'))) {
        const described = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
        const jobs = (JSON.parse(described.input!) as { jobs: { jobId: string }[] }).jobs;
        if (jobs.some((j) => j.jobId === job.jobId)) found.push(described);
      }
      return found;
    };
    // Wait until the starter took the message again (the queue is empty) and what it started has ended.
    const queued = async () => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: env.endpoints.queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(Attributes.ApproximateNumberOfMessages) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible)
      );
    };
    for (let i = 0; i < 100 && (await queued()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    let executions = await carrying();
    for (let i = 0; i < 100 && executions.some((e) => e.status === 'RUNNING'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      executions = await carrying();
    }
    // The same set of jobs is the same group name (ExecutionAlreadyExists); another set is a second execution.
    expect(executions.length).toBeGreaterThanOrEqual(1);
    expect(executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    // Either way: the same result, the same execution on the job, no new events.
    expect((await api.get(`/events?type=${type}`)).body.items).toHaveLength(2);
    const again = (await api.get(`/jobs/${job.jobId}`)).body;
    expect(again.counts).toEqual(job.counts);
    expect(again.executionArn).toBe(job.executionArn);
  });

  it('exposes the execution through the Step Functions API', async () => {
    const sent = await api.postJson('/events', [event()]);
    const job = await api.waitForJob(sent.body.jobId);
    const sfn = new SFNClient({
      endpoint: env.endpoints.sfnEndpoint,
      region: env.endpoints.region,
      credentials: localCredentials,
    });
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: job.executionArn }));
    expect(execution).toMatchObject({
      status: 'SUCCEEDED',
      name: expect.stringMatching(/^g-[0-9a-f]{40}$/),
      stateMachineArn: env.endpoints.stateMachineArn,
    });
    expect(JSON.parse(execution.input!).jobs).toContainEqual({ jobId: job.jobId, tenant: alice.sub });
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: job.executionArn }));
    const entered = history
      .events!.filter((e) => e.type === 'TaskStateEntered')
      .map((e) => e.stateEnteredEventDetails?.name);
    expect(entered).toEqual(['IngestGroup']);
  });

  it('does not leave a message for an unknown state in the DLQ unnoticed', async () => {
    const sqs = new SQSClient({
      endpoint: env.endpoints.sqsEndpoint,
      region: env.endpoints.region,
      credentials: localCredentials,
    });
    const dlq = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: env.endpoints.deadLetterQueueUrl, WaitTimeSeconds: 0 }),
    );
    expect(dlq.Messages ?? []).toEqual([]);
  });
});
