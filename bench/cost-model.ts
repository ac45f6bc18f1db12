/**
 * Prices a meter snapshot (local/meter) with bench/prices.json, and derives the design ceilings from documented
 * quotas, the settings and the measured units. Pure: bench/cost.ts measures, this computes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSettings, ingestQueue, workflow } from '../cdk/wiring';
import type { MeterSnapshot } from '../local/meter/meter';
import { gbSeconds, s3Tier } from '../local/meter/units';
import { loggingConfig } from '../local/meter/logging-config';

export interface Prices {
  prices: Record<string, { usd: number; unit: string; source: string; read: string; status: string }>;
  assumptions: Record<string, { value: unknown }>;
}

export const loadPrices = (repoRoot: string): Prices =>
  JSON.parse(readFileSync(join(repoRoot, 'bench/prices.json'), 'utf8')) as Prices;

/** Requests the benchmark itself makes to watch the pipeline; not part of what a submission costs. */
export const benchOnly = {
  routes: ['GET /jobs', 'GET /jobs/{jobId}'],
  functions: ['read-jobs'],
  sqs: ['GetQueueAttributes'],
};

export function withoutBenchTraffic(snapshot: MeterSnapshot): MeterSnapshot {
  const copy: MeterSnapshot = structuredClone(snapshot);
  for (const route of benchOnly.routes) delete copy.requests.apigateway?.[route];
  for (const name of benchOnly.functions) delete copy.lambda[name];
  for (const op of benchOnly.sqs) delete copy.requests.sqs?.[op];
  return copy;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const units = (snapshot: MeterSnapshot, service: string) =>
  sum(Object.values(snapshot.requests[service] ?? {}).map((c) => c.units));

export interface CostBreakdown {
  usd: Record<string, number>;
  total: number;
  units: Record<string, number>;
}

export function priceSnapshot(snapshot: MeterSnapshot, prices: Prices): CostBreakdown {
  const p = (name: string) => prices.prices[name]!.usd;
  const logging = loggingConfig();
  const taskFunctions = new Set<string>(Object.values(workflow.functionPlaceholders));
  const lambdas = Object.entries(snapshot.lambda);
  const invocations = sum(lambdas.map(([, c]) => c.invocations));
  const lambdaGbs = sum(lambdas.map(([, c]) => gbSeconds(c.billedMs + c.initMs, c.memoryMb)));
  const s3 = Object.entries(snapshot.requests.s3 ?? {});
  const s3Tier1 = sum(s3.filter(([op]) => s3Tier(op) === 'putCopyPostList').map(([, c]) => c.requests));
  const s3Tier2 = sum(s3.filter(([op]) => s3Tier(op) === 'getAndOther').map(([, c]) => c.requests));
  const wru = sum(Object.values(snapshot.dynamodb.writeUnits));
  const rru = sum(Object.values(snapshot.dynamodb.readUnits));
  const logBytes = sum(lambdas.map(([, c]) => c.logBytes)) + snapshot.stepFunctions.logBytes;
  const sampled = Number(prices.assumptions.xraySampledShare?.value ?? 0.05);
  const traceRoots =
    sum(
      lambdas
        .filter(([n]) => !taskFunctions.has(n) && logging.tracedFunctions.includes(n))
        .map(([, c]) => c.invocations),
    ) + (logging.stateMachineTracing ? snapshot.stepFunctions.executionsStarted : 0);
  const counted = {
    apiGatewayRequests: units(snapshot, 'apigateway'),
    lambdaInvocations: invocations,
    lambdaGbSeconds: lambdaGbs,
    sqsRequests: units(snapshot, 'sqs'),
    dynamoDbWriteUnits: wru,
    dynamoDbReadUnits: rru,
    s3PutCopyPostList: s3Tier1,
    s3GetAndOther: s3Tier2,
    stepFunctionsTransitions: snapshot.stepFunctions.transitions,
    logBytes,
    xrayTraces: traceRoots * sampled,
    secretsManagerCalls: units(snapshot, 'secretsmanager'),
  };
  const usd: Record<string, number> = {
    apiGateway: (counted.apiGatewayRequests / 1e6) * p('apiGatewayHttpPerMillion'),
    lambda: (invocations / 1e6) * p('lambdaRequestsPerMillion') + lambdaGbs * p('lambdaArmGbSecond'),
    sqs: (counted.sqsRequests / 1e6) * p('sqsStandardPerMillion'),
    dynamoDb:
      (wru / 1e6) * p('dynamoDbWriteRequestUnitsPerMillion') +
      (rru / 1e6) * p('dynamoDbReadRequestUnitsPerMillion'),
    s3: (s3Tier1 / 1000) * p('s3PutCopyPostListPerThousand') + (s3Tier2 / 1000) * p('s3GetPerThousand'),
    stepFunctions:
      (counted.stepFunctionsTransitions / 1000) * p('stepFunctionsStandardPerThousandTransitions'),
    cloudWatchLogs: (logBytes / 1024 ** 3) * p('cloudWatchLogsIngestionPerGb'),
    xray: (counted.xrayTraces / 1e6) * p('xrayTracesRecordedPerMillion'),
    secretsManager: (counted.secretsManagerCalls / 1e4) * p('secretsManagerApiCallsPerTenThousand'),
  };
  return { usd, total: sum(Object.values(usd)), units: counted };
}

export const perMillion = (usd: number, events: number) => (usd / events) * 1e6;

export interface HotKey {
  space: string;
  key: string;
  units: number;
  share: number;
  distinctKeys: number;
}

export function hottestKeys(snapshot: MeterSnapshot): HotKey[] {
  return Object.entries(snapshot.dynamodb.writesByKey).map(([space, w]) => ({
    space,
    key: w.top[0]?.key ?? '',
    units: w.top[0]?.units ?? 0,
    share: w.units ? (w.top[0]?.units ?? 0) / w.units : 0,
    distinctKeys: w.distinctKeys,
  }));
}

/** Documented default quotas the ceilings use. */
export const quotas = {
  partitionWcuPerSecond: 1_000, // DynamoDB: per partition key value
  partitionRcuPerSecond: 3_000,
  // DynamoDB on-demand: the default table-level maximum (adjustable), which applies to the table and to each of its
  // GSIs on its own (developer guide, "Quotas": the quota is what any table or any of its GSIs may use).
  tableWcuPerSecond: 40_000,
  startExecutionPerSecond: 300, // Step Functions Standard StartExecution refill, us-east-1 (bucket 1,300)
  apiGatewayRequestsPerSecond: 10_000, // API Gateway account throttle, per Region
  lambdaConcurrency: 1_000, // Lambda concurrent executions, per Region
};

export interface Ceiling {
  value: number;
  binding: string;
  arithmetic: string[];
}

const settings = defaultSettings as unknown as Record<string, number | undefined>;
export const shards = { job: settings.jobShards ?? 1, type: settings.typeShards ?? 1 };

/** Write units per submission landing on job-list partitions (keys TENANT#...), from the top keys measured. */
const jobPartitionUnits = (snapshot: MeterSnapshot) =>
  sum(
    (snapshot.dynamodb.writesByKey.table?.top ?? [])
      .filter((t) => t.key.startsWith('TENANT#'))
      .map((t) => t.units),
  );

export function ceilings(
  single: { snapshot: MeterSnapshot; submissions: number },
  bulk: { snapshot: MeterSnapshot; events: number },
): {
  tenantTypeEventsPerSecond: Ceiling;
  tenantSingleSubmissionsPerSecond: Ceiling;
  accountSingleSubmissionsPerSecond: Ceiling;
} {
  const min = (candidates: { value: number; binding: string; line: string }[]): Ceiling => {
    const finite = candidates.filter((c) => Number.isFinite(c.value));
    const best = finite.reduce((a, b) => (b.value < a.value ? b : a));
    return {
      value: Math.floor(best.value),
      binding: best.binding,
      arithmetic: candidates.map(
        (c) =>
          `${c.line} = ${Number.isFinite(c.value) ? Math.floor(c.value).toLocaleString('en-US') : '∞'}/s`,
      ),
    };
  };
  const gsiPerEvent = (bulk.snapshot.dynamodb.writeUnits.gsi1 ?? 0) / bulk.events || 1;
  const bulkJobUnitsPerEvent = jobPartitionUnits(bulk.snapshot) / bulk.events;
  const tenantType = min([
    {
      value: (shards.type * quotas.partitionWcuPerSecond) / gsiPerEvent,
      binding: `gsi1 key TYPE#<tenant>#<type>[#k] (${quotas.partitionWcuPerSecond} WCU/s per partition key value)`,
      line: `typeShards ${shards.type} × ${quotas.partitionWcuPerSecond} WCU/s ÷ ${gsiPerEvent.toFixed(2)} gsi1 WRU per event`,
    },
    {
      value: bulkJobUnitsPerEvent
        ? (shards.job * quotas.partitionWcuPerSecond) / bulkJobUnitsPerEvent
        : Infinity,
      binding: `job-list key TENANT#<tenant>[#k]`,
      line: `jobShards ${shards.job} × ${quotas.partitionWcuPerSecond} WCU/s ÷ ${bulkJobUnitsPerEvent.toFixed(4)} job WRU per event`,
    },
  ]);

  const s = single.snapshot;
  const n = single.submissions;
  const jobUnits = jobPartitionUnits(s) / n;
  const gsiPerSubmission = (s.dynamodb.writeUnits.gsi1 ?? 0) / n || 1;
  const perExecution = n / Math.max(1, s.stepFunctions.executionsStarted);
  const concurrencySeconds = sum(Object.values(s.lambda).map((c) => c.billedMs + c.initMs)) / 1000 / n;
  const account = min([
    {
      value: quotas.apiGatewayRequestsPerSecond,
      binding: `API Gateway account throttle (${quotas.apiGatewayRequestsPerSecond.toLocaleString('en-US')} requests/s)`,
      line: `API Gateway ${quotas.apiGatewayRequestsPerSecond} requests/s ÷ 1 request per submission`,
    },
    {
      value: quotas.startExecutionPerSecond * perExecution,
      binding: `Step Functions StartExecution (${quotas.startExecutionPerSecond}/s refill, bucket 1,300)`,
      line: `StartExecution ${quotas.startExecutionPerSecond}/s × ${perExecution.toFixed(1)} submissions per execution (measured; starter batch ${ingestQueue.batchSize}, window ${ingestQueue.maxBatchingWindowSeconds} s)`,
    },
    {
      value: quotas.lambdaConcurrency / concurrencySeconds,
      binding: `Lambda concurrency (${quotas.lambdaConcurrency} concurrent executions)`,
      line: `${quotas.lambdaConcurrency} concurrent ÷ ${concurrencySeconds.toFixed(4)} s of Lambda per submission (this machine's durations)`,
    },
    ...Object.entries(s.dynamodb.writeUnits).map(([space, units]) => ({
      value: quotas.tableWcuPerSecond / (units / n),
      binding: `DynamoDB on-demand table-level maximum for ${space} (${quotas.tableWcuPerSecond.toLocaleString('en-US')} WRU/s, adjustable)`,
      line: `${space} ${quotas.tableWcuPerSecond} WRU/s ÷ ${(units / n).toFixed(2)} ${space} WRU per submission`,
    })),
  ]);
  const tenant = min([
    {
      value: jobUnits ? (shards.job * quotas.partitionWcuPerSecond) / jobUnits : Infinity,
      binding: `job-list key TENANT#<tenant>[#k] (${quotas.partitionWcuPerSecond} WCU/s per partition key value)`,
      line: `jobShards ${shards.job} × ${quotas.partitionWcuPerSecond} WCU/s ÷ ${jobUnits.toFixed(2)} job WRU per submission`,
    },
    {
      value: (shards.type * quotas.partitionWcuPerSecond) / gsiPerSubmission,
      binding: `gsi1 key TYPE#<tenant>#<type>[#k] (one type)`,
      line: `typeShards ${shards.type} × ${quotas.partitionWcuPerSecond} WCU/s ÷ ${gsiPerSubmission.toFixed(2)} gsi1 WRU per submission`,
    },
    { value: account.value, binding: `the account ceiling: ${account.binding}`, line: `account ceiling` },
  ]);
  return {
    tenantTypeEventsPerSecond: tenantType,
    tenantSingleSubmissionsPerSecond: tenant,
    accountSingleSubmissionsPerSecond: account,
  };
}
