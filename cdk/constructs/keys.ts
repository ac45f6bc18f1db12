import { type Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * A customer-managed key the way Sluice makes them: rotated yearly, retained, and its grants limited to those AWS
 * services create for their resources (CT.KMS.PR.3): nobody can hand out use of the key with CreateGrant.
 */
export function customerManagedKey(
  scope: Construct,
  id: string,
  description: string,
  lifetime: { removalPolicy: RemovalPolicy; pendingWindow?: Duration } = {
    removalPolicy: RemovalPolicy.RETAIN,
  },
): kms.Key {
  const key = new kms.Key(scope, id, { description, enableKeyRotation: true, ...lifetime });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'GrantsOnlyForAwsServices',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: {
        BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
      },
    }),
  );
  return key;
}

const logsKeyId = 'LogsKey';

/**
 * The key every log group of the stack is encrypted with, one per stack. Only the CloudWatch Logs service of this
 * region may use it, and only for log groups of this account and region (the encryption context CloudWatch Logs
 * passes is the log group's ARN); reading logs needs no key permission.
 */
export function logsKey(scope: Construct): kms.Key {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(logsKeyId);
  if (existing) return existing as kms.Key;
  const key = customerManagedKey(
    stack,
    logsKeyId,
    'Sluice: encrypts every log group of the stack (functions, API access logs, workflow)',
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchLogsOfThisAccountAndRegion',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
        },
      },
    }),
  );
  return key;
}
