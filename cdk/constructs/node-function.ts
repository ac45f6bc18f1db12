import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { logRetention, repoRoot } from './defaults';
import { wildcard } from './nag';

export interface NodeFunctionProps {
  /** Handler module relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  environment?: Record<string, string>;
}

/**
 * esbuild bundling from node_modules (no Docker). The AWS SDK is bundled too rather than taken from the
 * runtime: the functions then run the exact SDK versions the tests ran against, and packages the runtime does
 * not ship (cloudfront-signer, lib-dynamodb's peers, Powertools) are bundled anyway. The banner gives ESM
 * bundles a `require` for the CommonJS dependencies esbuild inlines (aws-xray-sdk-core).
 */
export const bundling = {
  format: OutputFormat.ESM,
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  externalModules: [],
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
};

/**
 * A Node.js Lambda function the way Sluice runs them: nodejs22.x on arm64, X-Ray active tracing, and its
 * own log group and role. The role may write to that log group only (instead of the managed
 * AWSLambdaBasicExecutionRole, which allows every log group in the account).
 */
export function nodeFunction(scope: Construct, id: string, props: NodeFunctionProps): NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logRetention });
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
    tracing: lambda.Tracing.ACTIVE,
    environment: props.environment,
    logGroup,
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
