/**
 * API Gateway HTTP API (payload 2.0) handlers: dispatch on `routeKey`, answer every error in the API's error
 * shape. ApiErrors are the caller's problem and become 4xx; anything else is logged and becomes a 500.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ApiError } from '../http/errors';
import { errorResponse } from '../http/responses';
import { instrumented } from '../aws/handler';
import { logger } from '../aws/observability';

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type ApiResult = APIGatewayProxyStructuredResultV2;
export type Routes = Record<string, (event: ApiEvent) => Promise<ApiResult>>;

export function apiHandler(name: string, routes: Routes) {
  return instrumented(name, async (event: ApiEvent): Promise<ApiResult> => {
    try {
      const route = routes[event.routeKey];
      if (!route) throw new ApiError(404, 'NotFound', `No route for ${event.routeKey}`);
      return await route(event);
    } catch (error) {
      if (!(error instanceof ApiError)) logger.error(`${event.routeKey} failed`, error as Error);
      return errorResponse(error);
    }
  });
}

/** A path parameter API Gateway matched (it arrives decoded). */
export function pathParam(event: ApiEvent, name: string): string {
  const value = event.pathParameters?.[name];
  if (!value) throw new ApiError(400, 'InvalidRequest', `${name} is required`, [{ parameter: name }]);
  return value;
}

/** The request body as JSON (API Gateway base64-encodes bodies it does not consider text). */
export function jsonBody(event: ApiEvent): unknown {
  const text = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, 'InvalidJson', 'The request body is not valid JSON');
  }
}
