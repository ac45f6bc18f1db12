/**
 * The local executions console: a small HTTP server on 127.0.0.1 serving a single-page UI (local/console/ui,
 * bundled with esbuild at start) that reads the local Step Functions API only. The browser sends real AWS JSON
 * 1.0 requests (`X-Amz-Target: AWSStepFunctions.<Op>`) to `/sfn`, which forwards them unchanged, so the page
 * needs no CORS; only the read operations and StopExecution pass.
 *
 * Local only: the deployed stack has the AWS console for this.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { closeServer, host, listen } from '../services/network';

export interface ConsoleOptions {
  port: { port: number; fixed: boolean };
  /** The local Step Functions endpoint the `/sfn` proxy forwards to. */
  sfnEndpoint: string;
  /** The web app, for links from an execution to its job's page. */
  cdnUrl?: string;
  log?: (line: string) => void;
}

export interface ExecutionsConsole {
  url: string;
  stop(): Promise<void>;
}

export const proxiedOperations: ReadonlySet<string> = new Set([
  'ListStateMachines',
  'DescribeStateMachine',
  'DescribeStateMachineForExecution',
  'ListExecutions',
  'DescribeExecution',
  'GetExecutionHistory',
  'StopExecution',
]);

const uiDir = join(import.meta.dirname, 'ui');
const maxRequestBytes = 256 * 1024;
const securityHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'",
};

interface Asset {
  type: string;
  body: string;
}

async function buildAssets(config: object): Promise<Record<string, Asset>> {
  const bundle = await build({
    entryPoints: [join(uiDir, 'main.js')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const [html, css] = await Promise.all([
    readFile(join(uiDir, 'index.html'), 'utf8'),
    readFile(join(uiDir, 'console.css'), 'utf8'),
  ]);
  return {
    '/': { type: 'text/html; charset=utf-8', body: html },
    '/index.html': { type: 'text/html; charset=utf-8', body: html },
    '/app.js': { type: 'text/javascript; charset=utf-8', body: bundle.outputFiles[0]!.text },
    '/app.css': { type: 'text/css; charset=utf-8', body: css },
    '/config.json': { type: 'application/json', body: JSON.stringify(config) },
  };
}

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, {
    ...securityHeaders,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  response.end(body);
}

const sfnError = (response: ServerResponse, status: number, code: string, message: string) =>
  send(response, status, 'application/x-amz-json-1.0', JSON.stringify({ __type: code, message }), {
    'x-amzn-errortype': code,
  });

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxRequestBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Forwards one Step Functions request as it came: same body, target and content type. */
async function proxy(request: IncomingMessage, response: ServerResponse, sfnEndpoint: string): Promise<void> {
  const target = request.headers['x-amz-target'];
  const operation = typeof target === 'string' ? target.replace(/^AWSStepFunctions\./, '') : '';
  if (
    typeof target !== 'string' ||
    !target.startsWith('AWSStepFunctions.') ||
    !proxiedOperations.has(operation)
  ) {
    return sfnError(
      response,
      400,
      'UnknownOperationException',
      `The console does not forward ${String(target)}`,
    );
  }
  const body = await readBody(request);
  if (body === undefined) return sfnError(response, 413, 'ValidationException', 'Request is too large');
  let upstream: Response;
  try {
    upstream = await fetch(new URL('/', sfnEndpoint), {
      method: 'POST',
      headers: {
        'content-type': request.headers['content-type'] ?? 'application/x-amz-json-1.0',
        'x-amz-target': target,
      },
      body,
    });
  } catch (error) {
    return sfnError(response, 502, 'ServiceUnavailable', `Step Functions is not reachable: ${String(error)}`);
  }
  const headers: Record<string, string> = {};
  for (const name of ['x-amzn-requestid', 'x-amzn-errortype']) {
    const value = upstream.headers.get(name);
    if (value) headers[name] = value;
  }
  const type = upstream.headers.get('content-type') ?? 'application/x-amz-json-1.0';
  send(response, upstream.status, type, await upstream.text(), headers);
}

export async function startConsole(options: ConsoleOptions): Promise<ExecutionsConsole> {
  const log = options.log ?? (() => undefined);
  const assets = await buildAssets({
    sfnPath: '/sfn',
    ...(options.cdnUrl ? { cdnUrl: options.cdnUrl } : {}),
  });
  let allowedHosts = new Set<string>();

  const server = createServer((request, response) => {
    // Only this origin's pages may call in: a page elsewhere can't name the host (DNS rebinding) and can't
    // send X-Amz-Target cross-origin without a CORS preflight, which is never answered.
    if (!allowedHosts.has(request.headers.host ?? '')) {
      return send(response, 403, 'text/plain; charset=utf-8', 'Forbidden host\n');
    }
    const path = new URL(request.url ?? '/', 'http://console').pathname;
    if (path === '/sfn') {
      if (request.method !== 'POST') return sfnError(response, 405, 'UnknownOperationException', 'POST only');
      proxy(request, response, options.sfnEndpoint).catch((error: unknown) => {
        log(`[console] proxy failed: ${String(error)}`);
        if (!response.headersSent) sfnError(response, 500, 'InternalFailure', 'Internal failure');
      });
      return;
    }
    const asset = Object.hasOwn(assets, path) ? assets[path] : undefined;
    if (!asset || (request.method !== 'GET' && request.method !== 'HEAD')) {
      return send(response, 404, 'text/plain; charset=utf-8', 'Not found\n');
    }
    send(response, 200, asset.type, asset.body);
  });
  const port = await listen(server, options.port);
  allowedHosts = new Set([`${host}:${port}`, `localhost:${port}`]);
  return { url: `http://${host}:${port}`, stop: () => closeServer(server) };
}
