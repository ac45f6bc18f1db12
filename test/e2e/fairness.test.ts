/**
 * One tenant cannot starve the others (README "Tenant limits"), against a local cloud through the real API,
 * queue, starter, workflow and EventBridge release: with `tenantRunningJobs` = 2, tenant A floods 8 large jobs
 * (stored submissions, one execution each). Never more than 2 of A's executions run at once (from the
 * executions' own start and stop times), they start in acceptance (jobId) order, and every one SUCCEEDS. Tenant
 * B, submitting after the flood, gets a single-event job SUCCEEDED and a large job started while A still has
 * jobs waiting, each within the bound the README states.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  Api,
  event,
  localCredentials,
  signUpAndIn,
  startTestCloud,
  type TestCloud,
  type TestUser,
} from './harness';

const CAP = 2;
const FLOOD = 8;
/** The bound the README states for another tenant's single-event job, POST accepted → SUCCEEDED. */
const SINGLE_EVENT_BOUND_MS = 15_000;
/** ... and for another tenant's large job, POST accepted → its execution started. */
const LARGE_START_BOUND_MS = 15_000;

let env: TestCloud;
let alice: TestUser;
let bob: TestUser;
let apiA: Api;
let apiB: Api;
let sfn: SFNClient;
let db: DynamoDBDocumentClient;

beforeAll(async () => {
  // Submissions over 1 KiB are stored (one execution each): the capped kind.
  env = await startTestCloud({ settings: { tenantRunningJobs: String(CAP), maxInlineBytes: '1024' } });
  alice = await signUpAndIn(env.endpoints, 'flooder');
  bob = await signUpAndIn(env.endpoints, 'neighbour');
  apiA = new Api(env.endpoints.apiUrl, alice.idToken);
  apiB = new Api(env.endpoints.apiUrl, bob.idToken);
  const common = { region: env.endpoints.region, credentials: localCredentials };
  sfn = new SFNClient({ ...common, endpoint: env.endpoints.sfnEndpoint });
  db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...common, endpoint: env.endpoints.dynamodbEndpoint }),
  );
}, 120_000);

afterAll(async () => {
  sfn?.destroy();
  db?.destroy();
  await env?.dispose();
});

/** A batch of `count` events, well over 1 KiB as JSON: stored in S3, one execution of its own. */
const largeBatch = (count: number) => Array.from({ length: count }, () => event());

async function post(api: Api, events: unknown[]): Promise<string> {
  const response = await api.postJson('/events', events);
  expect(response.status).toBe(202);
  return response.body.jobId as string;
}

async function executionTimes(executionArn: string) {
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  return {
    name: execution.name!,
    status: execution.status!,
    start: execution.startDate!.getTime(),
    stop: execution.stopDate!.getTime(),
  };
}

/** The most intervals [start, stop) open at one instant. */
function maxOverlap(intervals: { start: number; stop: number }[]): number {
  const edges = intervals.flatMap(({ start, stop }) => [
    { at: start, delta: 1 },
    { at: stop, delta: -1 },
  ]);
  // At the same instant an end comes before a start: the slot is free once the execution stopped.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let most = 0;
  for (const { delta } of edges) most = Math.max(most, (open += delta));
  return most;
}

describe('running-jobs cap per tenant', () => {
  it('caps a flooding tenant, in order and losing nothing, while another tenant is served within the bound', async () => {
    const flood: string[] = [];
    for (let n = 0; n < FLOOD; n++) flood.push(await post(apiA, largeBatch(40)));
    // The ULIDs of one API sandbox are monotonic: acceptance order is jobId order.
    expect([...flood].sort()).toEqual(flood);

    // A's jobs are waiting now: at most CAP of them have left QUEUED.
    await apiA.waitForJobState(flood[0]!, (job) => job.status !== 'QUEUED');
    const seen = await Promise.all(
      flood.map(async (jobId) => (await apiA.get(`/jobs/${jobId}`)).body.status),
    );
    expect(seen.filter((status) => status === 'QUEUED').length).toBeGreaterThanOrEqual(FLOOD - CAP - 1);

    const singleSent = Date.now();
    const single = await post(apiB, [event()]);
    const large = await post(apiB, largeBatch(40));
    const singleJob = await apiB.waitForJob(single, 60_000);
    const singleMs = Date.parse(singleJob.finishedAt) - singleSent;
    const largeJob = await apiB.waitForJob(large, 60_000);
    const largeRun = await executionTimes(largeJob.executionArn);
    const largeStartMs = largeRun.start - Date.parse(largeJob.createdAt);

    const jobsA = await Promise.all(flood.map((jobId) => apiA.waitForJob(jobId, 180_000)));
    // No queued job of A is lost or failed.
    expect(jobsA.map((job) => [job.jobId, job.status, job.counts.accepted])).toEqual(
      flood.map((jobId) => [jobId, 'SUCCEEDED', 40]),
    );
    const runs = await Promise.all(jobsA.map((job) => executionTimes(job.executionArn)));
    expect(runs.map((run) => run.name)).toEqual(flood);
    expect(runs.every((run) => run.status === 'SUCCEEDED')).toBe(true);
    // Never more than the cap running at once.
    expect(maxOverlap(runs)).toBeLessThanOrEqual(CAP);
    // Started in acceptance order.
    const byStart = [...runs].sort((a, b) => a.start - b.start || (a.name < b.name ? -1 : 1));
    expect(byStart.map((run) => run.name)).toEqual(flood);

    // B was served while A still had jobs waiting: A's last job started after B's both were under way.
    const lastStartA = Math.max(...runs.map((run) => run.start));
    expect(lastStartA).toBeGreaterThan(Date.parse(singleJob.finishedAt));
    expect(lastStartA).toBeGreaterThan(largeRun.start);
    expect(singleJob.status).toBe('SUCCEEDED');
    expect(largeJob.status).toBe('SUCCEEDED');
    expect(singleMs).toBeLessThan(SINGLE_EVENT_BOUND_MS);
    expect(largeStartMs).toBeLessThan(LARGE_START_BOUND_MS);
    console.log(
      `fairness: B single-event ${singleMs} ms to SUCCEEDED; B large job started ${largeStartMs} ms after ` +
        `acceptance; A's flood ran ${lastStartA - Math.min(...runs.map((run) => run.start))} ms of starts`,
    );

    // Every slot given back and no waiting item left behind (the releases of the last jobs are asynchronous).
    const pk = `TENANT#${alice.sub}`;
    const deadline = Date.now() + 30_000;
    let running: unknown;
    do {
      running = (
        await db.send(new GetCommand({ TableName: env.endpoints.tableName, Key: { pk, sk: 'RUNNING' } }))
      ).Item?.jobs;
      if (running === undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } while (Date.now() < deadline);
    expect(running).toBeUndefined();
    const { Items = [] } = await db.send(
      new QueryCommand({
        TableName: env.endpoints.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :w)',
        ExpressionAttributeValues: { ':pk': pk, ':w': 'WAIT#' },
      }),
    );
    expect(Items).toEqual([]);
  }, 300_000);
});
