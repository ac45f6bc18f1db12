/**
 * API Gateway HTTP API (payload 2.0) handlers: dispatch on `routeKey`, answer every error in the API's error
 * shape. ApiErrors are the caller's problem and become 4xx; anything else is logged and becomes a 500.
 * Every request with an authenticated caller first counts against its tenant's request rate (429 over it;
 * shared/api/rate-limit.ts), in every function alike: one budget per tenant across all routes.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { checkContentEncoding, parseJsonText } from '../cloudevents/body';
import { ApiError } from '../http/errors';
import { checkParam, checkRawEncoding } from '../http/request';
import { errorResponse } from '../http/responses';
import { instrumented } from '../aws/handler';
import { logger } from '../aws/observability';
import { rateHeaders, rateLimiterFromEnv, tooManyRequests } from './rate-limit';

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type ApiResult = APIGatewayProxyStructuredResultV2;
export type Routes = Record<string, (event: ApiEvent) => Promise<ApiResult>>;

export function apiHandler(name: string, routes: Routes) {
  const limiter = rateLimiterFromEnv();
  const serve = async (event: ApiEvent): Promise<ApiResult> => {
    try {
      const route = routes[event.routeKey];
      if (!route) throw new ApiError(404, 'NotFound', `No route for ${event.routeKey}`);
      checkRawEncoding(event.rawPath, event.rawQueryString, event.pathParameters);
      return await route(event);
    } catch (error) {
      if (!(error instanceof ApiError)) logger.error(`${event.routeKey} failed`, error as Error);
      return errorResponse(error);
    }
  };
  return instrumented(name, async (event: ApiEvent): Promise<ApiResult> => {
    const sub = event.requestContext?.authorizer?.jwt?.claims?.sub;
    if (!limiter || typeof sub !== 'string' || sub === '' || !routes[event.routeKey]) return serve(event);
    const decision = await limiter.check(sub);
    if (!decision.allowed) return tooManyRequests(decision);
    const result = await serve(event);
    return { ...result, headers: { ...result.headers, ...rateHeaders(decision) } };
  });
}

/**
 * A path parameter API Gateway matched (it arrives decoded; a segment that does not decode arrives as sent):
 * present, well-formed and at most MAX_ATTRIBUTE_BYTES, so that no key built from it passes DynamoDB's limits.
 */
export function pathParam(event: ApiEvent, name: string): string {
  const value = event.pathParameters?.[name];
  if (!value) throw new ApiError(400, 'InvalidRequest', `${name} is required`, [{ parameter: name }]);
  return checkParam(name, value);
}

/**
 * The request body as JSON (API Gateway base64-encodes bodies it does not consider text): at most `maxBytes`
 * (413 PayloadTooLarge), not content-encoded (415), strict UTF-8, JSON, and not nested deeper than
 * MAX_DOCUMENT_DEPTH (400 InvalidJson).
 */
export function jsonBody(event: ApiEvent, { maxBytes }: { maxBytes?: number } = {}): unknown {
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (maxBytes !== undefined && body.byteLength > maxBytes) {
    throw new ApiError(413, 'PayloadTooLarge', `Request body exceeds ${maxBytes} bytes`, [
      { limit: maxBytes, size: body.byteLength },
    ]);
  }
  const encoding = Object.entries(event.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'content-encoding',
  );
  checkContentEncoding(encoding?.[1]);
  return parseJsonText(body);
}
