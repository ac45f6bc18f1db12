import { CliError } from './errors';

/** A deployed stack's outputs (`OutputKey → OutputValue`), read with CloudFormation DescribeStacks. */
export async function describeStackOutputs(
  stackName: string,
  region: string | undefined,
): Promise<Record<string, string>> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient(region ? { region } : {});
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = Stacks?.[0]?.Outputs ?? [];
    return Object.fromEntries(
      outputs.flatMap((o) =>
        o.OutputKey && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : [],
      ),
    );
  } catch (error) {
    throw new CliError(`cannot read stack ${stackName}: ${(error as Error).message}`);
  } finally {
    client.destroy();
  }
}
