import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  type Access,
  type FunctionName,
  type RefName,
  type Settings,
  functionEnvironment,
  functionNames,
  functions,
} from '../wiring';
import { wildcard } from './nag';
import { nodeFunction } from './node-function';

export interface PipelineFunctionsProps {
  /** The value of each resource reference in the wiring (CDK tokens). */
  refs: Record<RefName, string>;
  settings: Settings;
}

/** What the wiring's `access` entries refer to. */
export interface AccessTargets {
  table: dynamodb.ITable;
  bucket: s3.IBucket;
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

  /** Grants each function exactly the access its wiring entry declares. */
  grantAccess(targets: AccessTargets): void {
    for (const name of functionNames) {
      const fn = this.byName[name];
      const wildcards = grantAccess(fn, functions[name].access, targets);
      if (wildcards.length === 0) continue;
      NagSuppressions.addResourceSuppressions(
        fn.role!,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason: `The access cdk/wiring.ts declares for ${name} (${JSON.stringify(functions[name].access)}), as CDK grants it: objects of the one bucket, the table's indexes.`,
            appliesTo: wildcards,
          },
        ],
        true,
      );
    }
  }
}

/** CDK's S3 grants use these action families; each is a wildcard finding for cdk-nag. */
const s3ReadActions = ['s3:GetObject*', 's3:GetBucket*', 's3:List*'];
const bucketGrants = {
  read: { grant: (b: s3.IBucket, fn: NodejsFunction) => b.grantRead(fn), actions: s3ReadActions },
  write: { grant: (b: s3.IBucket, fn: NodejsFunction) => b.grantPut(fn), actions: ['s3:Abort*'] },
  readWrite: {
    grant: (b: s3.IBucket, fn: NodejsFunction) => b.grantReadWrite(fn),
    actions: [...s3ReadActions, 's3:DeleteObject*', 's3:Abort*'],
  },
};

/**
 * Grants `access` and returns the IAM5 findings those grants cause on purpose: the table's index ARNs (for
 * queries on gsi1), the objects of the one bucket and the S3 action families above.
 */
function grantAccess(fn: NodejsFunction, access: Access, targets: AccessTargets): string[] {
  const wildcards: string[] = [];
  if (access.table) {
    if (access.table === 'read') targets.table.grantReadData(fn);
    else targets.table.grantReadWriteData(fn);
    wildcards.push(wildcard.indexesOf(targets.table));
  }
  if (access.bucket) {
    const { grant, actions } = bucketGrants[access.bucket];
    grant(targets.bucket, fn);
    wildcards.push(...actions.map(wildcard.action), wildcard.objectsOf(targets.bucket));
  }
  if (access.queue === 'send') targets.queue.grantSendMessages(fn);
  if (access.stateMachine === 'start') targets.stateMachine.grantStartExecution(fn);
  if (access.signingKey === 'read') targets.signingKey.grantRead(fn);
  return wildcards;
}
