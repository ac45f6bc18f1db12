import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ApiError, errorBody } from './errors';

export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** ApiError → its status and body; anything else → a generic 500 (the handler logs the real error). */
export function errorResponse(err: unknown): APIGatewayProxyStructuredResultV2 {
  if (err instanceof ApiError) return json(err.status, errorBody(err.code, err.message, err.details));
  return json(500, errorBody('InternalError', 'Internal server error'));
}
