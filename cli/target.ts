import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { UsageError } from './errors';

/** `.sluice/endpoints.json` as written by the local cloud; a deployed stack's outputs map onto the same names. */
const endpointsSchema = z.looseObject({
  apiUrl: z.string().min(1).optional(),
  cdnUrl: z.string().optional(),
  userPoolId: z.string().optional(),
  userPoolClientId: z.string().optional(),
  stateMachineArn: z.string().optional(),
  queueUrl: z.string().optional(),
  deadLetterQueueUrl: z.string().optional(),
  tableName: z.string().optional(),
  bucketName: z.string().optional(),
  region: z.string().optional(),
  cognitoEndpoint: z.string().optional(),
  sfnEndpoint: z.string().optional(),
  s3Endpoint: z.string().optional(),
  sqsEndpoint: z.string().optional(),
  dynamodbEndpoint: z.string().optional(),
  consoleUrl: z.string().optional(),
});
export type Endpoints = z.infer<typeof endpointsSchema>;

export interface TargetOptions {
  endpoints?: string;
  stack?: string;
  region?: string;
  apiUrl?: string;
  userPoolId?: string;
  userPoolClientId?: string;
  cognitoEndpoint?: string;
}

export type Target = Endpoints & {
  apiUrl: string;
  /** True for the local cloud: its Cognito stand-in confirms sign-ups without an emailed code. */
  local: boolean;
  /** Where the values came from, for `sluice endpoints`. */
  origin: string;
};

export interface TargetDeps {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stackOutputs: (stackName: string, region: string | undefined) => Promise<Record<string, string>>;
}

export const defaultEndpointsFile = path.join('.sluice', 'endpoints.json');

export async function resolveTarget(options: TargetOptions, deps: TargetDeps): Promise<Target> {
  // SLUICE_DATA_DIR moves the local cloud's state, endpoints.json included (npm start, npm run user/reset).
  const endpointsFile =
    options.endpoints ??
    deps.env.SLUICE_ENDPOINTS ??
    (deps.env.SLUICE_DATA_DIR ? path.join(deps.env.SLUICE_DATA_DIR, 'endpoints.json') : undefined);
  const stack = options.stack ?? deps.env.SLUICE_STACK;
  if (options.endpoints && options.stack) throw new UsageError('use either --endpoints or --stack, not both');

  let base: Endpoints = {};
  const origins: string[] = [];
  if (stack && !options.endpoints) {
    base = endpointsFromStackOutputs(
      await deps.stackOutputs(stack, options.region ?? regionFromEnv(deps.env)),
    );
    origins.push(`stack ${stack}`);
  } else {
    const file = endpointsFile
      ? path.resolve(deps.cwd, endpointsFile)
      : findUp(deps.cwd, defaultEndpointsFile);
    if (file) {
      base = await readEndpointsFile(file);
      origins.push(file);
    }
  }

  const flags = pickDefined({
    apiUrl: options.apiUrl,
    userPoolId: options.userPoolId,
    userPoolClientId: options.userPoolClientId,
    cognitoEndpoint: options.cognitoEndpoint,
    region: options.region,
  });
  if (Object.keys(flags).length > 0) origins.push('command-line flags');
  const merged: Endpoints = { ...base, ...flags };

  if (!merged.apiUrl) {
    throw new UsageError(
      'no target: start the local cloud (npm start writes .sluice/endpoints.json), or pass --endpoints <file>, --stack <name> or --api-url <url>',
    );
  }
  const region =
    merged.region ?? regionFromUserPoolId(merged.userPoolId) ?? regionFromEnv(deps.env) ?? undefined;
  return {
    ...merged,
    apiUrl: merged.apiUrl.replace(/\/+$/, ''),
    ...(region ? { region } : {}),
    local: Boolean(merged.cognitoEndpoint),
    origin: origins.join(' + '),
  };
}

/** The nearest `relative` file in `dir` or a parent, so the CLI finds the local cloud from any repo folder. */
function findUp(dir: string, relative: string): string | undefined {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const candidate = path.join(current, relative);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(current) === current) return undefined;
  }
}

export async function readEndpointsFile(file: string): Promise<Endpoints> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read endpoints file ${file}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`endpoints file ${file} is not JSON`);
  }
  const parsed = endpointsSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`endpoints file ${file} is malformed: ${parsed.error.message}`);
  return parsed.data;
}

/** CloudFormation outputs use PascalCase names (ApiUrl, UserPoolClientId, …) for the same values. */
export function endpointsFromStackOutputs(outputs: Record<string, string>): Endpoints {
  const camel = Object.fromEntries(
    Object.entries(outputs).map(([key, value]) => [key.charAt(0).toLowerCase() + key.slice(1), value]),
  );
  return endpointsSchema.parse(camel);
}

/** Cognito user pool ids start with their region: `eu-west-1_AbCdEf`. */
export function regionFromUserPoolId(userPoolId: string | undefined): string | undefined {
  const match = userPoolId?.match(/^([a-z]{2}(?:-[a-z]+)+-\d+)_/);
  return match?.[1];
}

function regionFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
}

/** Sign-in needs the app client and its region. */
export function requireCognito(target: Target): Target & { userPoolClientId: string; region: string } {
  if (!target.userPoolClientId)
    throw new UsageError('the target has no user pool client id (--user-pool-client-id)');
  if (!target.region) throw new UsageError('the target has no region (--region)');
  return target as Target & { userPoolClientId: string; region: string };
}

function pickDefined<T extends Record<string, string | undefined>>(
  values: T,
): Partial<Record<keyof T, string>> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && v !== '')) as Partial<
    Record<keyof T, string>
  >;
}
