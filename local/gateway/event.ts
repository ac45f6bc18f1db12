/**
 * The Lambda proxy integration event, payload format 2.0, built as API Gateway HTTP APIs build it
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface IncomingRequest {
  method: string;
  /** The request target as sent: path and query string, still encoded. */
  url: string;
  /** Header names and values in arrival order (Node's `rawHeaders`). */
  rawHeaders: string[];
  body?: Buffer;
  sourceIp: string;
  httpVersion: string;
  localPort: number;
}

export interface JwtAuthorization {
  claims: Record<string, string>;
  scopes: string[] | null;
}

/** The 2.0 event; `requestContext.authorizer` is present only on routes behind the JWT authorizer. */
export type HttpApiEvent = APIGatewayProxyEventV2 & {
  requestContext: APIGatewayProxyEventV2['requestContext'] & { authorizer?: { jwt: JwtAuthorization } };
};

export interface EventContext {
  routeKey: string;
  pathParameters: Record<string, string>;
  accountId: string;
  apiId: string;
  /** The JWT authorizer's result, for routes behind it. */
  jwt?: JwtAuthorization;
  now?: Date;
}

/** Text bodies are passed as they are; anything else is base64-encoded, as API Gateway does. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    mime.startsWith('text/') ||
    /^application\/(json|xml|javascript|ecmascript)$/.test(mime) ||
    /^application\/[\w.+-]+\+(json|xml)$/.test(mime)
  );
}

/** Lower-cased names; repeated headers joined with commas. */
export function collectHeaders(rawHeaders: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return headers;
}

function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (!rawQueryString) return undefined;
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    parameters[name] = name in parameters ? `${parameters[name]},${value}` : value;
  }
  return parameters;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** API Gateway's request time format: `12/Mar/2020:19:03:58 +0000`. */
export function requestTime(date: Date): string {
  return (
    `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

const traceId = (date: Date) =>
  `Root=1-${Math.floor(date.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

export function buildHttpApiEvent(request: IncomingRequest, context: EventContext): HttpApiEvent {
  const now = context.now ?? new Date();
  const queryStart = request.url.indexOf('?');
  const rawPath = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? '' : request.url.slice(queryStart + 1);
  const { cookie, ...headers } = collectHeaders(request.rawHeaders);
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${request.sourceIp}`
    : request.sourceIp;
  headers['x-forwarded-port'] = String(request.localPort);
  headers['x-forwarded-proto'] = 'http';
  headers['x-amzn-trace-id'] ??= traceId(now);
  const domainName = headers.host ?? `127.0.0.1:${request.localPort}`;
  const hasBody = request.body !== undefined && request.body.length > 0;
  const isBase64Encoded = hasBody && !isTextContentType(headers['content-type']);
  const queryStringParameters = queryParameters(rawQueryString);
  const hasPathParameters = Object.keys(context.pathParameters).length > 0;

  const event: HttpApiEvent = {
    version: '2.0',
    routeKey: context.routeKey,
    rawPath,
    rawQueryString,
    ...(cookie ? { cookies: cookie.split(/;\s*/).filter(Boolean) } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: context.accountId,
      apiId: context.apiId,
      ...(context.jwt ? { authorizer: { jwt: context.jwt } } : {}),
      domainName,
      domainPrefix: domainName.split('.')[0]!,
      http: {
        method: request.method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomBytes(11).toString('base64'),
      routeKey: context.routeKey,
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(hasBody ? { body: request.body!.toString(isBase64Encoded ? 'base64' : 'utf8') } : {}),
    ...(hasPathParameters ? { pathParameters: context.pathParameters } : {}),
    isBase64Encoded,
  };
  return event;
}
