/**
 * The HTTP API on 127.0.0.1: routes to functions, the JWT authorizer on protected routes, the 10 MB payload
 * quota, CORS for the web app, and API Gateway's own error bodies (`{"message": ...}`) for 404, 401, 413 and
 * failed integrations (500).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { corsExposeHeaders } from '../../cdk/wiring';
import { closeServer, host, listen } from '../services/network';
import type { JwtAuthorizer } from './authorizer';
import { buildHttpApiEvent, type JwtAuthorization } from './event';
import { apiGatewayError, internalServerError, toHttpResponse, type HttpResponse } from './response';
import { matchRoute, type Route } from './routes';
import type { Meter } from '../meter/meter';
import { apiGatewayRequestUnits } from '../meter/units';

/** API Gateway's payload quota for HTTP APIs. */
export const maxPayloadBytes = 10 * 1024 * 1024;

export interface HttpApiRoute<Name extends string> {
  method: string;
  path: string;
  function: Name;
  auth: boolean;
}

export interface HttpApiOptions<Name extends string> {
  port: { port: number; fixed: boolean };
  routes: HttpApiRoute<Name>[];
  authorizer: JwtAuthorizer;
  invoke(name: Name, event: unknown): Promise<unknown>;
  accountId: string;
  apiId?: string;
  /** Counts each request as API Gateway bills it (512 KB units), by route key. */
  meter?: Meter;
  log?: (line: string) => void;
}

export interface HttpApi {
  url: string;
  stop(): Promise<void>;
}

const allowedRequestHeaders = /^(authorization|content-type|ce-[a-z0-9-]+)$/i;

function corsPreflight(req: IncomingMessage): HttpResponse {
  const requested = String(req.headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name && allowedRequestHeaders.test(name));
  return {
    statusCode: 204,
    headers: {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET,POST,PUT,DELETE,OPTIONS',
      'access-control-allow-headers': [...new Set(['authorization', 'content-type', ...requested])].join(','),
      'access-control-max-age': '600',
    },
    body: Buffer.alloc(0),
  };
}

class PayloadTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxPayloadBytes) return Promise.reject(new PayloadTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxPayloadBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new PayloadTooLarge());
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startHttpApi<Name extends string>(options: HttpApiOptions<Name>): Promise<HttpApi> {
  const log = options.log ?? (() => undefined);
  const apiId = options.apiId ?? 'sluicelocal';
  const routes: Route<HttpApiRoute<Name>>[] = options.routes.map((route) => ({
    method: route.method,
    path: route.path,
    target: route,
  }));
  let localPort = 0;

  async function handle(req: IncomingMessage): Promise<HttpResponse> {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    if (method === 'OPTIONS' && req.headers['access-control-request-method']) return corsPreflight(req);
    const match = matchRoute(routes, method, url.split('?')[0]!);
    if (!match) return apiGatewayError(404, 'Not Found');
    let jwt: JwtAuthorization | undefined;
    if (match.route.target.auth) {
      jwt = await options.authorizer(req.headers.authorization);
      if (!jwt) return apiGatewayError(401, 'Unauthorized');
    }
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      if (error instanceof PayloadTooLarge) return apiGatewayError(413, 'Request Entity Too Large');
      throw error;
    }
    options.meter?.count('apigateway', match.routeKey, apiGatewayRequestUnits(body.length));
    const event = buildHttpApiEvent(
      {
        method,
        url,
        rawHeaders: req.rawHeaders,
        body,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        httpVersion: req.httpVersion,
        localPort,
      },
      {
        routeKey: match.routeKey,
        pathParameters: match.pathParameters,
        accountId: options.accountId,
        apiId,
        jwt,
      },
    );
    try {
      return toHttpResponse(await options.invoke(match.route.target.function, event));
    } catch (error) {
      log(`[api] ${match.routeKey} → ${match.route.target.function} failed: ${String(error)}`);
      return internalServerError();
    }
  }

  function send(req: IncomingMessage, res: ServerResponse, response: HttpResponse): void {
    const headers: HttpResponse['headers'] = {
      ...response.headers,
      'apigw-requestid': randomBytes(11).toString('base64'),
      'content-length': String(response.body.length),
    };
    if (req.headers.origin) {
      headers['access-control-allow-origin'] ??= '*';
      // As the stack's HTTP API (corsPreflight.exposeHeaders): the same list, from cdk/wiring.ts.
      headers['access-control-expose-headers'] ??= corsExposeHeaders.join(',');
    }
    res.writeHead(response.statusCode, headers);
    res.end(req.method === 'HEAD' ? undefined : response.body);
  }

  const server = createServer((req, res) => {
    handle(req).then(
      (response) => send(req, res, response),
      (error: unknown) => {
        log(`[api] ${req.method} ${req.url} failed: ${String(error)}`);
        send(req, res, internalServerError());
      },
    );
  });
  localPort = await listen(server, options.port);
  return { url: `http://${host}:${localPort}`, stop: () => closeServer(server) };
}
