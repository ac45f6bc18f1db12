/**
 * The local cloud: the whole pipeline on 127.0.0.1, no Docker, no AWS account. Emulators speak the AWS wire
 * protocols, so the handlers (functions/*, bundled as the stack bundles them) and workflows/ingest.asl.json
 * run unchanged; the wiring comes from cdk/wiring.ts only.
 *
 * State lives under the data directory and survives restarts, mapped onto AWS behaviour as follows:
 * - DynamoDB (dynalite on LevelDB), S3 (s3rver on the file system): written through, as durable as the disk.
 * - SQS: SQS keeps an accepted message until it is deleted or expires. Here every accepted message (API sends,
 *   S3 notifications, dead-letter moves) is journaled before the sender hears back; a restart puts the
 *   undeleted ones back with their ids, sent times, remaining delays and receive counts (services/sqs-journal).
 *   In-flight messages become visible again at once (AWS would wait out their visibility timeout), which the
 *   starter tolerates as the duplicate delivery it already handles.
 * - S3 → SQS notifications: s3rver runs in a child process and holds each PUT's answer until its notification is
 *   journaled here, so an object acknowledged as stored always has its notification (AWS delivers notifications
 *   at least once, usually within seconds).
 * - Step Functions (local/stepfunctions): executions and history are on disk; executions RUNNING at a crash are
 *   resumed on the next start.
 * - While the cloud is down nothing can arrive (the CDN and API are down with it), as with a region outage the
 *   client retries; a signed upload URL stays valid across a restart because the ports are reused.
 * - Cognito (cognito-local): users and pools on disk; its signing key is fixed, so tokens stay valid.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  defaultSettings,
  executionEnded,
  executionEndedMatches,
  functionNames,
  functions,
  ingestQueue,
  localAccount,
  resolveSettings,
  routes,
  type FunctionName,
  type RefName,
  type Settings,
} from '../cdk/wiring';
import { startConsole } from './console/server';
import { loggingConfig } from './meter/logging-config';
import { Meter, type MeterSnapshot } from './meter/meter';
import { startCdn } from './edge/cdn';
import { publishWebApp } from './edge/web-app';
import { buildWebApp } from '../web/build';
import { createJwtAuthorizer } from './gateway/authorizer';
import { startHttpApi } from './gateway/http-api';
import { bundleFunctions } from './lambda/bundle';
import type { FaultInjector } from './lambda/faults';
import { LambdaRuntime } from './lambda/runtime';
import { cpuByPart } from './cpu';
import { localFunctionDefinitions, localWorkflowDefinition } from './lambda/wiring-functions';
import { startSqsPoller } from './poller/sqs-poller';
import { startCognito } from './services/cognito';
import { startDynamoDb } from './services/dynamodb';
import { freePort } from './services/network';
import { defaultPortBase, planPorts, portOf, type PortName } from './services/ports';
import { startS3 } from './services/s3';
import { secretArn, startSecretsManager } from './services/secrets';
import { ensureSigningKey } from './services/signing-key';
import { startSqs } from './services/sqs';
import { startStepFunctionsService } from './stepfunctions/service';

export interface Endpoints {
  apiUrl: string;
  cdnUrl: string;
  userPoolId: string;
  userPoolClientId: string;
  stateMachineArn: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  tableName: string;
  bucketName: string;
  region: string;
  cognitoEndpoint: string;
  sfnEndpoint: string;
  s3Endpoint: string;
  sqsEndpoint: string;
  dynamodbEndpoint: string;
  secretsManagerEndpoint: string;
  /** The local executions console (Step Functions executions: graph, history, stop). */
  consoleUrl: string;
}

export interface LocalCloud {
  endpoints: Endpoints;
  faults: FaultInjector<FunctionName>;
  /** Tests only: the next `times` StartExecution calls are throttled (ThrottlingException), as under AWS's rate. */
  throttleStartExecution(times: number): void;
  /** How many of those throttles have not answered yet. */
  pendingStartExecutionThrottles(): number;
  /** CPU ms each part has used so far (local/cpu.ts; Linux, else empty): for the benchmarks. */
  cpu(): Record<string, number>;
  /** What a deployment would be billed for since the last reset (local/meter; priced by bench/cost.ts). */
  meter: { snapshot(): Promise<MeterSnapshot>; reset(): Promise<void> };
  stop(): Promise<void>;
}

export interface LocalCloudOptions {
  /** Where all state lives (default `.sluice`). */
  dataDir?: string;
  /** `fixed`: SLUICE_PORT_BASE (default 4700) + offsets, for `npm start`; `ephemeral`: free ports, for tests. */
  ports?: 'fixed' | 'ephemeral';
  /** Setting overrides (on top of SLUICE_<SETTING> environment variables). */
  settings?: Partial<Record<keyof Settings, string>>;
  /** Test knobs for the ingest queue (e.g. a 1 s visibility timeout to see redrives quickly). */
  queue?: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number };
  log?: (line: string) => void;
}

export const names = {
  table: 'sluice-local',
  bucket: 'sluice-local',
  queue: 'sluice-ingest',
  deadLetterQueue: 'sluice-ingest-dlq',
  stateMachine: 'sluice-ingest',
  signingKeySecret: 'sluice-signing-key',
};

/** SLUICE_<SETTING> (the setting's name upper-cased, e.g. SLUICE_MAXREQUESTBYTES) from the environment. */
export function settingsFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Partial<Record<keyof Settings, string>> {
  const overrides: Partial<Record<keyof Settings, string>> = {};
  for (const name of Object.keys(defaultSettings) as (keyof Settings)[]) {
    const value = env[`SLUICE_${name.toUpperCase()}`];
    if (value !== undefined) overrides[name] = value;
  }
  return overrides;
}

function previousPorts(file: string): Partial<Record<PortName, number>> {
  if (!existsSync(file)) return {};
  try {
    const endpoints = JSON.parse(readFileSync(file, 'utf8')) as Partial<Endpoints>;
    return {
      api: portOf(endpoints.apiUrl),
      cdn: portOf(endpoints.cdnUrl),
      cognito: portOf(endpoints.cognitoEndpoint),
      sfn: portOf(endpoints.sfnEndpoint),
      s3: portOf(endpoints.s3Endpoint),
      sqs: portOf(endpoints.sqsEndpoint),
      dynamodb: portOf(endpoints.dynamodbEndpoint),
      secretsManager: portOf(endpoints.secretsManagerEndpoint),
      console: portOf(endpoints.consoleUrl),
    };
  } catch {
    return {};
  }
}

/** Like Promise.all, but waits for every start to settle, so a failure leaves nothing half-started behind. */
async function allSettledOrThrow<T extends readonly unknown[]>(promises: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** Answers once a listener accepts HTTP (any status). */
async function probe(url: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  await response.arrayBuffer();
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const log = options.log ?? ((line: string) => console.log(line));
  const dataDir = resolve(options.dataDir ?? '.sluice');
  const repoRoot = resolve(import.meta.dirname, '..');
  mkdirSync(dataDir, { recursive: true });
  const endpointsFile = join(dataDir, 'endpoints.json');
  const portBase = Number(process.env.SLUICE_PORT_BASE ?? defaultPortBase);
  const ports = planPorts(options.ports ?? 'fixed', portBase, previousPorts(endpointsFile));
  const settings = resolveSettings({ ...settingsFromEnvironment(), ...options.settings });
  const { region, accountId } = localAccount;
  const queueSettings = { ...ingestQueue, ...options.queue };
  const meter = new Meter(loggingConfig());

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      await stop().catch((error: unknown) => log(`[local] stopping: ${String(error)}`));
    }
  };

  try {
    const signingKey = ensureSigningKey(join(dataDir, 'keys'));
    const signingKeySecretArn = secretArn(region, accountId, names.signingKeySecret);
    const [bundled, dynamodb, sqs, cognito, secrets] = await allSettledOrThrow([
      bundleFunctions(
        Object.fromEntries(functionNames.map((name) => [name, functions[name].entry])),
        join(dataDir, 'build'),
        repoRoot,
      ),
      startDynamoDb({
        dir: join(dataDir, 'dynamodb'),
        port: ports.dynamodb,
        region,
        tableName: names.table,
      }).then((service) => (stops.push(service.stop), service)),
      startSqs({
        dir: join(dataDir, 'sqs'),
        port: ports.sqs,
        region,
        accountId,
        queue: {
          name: names.queue,
          deadLetterName: names.deadLetterQueue,
          visibilityTimeoutSeconds: queueSettings.visibilityTimeoutSeconds,
          maxReceiveCount: queueSettings.maxReceiveCount,
          retentionSeconds: queueSettings.retentionDays * 86_400,
          deadLetterRetentionSeconds: queueSettings.deadLetterRetentionDays * 86_400,
        },
        meter,
      }).then((service) => (stops.push(service.stop), service)),
      startCognito({ dir: join(dataDir, 'cognito'), port: ports.cognito, region, log }).then(
        (service) => (stops.push(service.stop), service),
      ),
      startSecretsManager({
        port: ports.secretsManager,
        secrets: [
          {
            name: names.signingKeySecret,
            arn: signingKeySecretArn,
            secretString: signingKey.privateKeyPem,
            createdDate: new Date(),
          },
        ],
        meter,
      }).then((service) => (stops.push(service.stop), service)),
    ]);
    for (const [name, reason] of Object.entries(bundled.failures))
      log(`[local] function ${name} did not build: ${reason}`);
    meter.sources.push(dynamodb.meter);
    if (sqs.restored > 0) log(`[local] ${sqs.restored} queued message(s) restored`);

    const s3 = await startS3({
      dir: join(dataDir, 's3'),
      port: ports.s3,
      region,
      bucket: names.bucket,
      notifications: {
        prefix: ingestQueue.uploadPrefix,
        destinationArn: sqs.queueArn,
        configurationId: 'sluice-uploads',
        deliver: sqs.deliver,
      },
      log,
    });
    stops.push(s3.stop);
    meter.sources.push(s3.meter);

    const cdn = await startCdn({
      port: ports.cdn,
      s3Endpoint: s3.endpoint,
      region,
      bucket: names.bucket,
      trustedKeys: { [signingKey.keyPairId]: signingKey.publicKeyPem },
      signedPrefix: `/${ingestQueue.uploadPrefix}`,
      log,
    });
    stops.push(cdn.stop);

    const sfnPort = await freePort(ports.sfn);
    const sfnEndpoint = `http://127.0.0.1:${sfnPort}`;
    const stateMachineArn = `arn:aws:states:${region}:${accountId}:stateMachine:${names.stateMachine}`;
    const refs: Record<RefName, string> = {
      tableName: names.table,
      bucketName: names.bucket,
      queueUrl: sqs.queueUrl,
      stateMachineArn,
      cdnUrl: cdn.url,
      signingKeySecretArn,
      signingKeyPairId: signingKey.keyPairId,
      maxReceiveCount: String(queueSettings.maxReceiveCount),
    };
    const definitions = localFunctionDefinitions({
      region,
      accountId,
      refs,
      settings,
      endpoints: {
        dynamodb: dynamodb.endpoint,
        s3: s3.endpoint,
        sqs: sqs.endpoint,
        sfn: sfnEndpoint,
        secretsManager: secrets.endpoint,
      },
      bundled,
      taskRoot: join(dataDir, 'build'),
    });
    const runtime = new LambdaRuntime<FunctionName>({
      functions: definitions,
      bootstrap: bundled.bootstrap,
      log,
      meter,
    });
    stops.push(() => runtime.stop());

    const definition = localWorkflowDefinition(repoRoot, region, accountId);
    const sfn = await startStepFunctionsService({
      host: '127.0.0.1',
      port: sfnPort,
      dataDir: join(dataDir, 'stepfunctions'),
      region,
      accountId,
      stateMachines: [{ name: names.stateMachine, definition }],
      invokeFunction: (arn, payload) => runtime.invokeArn(arn, payload),
      onExecutionStatusChange: (event) => {
        if (executionEndedMatches(event.detail)) runtime.invokeAsync(executionEnded.consumer, event);
      },
      meter,
      log: (message, error) => log(`[stepfunctions] ${message}${error ? ` ${String(error)}` : ''}`),
    });
    stops.push(sfn.stop);
    if (sfn.stateMachineArns[names.stateMachine] !== stateMachineArn) {
      throw new Error(`unexpected state machine ARN ${sfn.stateMachineArns[names.stateMachine]}`);
    }

    const api = await startHttpApi<FunctionName>({
      port: ports.api,
      routes,
      authorizer: createJwtAuthorizer({
        issuer: cognito.issuer,
        jwksUri: cognito.jwksUri,
        audience: [cognito.userPoolClientId],
      }),
      invoke: (name, event) => runtime.invoke(name, event),
      accountId,
      meter,
      log,
    });
    stops.push(api.stop);

    const executionsConsole = await startConsole({
      port: ports.console,
      sfnEndpoint: sfn.endpoint,
      cdnUrl: cdn.url,
      log,
    });
    stops.push(executionsConsole.stop);

    const poller = startSqsPoller({
      sqsEndpoint: sqs.endpoint,
      region,
      queueUrl: sqs.queueUrl,
      queueArn: sqs.queueArn,
      batchSize: queueSettings.batchSize,
      maxBatchingWindowSeconds: queueSettings.maxBatchingWindowSeconds,
      visibilityTimeoutSeconds: queueSettings.visibilityTimeoutSeconds,
      // One poller: its batches are as large as the load allows (AWS starts five, whose batches are smaller at
      // low rates). The starter answers in a fraction of the 1 s window, so one keeps up locally.
      pollers: 1,
      invoke: (event) => runtime.invoke(ingestQueue.consumer, event),
      log,
    });

    const endpoints: Endpoints = {
      apiUrl: api.url,
      cdnUrl: cdn.url,
      userPoolId: cognito.userPoolId,
      userPoolClientId: cognito.userPoolClientId,
      stateMachineArn,
      queueUrl: sqs.queueUrl,
      deadLetterQueueUrl: sqs.deadLetterQueueUrl,
      tableName: names.table,
      bucketName: names.bucket,
      region,
      cognitoEndpoint: cognito.endpoint,
      sfnEndpoint: sfn.endpoint,
      s3Endpoint: s3.endpoint,
      sqsEndpoint: sqs.endpoint,
      dynamodbEndpoint: dynamodb.endpoint,
      secretsManagerEndpoint: secrets.endpoint,
      consoleUrl: executionsConsole.url,
    };
    await publishWebApp({
      s3Endpoint: s3.endpoint,
      region,
      bucket: names.bucket,
      // A fresh build per start (into the data directory, so clouds started side by side do not share it).
      sourceDir: buildWebApp(join(dataDir, 'web'), { local: true }),
      config: {
        region,
        apiUrl: api.url,
        cdnUrl: cdn.url,
        userPoolId: cognito.userPoolId,
        userPoolClientId: cognito.userPoolClientId,
        cognitoEndpoint: cognito.endpoint,
        consoleUrl: executionsConsole.url,
      },
    });
    await Promise.all(
      [
        api.url,
        cdn.url,
        cognito.endpoint,
        sfn.endpoint,
        s3.endpoint,
        sqs.endpoint,
        dynamodb.endpoint,
        secrets.endpoint,
        executionsConsole.url,
      ].map(probe),
    );
    writeFileSync(endpointsFile, `${JSON.stringify(endpoints, null, 2)}\n`);

    let stopped: Promise<void> | undefined;
    return {
      endpoints,
      faults: runtime.faults,
      throttleStartExecution: (times) => sfn.throttleStartExecution(times),
      pendingStartExecutionThrottles: () => sfn.pendingThrottles(),
      meter: { snapshot: () => meter.snapshot(), reset: () => meter.reset() },
      cpu: () =>
        cpuByPart({
          sandboxThreads: runtime.threadIds(),
          children: { dynalite: dynamodb.pid, s3rver: s3.pid, 'cognito-local': cognito.pid },
        }),
      stop: () =>
        (stopped ??= (async () => {
          // The poller stops taking messages first; a batch still running ends with the runtime.
          const pollerStopped = poller.stop();
          await stopAll();
          await pollerStopped;
        })()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
