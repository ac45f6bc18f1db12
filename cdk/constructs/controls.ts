import { Aspects, CfnResource, type IAspect, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * AWS Control Tower proactive controls (the cfn-guard rules of `@cdklabs/cdk-validator-cfnguard`,
 * rules/control-tower) that a resource is exempt from, each with the reason. test/cdk/controls.test.ts runs every
 * rule on the synthesized template and fails on a failing control that is not waived here, on a waiver without a
 * specific reason and on a waiver of a control the resource passes; README "Control Tower controls" lists them.
 *
 * The waivers live in the resource's template metadata under this key: `[{ rule, reason }, …]`. (cfn-guard 3.1.1
 * and the Control Tower rules do not read `Metadata.guard.SuppressedRules`; the test applies the waivers.)
 */
export const waiversKey = 'sluice:controlWaivers';

/** A control's file name in rules/control-tower: `ct-<service>-pr-<n>`. */
export type ControlId = `ct-${string}-pr-${number}`;

export interface Waiver {
  rule: ControlId;
  reason: string;
}

/** The shortest reason accepted: a sentence that says why, not "n/a" or "by design". */
export const minimumReasonLength = 60;

const cfnResourceOf = (construct: IConstruct): CfnResource => {
  if (construct instanceof CfnResource) return construct;
  const child = construct.node.defaultChild;
  if (child instanceof CfnResource) return child;
  throw new Error(`waive: ${construct.node.path} is not a CloudFormation resource and has no default one`);
};

/** Exempts the resource `construct` (or its default CloudFormation resource) from `rule`, for `reason`. */
export function waive(construct: IConstruct, rule: ControlId, reason: string): void {
  if (!/^ct-[a-z0-9]+-pr-\d+$/.test(rule)) throw new Error(`waive: "${rule}" is not a control id`);
  if (reason.trim().length < minimumReasonLength) {
    throw new Error(`waive ${rule} on ${construct.node.path}: give a specific reason, not "${reason}"`);
  }
  const resource = cfnResourceOf(construct);
  const waivers = ((resource.getMetadata(waiversKey) as Waiver[] | undefined) ?? []).filter(
    (w) => w.rule !== rule,
  );
  resource.addMetadata(waiversKey, [...waivers, { rule, reason }]);
}

/**
 * Exempts every resource of `type` in `scope`'s stack from `rule`, CDK's own included (custom-resource
 * providers, BucketDeployment, bucket notifications), for a reason that holds for all of them.
 */
export function waiveEvery(scope: IConstruct, type: string, rule: ControlId, reason: string): void {
  const aspect: IAspect = {
    visit(node) {
      if (node instanceof CfnResource && node.cfnResourceType === type) waive(node, rule, reason);
    },
  };
  Aspects.of(Stack.of(scope)).add(aspect);
}
