import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { esbuildSettings } from '../bundling';
import { observability } from '../wiring';
import { repoRoot } from './defaults';
import { logGroup as encryptedLogGroup } from './log-groups';
import { wildcard } from './nag';

export interface NodeFunctionProps {
  /** Handler module relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  environment?: Record<string, string>;
  tracing?: 'Active' | 'PassThrough';
}

/**
 * esbuild bundling from node_modules (no Docker), with the settings the local runtime uses too (cdk/bundling.ts).
 * The AWS SDK service clients and lib-dynamodb are taken from the nodejs22.x runtime rather than bundled: they were
 * about half of every bundle. The price: in AWS the functions run the runtime's SDK version (Lambda updates it
 * with the runtime), not the exact version in package-lock.json that the tests ran against; see README
 * "Bundles". Everything else (Powertools, cloudfront-signer, ajv, re2js, zod, …) is bundled at its locked version.
 */
export const bundling = {
  format: OutputFormat.ESM,
  target: 'node22',
  mainFields: esbuildSettings.mainFields,
  minify: esbuildSettings.minify,
  sourceMap: esbuildSettings.sourcemap,
  externalModules: esbuildSettings.external,
  banner: esbuildSettings.banner,
  esbuildArgs: Object.fromEntries(
    Object.entries(esbuildSettings.alias).map(([name, stub]) => [`--alias:${name}`, stub]),
  ),
};

/** Lambda's own log lines: START/END/REPORT (INFO) are dropped, platform warnings and errors kept. */
export const systemLogLevel = lambda.SystemLogLevel[observability.lambdaSystemLogLevel];

const applicationLogLevels: Record<string, lambda.ApplicationLogLevel> = {
  TRACE: lambda.ApplicationLogLevel.TRACE,
  DEBUG: lambda.ApplicationLogLevel.DEBUG,
  INFO: lambda.ApplicationLogLevel.INFO,
  WARN: lambda.ApplicationLogLevel.WARN,
  ERROR: lambda.ApplicationLogLevel.ERROR,
  CRITICAL: lambda.ApplicationLogLevel.FATAL,
  FATAL: lambda.ApplicationLogLevel.FATAL,
};

/**
 * A Node.js Lambda function the way Sluice runs them: nodejs22.x on arm64, X-Ray active tracing, and its
 * own log group and role. Logs are JSON (Lambda advanced logging controls): Lambda drops application lines below the
 * function's POWERTOOLS_LOG_LEVEL (cdk/wiring.ts commonEnvironment) and its own lines below WARN. The role may write to that log group only (instead of the managed
 * AWSLambdaBasicExecutionRole, which allows every log group in the account).
 */
export function nodeFunction(scope: Construct, id: string, props: NodeFunctionProps): NodejsFunction {
  const logGroup = encryptedLogGroup(scope, `${id}Logs`);
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  logGroup.grantWrite(role);
  const fn = new NodejsFunction(scope, id, {
    entry: path.join(repoRoot, props.entry),
    handler: 'handler',
    projectRoot: repoRoot,
    depsLockFilePath: path.join(repoRoot, 'package-lock.json'),
    description: props.description,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    timeout: Duration.seconds(props.timeoutSeconds),
    memorySize: props.memoryMb,
    tracing: props.tracing === 'PassThrough' ? lambda.Tracing.PASS_THROUGH : lambda.Tracing.ACTIVE,
    environment: props.environment,
    logGroup,
    loggingFormat: lambda.LoggingFormat[observability.lambdaLogFormat],
    applicationLogLevelV2:
      applicationLogLevels[props.environment?.POWERTOOLS_LOG_LEVEL ?? 'INFO'] ??
      lambda.ApplicationLogLevel.INFO,
    systemLogLevelV2: systemLogLevel,
    role,
    bundling,
  });
  NagSuppressions.addResourceSuppressions(fn, [
    {
      id: 'AwsSolutions-L1',
      reason: 'Sluice pins the nodejs22.x runtime (the runtime its code is tested on).',
    },
  ]);
  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords only accept Resource "*".',
        appliesTo: [wildcard.anyResource],
      },
    ],
    true,
  );
  return fn;
}
