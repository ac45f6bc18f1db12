/** ARNs and names of the local Step Functions service, in the formats AWS uses. */

export interface Scope {
  region: string;
  accountId: string;
}

export const stateMachineArn = (scope: Scope, name: string): string =>
  `arn:aws:states:${scope.region}:${scope.accountId}:stateMachine:${name}`;

export const executionArn = (scope: Scope, stateMachineName: string, name: string): string =>
  `arn:aws:states:${scope.region}:${scope.accountId}:execution:${stateMachineName}:${name}`;

export interface ParsedStateMachineArn extends Scope {
  name: string;
}

export interface ParsedExecutionArn extends Scope {
  stateMachineName: string;
  name: string;
}

function splitStatesArn(arn: string, resourceType: string, resourceParts: number): string[] | undefined {
  const parts = arn.split(':');
  const [prefix, partition, service, region, accountId, type] = parts;
  if (parts.length !== 6 + resourceParts || prefix !== 'arn' || !partition || service !== 'states')
    return undefined;
  if (!region || !/^\d{12}$/.test(accountId ?? '') || type !== resourceType) return undefined;
  const resource = parts.slice(6);
  return resource.every((part) => part.length > 0) ? [region, accountId!, ...resource] : undefined;
}

export function parseStateMachineArn(arn: string): ParsedStateMachineArn | undefined {
  const parts = splitStatesArn(arn, 'stateMachine', 1);
  if (!parts) return undefined;
  const [region, accountId, name] = parts as [string, string, string];
  return { region, accountId, name };
}

export function parseExecutionArn(arn: string): ParsedExecutionArn | undefined {
  const parts = splitStatesArn(arn, 'execution', 2);
  if (!parts) return undefined;
  const [region, accountId, stateMachineName, name] = parts as [string, string, string, string];
  return { region, accountId, stateMachineName, name };
}

// Whitespace, brackets, wildcards, the listed specials and control characters, as the StartExecution docs list.
// eslint-disable-next-line no-control-regex
const forbiddenInName = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

/** Why `name` can't name an execution (AWS answers InvalidName), or undefined when it can. */
export function invalidNameReason(name: string): string | undefined {
  if (name.length < 1 || name.length > 80) return 'must be 1 to 80 characters long';
  if (forbiddenInName.test(name)) {
    return 'must not contain whitespace, brackets, wildcards, special characters (" # % \\ ^ | ~ ` $ & , ; : /) or control characters';
  }
  return undefined;
}
