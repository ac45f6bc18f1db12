import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  type Access,
  type BucketAccess,
  type Prefix,
  type FunctionName,
  type RefName,
  type Settings,
  functionEnvironment,
  functionNames,
  functions,
  s3Actions,
} from '../wiring';
import { wildcard } from './nag';
import { nodeFunction } from './node-function';

export interface PipelineFunctionsProps {
  /** The value of each resource reference in the wiring (CDK tokens). */
  refs: Record<RefName, string>;
  settings: Settings;
}

/** The KMS actions on the data bucket's key that reading and writing its objects need. */
export const kmsActions = { read: 'kms:Decrypt', write: 'kms:GenerateDataKey' } as const;

/** What the wiring's `access` entries refer to. */
export interface AccessTargets {
  table: dynamodb.ITable;
  bucket: s3.IBucket;
  /** The bucket's SSE-KMS key. */
  dataKey: kms.IKey;
  queue: sqs.IQueue;
  stateMachine: sfn.IStateMachine;
  signingKey: secretsmanager.ISecret;
}

/** "submit-events" → "SubmitEvents": construct ids that read like the function names. */
export const constructIdOf = (name: string): string =>
  name.replace(/(^|-)([a-z0-9])/g, (_match, _dash, letter: string) => letter.toUpperCase());

/** Every function declared in the wiring, with the environment the wiring gives it. */
export class PipelineFunctions extends Construct {
  readonly byName: Record<FunctionName, NodejsFunction>;

  constructor(scope: Construct, id: string, props: PipelineFunctionsProps) {
    super(scope, id);
    this.byName = Object.fromEntries(
      functionNames.map((name) => {
        const spec = functions[name];
        const fn = nodeFunction(this, constructIdOf(name), {
          entry: spec.entry,
          description: `Sluice ${name}: ${spec.description}`,
          timeoutSeconds: spec.timeoutSeconds,
          memoryMb: spec.memoryMb,
          tracing: spec.tracing,
          environment: functionEnvironment(name, props.refs, props.settings),
        });
        return [name, fn];
      }),
    ) as Record<FunctionName, NodejsFunction>;
  }

  /** Grants each function exactly the access its wiring entry declares, as IAM statements of its own. */
  grantAccess(targets: AccessTargets): void {
    for (const name of functionNames) {
      const fn = this.byName[name];
      const access = functions[name].access;
      const wildcards = grantAccess(fn, access, targets);
      if (wildcards.length === 0) continue;
      NagSuppressions.addResourceSuppressions(
        fn.role!,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason: `cdk/wiring.ts gives ${name} object access by key prefix (${describeBucketAccess(access.bucket)}): keys under a prefix carry tenant, job and chunk ids unknown at deploy time, so the object ARN ends in <prefix>*; no other prefix of the bucket is reachable.`,
            appliesTo: wildcards,
          },
        ],
        true,
      );
    }
  }
}

const describeBucketAccess = (bucket: BucketAccess | undefined): string =>
  Object.entries(bucket ?? {})
    .map(([kind, prefixes]) => `${kind} ${(prefixes as Prefix[]).join(', ')}`)
    .join('; ');

/**
 * Grants `access` as statements scoped to exactly the declared prefixes, actions, table and indexes, and
 * returns the IAM5 findings the prefix wildcards cause on purpose.
 */
function grantAccess(fn: NodejsFunction, access: Access, targets: AccessTargets): string[] {
  const wildcards = new Set<string>();
  if (access.table) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: access.table.actions.map((action) => `dynamodb:${action}`),
        resources: [targets.table.tableArn],
      }),
    );
    for (const { actions, leadingKeys } of access.table.onKeys ?? []) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: actions.map((action) => `dynamodb:${action}`),
          resources: [targets.table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeys } },
        }),
      );
    }
    for (const index of access.table.queryIndexes ?? []) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [`${targets.table.tableArn}/index/${index}`],
        }),
      );
    }
  }
  const bucket = access.bucket ?? {};
  for (const kind of ['read', 'write', 'delete'] as const) {
    const prefixes = bucket[kind] ?? [];
    if (prefixes.length === 0) continue;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [s3Actions[kind]],
        resources: prefixes.map((prefix) => targets.bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    for (const prefix of prefixes) wildcards.add(wildcard.objectsUnder(targets.bucket, prefix));
  }
  // The bucket is SSE-KMS encrypted (S3 Bucket Key): reading an object needs kms:Decrypt, writing one
  // kms:GenerateDataKey, on the bucket's key and nothing else (listing and deleting need neither).
  const keyActions = [
    ...(bucket.read?.length ? [kmsActions.read] : []),
    ...(bucket.write?.length ? [kmsActions.write] : []),
  ];
  if (keyActions.length > 0) {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: keyActions, resources: [targets.dataKey.keyArn] }));
  }
  if (bucket.list?.length) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [s3Actions.list],
        resources: [targets.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': bucket.list.map((prefix) => `${prefix}*`) } },
      }),
    );
  }
  if (access.queue === 'send') targets.queue.grantSendMessages(fn);
  if (access.stateMachine === 'start') targets.stateMachine.grantStartExecution(fn);
  if (access.signingKey === 'read') targets.signingKey.grantRead(fn);
  return [...wildcards];
}
