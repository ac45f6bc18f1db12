/**
 * How API Gateway (payload format 2.0) turns a function's result into the HTTP response: a structured result
 * (`statusCode`, `headers`, `cookies`, `body`, `isBase64Encoded`) is used as it is; anything else is a
 * 200 `application/json` whose body is the result (a string as it is, other values as JSON).
 */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export const apiGatewayError = (statusCode: number, message: string): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ message })),
});

export const internalServerError = () => apiGatewayError(500, 'Internal Server Error');

export function toHttpResponse(result: unknown): HttpResponse {
  if (result !== null && typeof result === 'object' && 'statusCode' in result) {
    const structured = result as {
      statusCode: unknown;
      headers?: Record<string, unknown>;
      cookies?: unknown;
      body?: unknown;
      isBase64Encoded?: unknown;
    };
    const statusCode = Number(structured.statusCode);
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return internalServerError();
    const headers: HttpResponse['headers'] = {};
    for (const [name, value] of Object.entries(structured.headers ?? {}))
      headers[name.toLowerCase()] = String(value);
    if (Array.isArray(structured.cookies) && structured.cookies.length > 0) {
      headers['set-cookie'] = structured.cookies.map(String);
    }
    const text = structured.body === undefined || structured.body === null ? '' : String(structured.body);
    const body = structured.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text);
    return { statusCode, headers, body };
  }
  const body = typeof result === 'string' ? result : JSON.stringify(result);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body ?? '') };
}
