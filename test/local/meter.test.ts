/**
 * The cost meter against a running local cloud: one single-event POST /events, followed to SUCCEEDED, shows up
 * in every service it touches with plausible counts (local/meter; the unit rules are in
 * test/unit/meter-units.test.ts).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Api, event, signUpAndIn, startTestCloud, type TestCloud } from '../e2e/harness';
import type { MeterSnapshot } from '../../local/meter/meter';

let env: TestCloud;
let snapshot: MeterSnapshot;

beforeAll(async () => {
  env = await startTestCloud();
  const user = await signUpAndIn(env.endpoints, 'meter');
  const api = new Api(env.endpoints.apiUrl, user.idToken);
  await env.cloud.meter.reset();
  const posted = await api.postJson('/events', event(), 'application/cloudevents+json');
  expect(posted.status).toBe(202);
  const job = await api.waitForJob(posted.body.jobId);
  expect(job.status).toBe('SUCCEEDED');
  // A grouped job is finished inside IngestGroup, a moment before its execution ends: wait for the end.
  for (let i = 0; i < 100; i++) {
    snapshot = await env.cloud.meter.snapshot();
    if (snapshot.stepFunctions.executionsEnded >= 1) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}, 180_000);

afterAll(() => env?.dispose());

it('counts exactly one API Gateway request for the POST (polling GETs are their own route)', () => {
  expect(snapshot.requests.apigateway?.['POST /events']).toEqual({ requests: 1, units: 1 });
});

it('counts the DynamoDB writes of the job and of the event, with the event item written to gsi1', () => {
  const ddb = snapshot.requests.dynamodb ?? {};
  expect(ddb.PutItem?.requests ?? 0).toBeGreaterThanOrEqual(1);
  expect(snapshot.dynamodb.writeUnits.table ?? 0).toBeGreaterThanOrEqual(2);
  expect(snapshot.dynamodb.writeUnits.gsi1).toBeGreaterThanOrEqual(1);
  const byKey = snapshot.dynamodb.writesByKey;
  expect(byKey.gsi1?.distinctKeys).toBe(1);
  expect(byKey.gsi1?.top[0]?.key).toMatch(/^TYPE#/);
  expect(byKey.table?.units).toBe(snapshot.dynamodb.writeUnits.table);
});

it('counts the SQS message, the execution and its transitions, the Lambda invocations and their logs', () => {
  const sqs = snapshot.requests.sqs ?? {};
  expect(sqs.SendMessage).toEqual({ requests: 1, units: 1 });
  expect(sqs.ReceiveMessage?.requests ?? 0).toBeGreaterThanOrEqual(1);
  expect(snapshot.requests.stepfunctions?.StartExecution?.requests).toBe(1);
  expect(snapshot.stepFunctions.executionsStarted).toBe(1);
  // One group execution: the Choice and IngestGroup, which ends it.
  expect(snapshot.stepFunctions.transitions).toBe(2);
  const submit = snapshot.lambda['submit-events'];
  expect(submit?.invocations).toBe(1);
  expect(submit?.billedMs).toBeGreaterThan(0);
  // A successful POST logs nothing (no INFO line, no metric line; START/END/REPORT are below the system level).
  expect(submit?.logBytes).toBe(0);
  expect(snapshot.lambda['start-execution']?.invocations).toBeGreaterThanOrEqual(1);
  expect(Object.values(snapshot.requests.s3 ?? {}).reduce((sum, c) => sum + c.requests, 0)).toBeGreaterThan(
    0,
  );
});

it('starts from zero again after a reset', async () => {
  await env.cloud.meter.reset();
  const after = await env.cloud.meter.snapshot();
  expect(after.requests.apigateway).toBeUndefined();
  expect(after.dynamodb.writeUnits).toEqual({});
  expect(after.stepFunctions.transitions).toBe(0);
});
