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
  objectsOf: (bucket: IConstruct) => `Resource::${nagArn(bucket)}/*`,
  indexesOf: (table: IConstruct) => `Resource::${nagArn(table)}/index/*`,
  versionsOf: (fn: IConstruct) => `Resource::${nagArn(fn)}:*`,
  action: (action: string) => `Action::${action}`,
};
