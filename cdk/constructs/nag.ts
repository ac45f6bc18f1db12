import { type CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * How cdk-nag names a resource's ARN inside an IAM finding (`<LogicalId.Arn>`), so suppressions can name
 * the exact resource instead of matching any ARN.
 */
export function nagArn(resource: IConstruct): string {
  const element = resource.node.defaultChild as CfnElement;
  return `<${Stack.of(resource).resolve(element.logicalId) as string}.Arn>`;
}

/** IAM5 finding ids for wildcards that grants add on purpose. */
export const wildcard = {
  /** X-Ray and CloudWatch Logs delivery APIs have no resource-level permissions. */
  anyResource: 'Resource::*',
  /** Objects under one key prefix of a bucket (`<bucket ARN>/<prefix>*`). */
  objectsUnder: (bucket: IConstruct, prefix: string) => `Resource::${nagArn(bucket)}/${prefix}*`,
  versionsOf: (fn: IConstruct) => `Resource::${nagArn(fn)}:*`,
};
