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

/**
 * Lambda answers a synchronous invocation with at most 6,291,556 bytes of JSON, and API Gateway turns a larger
 * response into a 500. A response's `body` is a JSON string inside that JSON, so each byte of the body's own
 * JSON that needs escaping (`"`, `\\`) counts twice. Listings stop a page at this many bytes of items, measured
 * as escaped (`escapedBytes`), leaving room for the headers and the cursor.
 */
export const MAX_LISTED_BYTES = 6_000_000;

/** The bytes `json` (a JSON text) takes once it is the string value of a response's `body`. */
export const escapedBytes = (json: string): number => Buffer.byteLength(JSON.stringify(json)) - 2;
