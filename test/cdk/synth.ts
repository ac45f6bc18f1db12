import { App, Aspects } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SluiceStack } from '../../cdk/stack';

export interface Synthesized {
  stack: SluiceStack;
  template: Template;
  /** The template as JSON text, for searching it as a whole. */
  json: string;
  /** cdk-nag AwsSolutions errors (unsuppressed findings), one line each. */
  nagErrors: string[];
}

/**
 * Synthesizes the stack without bundling (the `aws:cdk:bundling-stacks` context skips esbuild) and with the
 * cdk-nag AwsSolutions checks applied, as `cdk synth` does.
 */
export function synthesize(context: Record<string, unknown> = {}): Synthesized {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new SluiceStack(app, 'Sluice', { env: { account: '123456789012', region: 'eu-west-1' } });
  Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
  const template = Template.fromStack(stack);
  const nagErrors = Annotations.fromStack(stack)
    .findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))
    .map((finding) => `${finding.id}: ${String(finding.entry.data)}`);
  return { stack, template, json: JSON.stringify(template.toJSON()), nagErrors };
}
