/**
 * The wiring's functions as the local Lambda service runs them: each with the environment the stack gives it
 * (functionEnvironment, bound to the local resources) plus what Lambda itself sets and the local endpoints the
 * SDK picks up from AWS_ENDPOINT_URL_<SERVICE>. Functions that no API route invokes run in the background (at a
 * lower OS priority, see lambda/bootstrap.ts). Also the workflow document with its function ARNs filled in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  functionEnvironment,
  functionNames,
  functions,
  routes,
  workflow,
  type FunctionName,
  type RefName,
  type Settings,
} from '../../cdk/wiring';
import { localCredentials } from '../services/credentials';
import type { BundleResult } from './bundle';
import type { FunctionDefinition } from './function-pool';
import { functionArn } from './runtime';

export const localFunctionName = (name: FunctionName) => `sluice-${name}`;

export interface LocalFunctionsInput {
  region: string;
  accountId: string;
  refs: Record<RefName, string>;
  settings: Settings;
  endpoints: { dynamodb: string; s3: string; sqs: string; sfn: string; secretsManager: string };
  bundled: BundleResult;
  /** Where the bundles are (LAMBDA_TASK_ROOT). */
  taskRoot: string;
}

export function localFunctionDefinitions(input: LocalFunctionsInput): FunctionDefinition[] {
  const { region, endpoints } = input;
  const lambdaEnvironment = {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_SFN: endpoints.sfn,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    S3_FORCE_PATH_STYLE: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    // Lambda runs nodejs22.x, where the SDK has no Node version warning to print.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    LAMBDA_TASK_ROOT: input.taskRoot,
    // No developer's ~/.aws settings leak in: a function sees only its own environment, as in Lambda.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: 'UTC',
  };
  return functionNames.map((name) => {
    const functionName = localFunctionName(name);
    const { timeoutSeconds, memoryMb } = functions[name];
    return {
      name,
      functionName,
      arn: functionArn(region, input.accountId, functionName),
      bundle: input.bundled.bundles[name],
      buildError: input.bundled.failures[name],
      timeoutSeconds,
      memoryMb,
      background: !routes.some((route) => route.function === name),
      env: {
        ...functionEnvironment(name, input.refs, input.settings),
        ...lambdaEnvironment,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
        AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${name}`,
      },
    };
  });
}

/** workflows/ingest.asl.json with each `${Placeholder}` replaced by its function's local ARN. */
export function localWorkflowDefinition(repoRoot: string, region: string, accountId: string): string {
  return Object.entries(workflow.functionPlaceholders).reduce(
    (text, [placeholder, name]) =>
      text.replaceAll(`\${${placeholder}}`, functionArn(region, accountId, localFunctionName(name))),
    readFileSync(join(repoRoot, workflow.definitionFile), 'utf8'),
  );
}
