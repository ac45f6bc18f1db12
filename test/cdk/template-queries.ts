import type { Matcher, Template } from 'aws-cdk-lib/assertions';

export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  DeletionPolicy?: string;
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
  Principal?: unknown;
}

/** The resources of one type, by logical id. */
export const resourcesOf = (template: Template, type: string): Record<string, CfnResource> =>
  template.findResources(type) as Record<string, CfnResource>;

/** The logical id of the only resource of `type` (fails when there is not exactly one). */
export function onlyId(template: Template, type: string): string {
  const ids = Object.keys(resourcesOf(template, type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0]!;
}

export interface FunctionProps {
  Environment?: { Variables: Record<string, unknown> };
  Runtime: string;
  Architectures: string[];
  TracingConfig: { Mode: string };
  Timeout: number;
  MemorySize: number;
  Handler: string;
  LoggingConfig: { LogGroup: { Ref: string } };
  Role: unknown;
}

/** The wiring's functions in the template, by the service name the wiring gives every one of them. */
export function pipelineFunctions(template: Template): Map<string, { id: string; props: FunctionProps }> {
  const found = new Map<string, { id: string; props: FunctionProps }>();
  for (const [id, resource] of Object.entries(resourcesOf(template, 'AWS::Lambda::Function'))) {
    const props = resource.Properties as unknown as FunctionProps;
    const service = props.Environment?.Variables.POWERTOOLS_SERVICE_NAME;
    if (typeof service === 'string') found.set(service, { id, props });
  }
  return found;
}

/** Every statement of the identity policies attached to the role a `{ 'Fn::GetAtt': [role, 'Arn'] }` names. */
export function roleStatements(template: Template, roleArn: unknown): Statement[] {
  const roleId = (roleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some((r) => (r as { Ref: string }).Ref === roleId),
    )
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

export const actionsOf = (statements: Statement[]): string[] =>
  statements.filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat());

export const getAtt = (id: string | Matcher, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });
export const ref = (id: string) => ({ Ref: id });
