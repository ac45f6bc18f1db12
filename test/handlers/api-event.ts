/** Builders for the API handler tests: HTTP API payload 2.0 events, a Lambda context, parsed results. */
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';

export interface ApiEventOptions {
  /** The caller's `sub`; null = no authorizer claims (GET /health). */
  tenant?: string | null;
  pathParameters?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

export function apiEvent(
  routeKey: string,
  options: ApiEventOptions = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const { tenant = 'alice', headers = {}, isBase64Encoded = false } = options;
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  const rawPath = Object.entries(options.pathParameters ?? {}).reduce(
    (p, [name, value]) => p.replace(`{${name}}`, value.isWellFormed() ? encodeURIComponent(value) : value),
    path,
  );
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(options.queryStringParameters ?? {}).toString(),
    headers,
    queryStringParameters: options.queryStringParameters,
    pathParameters: options.pathParameters,
    body: options.body,
    isBase64Encoded,
    requestContext: {
      accountId: '000000000000',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'request-1',
      routeKey,
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1767225600000,
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: tenant === null ? {} : { sub: tenant }, scopes: [] },
      },
    },
  };
}

export const lambdaContext = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'test-function',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test-function',
  memoryLimitInMB: '512',
  awsRequestId: 'aws-request-1',
  logGroupName: '/aws/lambda/test-function',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

export interface ParsedResult {
  status: number;
  headers: Record<string, unknown>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- each test checks the shape it expects
}

export function parsed(result: APIGatewayProxyStructuredResultV2): ParsedResult {
  return {
    status: result.statusCode ?? 200,
    headers: result.headers ?? {},
    body: result.body === undefined ? undefined : JSON.parse(result.body),
  };
}
