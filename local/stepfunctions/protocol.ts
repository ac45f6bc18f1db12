/**
 * The AWS JSON 1.0 protocol as Step Functions speaks it: `POST /`, `X-Amz-Target: AWSStepFunctions.<Op>`,
 * JSON in and out (`application/x-amz-json-1.0`); errors as `{"__type", "message"}` plus x-amzn-ErrorType.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { SfnError } from './errors';

export type Operation = (input: Record<string, unknown>) => Promise<object>;

const targetPrefix = 'AWSStepFunctions.';
const maxRequestBytes = 4 * 1024 * 1024;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxRequestBytes) throw new SfnError('ValidationException', 'Request is too large', 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: object, errorType?: string): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(text);
}

function parseInput(body: string): Record<string, unknown> {
  let input: unknown;
  try {
    input = body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    throw new SfnError('SerializationException', 'Request body is not valid JSON');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SfnError('SerializationException', 'Request body must be a JSON object');
  }
  return input as Record<string, unknown>;
}

export function createJsonProtocolServer(
  operations: Record<string, Operation>,
  log: (message: string, error?: unknown) => void,
): Server {
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const body = await readBody(request);
      const target = request.headers['x-amz-target'];
      const name =
        typeof target === 'string' && target.startsWith(targetPrefix)
          ? target.slice(targetPrefix.length)
          : '';
      const operation =
        request.method === 'POST' && Object.hasOwn(operations, name) ? operations[name] : undefined;
      if (!operation) throw new SfnError('UnknownOperationException', `Unknown operation: ${String(target)}`);
      send(response, 200, await operation(parseInput(body)));
    } catch (error) {
      const known = error instanceof SfnError;
      if (!known) log('step functions request failed', error);
      const failure = known ? error : new SfnError('InternalFailure', 'Internal failure', 500);
      send(response, failure.httpStatus, { __type: failure.code, message: failure.message }, failure.code);
    }
  }
  return createServer((request, response) => void handle(request, response));
}
