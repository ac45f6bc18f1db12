/**
 * A stand-in for the Sluice API, Cognito and the CloudFront upload URL on 127.0.0.1, implementing just enough of
 * the public contract for the CLI's integration tests. Jobs advance one status per GET so `--watch` sees progress.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Status = 'PENDING_UPLOAD' | 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

interface StandInJob {
  jobId: string;
  source: 'api' | 'upload';
  status: Status;
  /** Statuses still to come, one per GET /jobs/{id}. */
  script: Status[];
  events: Record<string, unknown>[];
  rejections: { index: number; id: string | null; reason: string }[];
  failure?: { error: string; cause: string };
  createdAt: string;
}

export interface EventsRequest {
  contentType: string;
  bytes: number;
  count: number;
}

export interface Upload {
  jobId: string;
  contentLength: number;
  receivedBytes: number;
  contentType: string;
}

export interface StandIn {
  url: string;
  eventsRequests: EventsRequest[];
  uploads: Upload[];
  users: Map<string, { password: string; confirmed: boolean }>;
  /** Awaited when an upload body has arrived, before the PUT is answered. */
  onUploadReceived?: (upload: Upload) => void | Promise<void>;
  issueToken(): string;
  close(): Promise<void>;
}

interface CognitoInput {
  Username: string;
  Password?: string;
  AuthFlow?: string;
  AuthParameters?: Record<string, string>;
}

const maxRequestBytes = 4 * 1024 * 1024; // defaultSettings.maxRequestBytes
const maxEvents = 10_000;

export async function startStandIn(): Promise<StandIn> {
  const jobs = new Map<string, StandInJob>();
  const schemas = new Map<string, { schema: unknown; updatedAt: string }>();
  const tokens = new Set<string>();
  let sequence = 0;

  const state: StandIn = {
    url: '',
    eventsRequests: [],
    uploads: [],
    users: new Map(),
    issueToken() {
      const token = `token-${randomUUID()}`;
      tokens.add(token);
      return token;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const newJob = (source: 'api' | 'upload', events: Record<string, unknown>[]): StandInJob => {
    const failing = events.some((event) => event.type === 'test.fail');
    const rejections = events.flatMap((event, index) =>
      event.specversion === '1.0'
        ? []
        : [
            {
              index,
              id: typeof event.id === 'string' ? event.id : null,
              reason: 'specversion: must be "1.0"',
            },
          ],
    );
    const job: StandInJob = {
      jobId: `01JOB${String(++sequence).padStart(6, '0')}`,
      source,
      status: source === 'api' ? 'QUEUED' : 'PENDING_UPLOAD',
      script: ['RUNNING', failing ? 'FAILED' : 'SUCCEEDED'],
      events,
      rejections,
      ...(failing ? { failure: { error: 'SubmissionUnreadable', cause: 'test.fail requested' } } : {}),
      createdAt: new Date(Date.now() + sequence).toISOString(),
    };
    jobs.set(job.jobId, job);
    return job;
  };

  const view = (job: StandInJob) => {
    const done = job.status === 'SUCCEEDED' || job.status === 'FAILED';
    const rejected = done ? job.rejections.length : 0;
    return {
      jobId: job.jobId,
      source: job.source,
      status: job.status,
      counts: {
        received: job.events.length,
        accepted: done && job.status === 'SUCCEEDED' ? job.events.length - rejected : 0,
        rejected,
        duplicates: 0,
      },
      errors: done ? job.rejections.slice(0, 100) : [],
      ...(job.status === 'FAILED' && job.failure ? { failure: job.failure } : {}),
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:ingest:${job.jobId}`,
      createdAt: job.createdAt,
      updatedAt: job.createdAt,
      finishedAt: done ? job.createdAt : null,
    };
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: Error) =>
      send(res, 500, { error: { code: 'InternalError', message: error.message } }),
    );
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', state.url);
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string')
      return cognito(target.split('.').pop() ?? '', JSON.parse(await text(req)) as CognitoInput, res);
    if (req.method === 'PUT' && url.pathname.startsWith('/cdn/uploads/')) return receiveUpload(req, res, url);
    if (url.pathname === '/health') return send(res, 200, { status: 'ok' });

    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!tokens.has(bearer)) {
      req.resume();
      return send(res, 401, { message: 'Unauthorized' });
    }
    const path = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const route = `${req.method} /${path[0] ?? ''}${path.length > 1 ? '/:id' : ''}${path.length > 2 ? `/${path[2]}` : ''}`;
    switch (route) {
      case 'POST /events':
        return postEvents(req, res);
      case 'POST /uploads': {
        const { filename } = JSON.parse(await text(req)) as { filename: string };
        const job = newJob('upload', []);
        const expiresAt = new Date(Date.now() + 900_000).toISOString();
        const uploadUrl = `${state.url}/cdn/uploads/${job.jobId}/${encodeURIComponent(filename)}?Expires=1&Signature=sig&Key-Pair-Id=K1`;
        return send(res, 201, { jobId: job.jobId, uploadUrl, method: 'PUT', expiresAt });
      }
      case 'GET /jobs': {
        const limit = Number(url.searchParams.get('limit') ?? 20);
        const all = [...jobs.values()].reverse();
        const offset = Number(url.searchParams.get('cursor') ?? 0);
        const items = all.slice(offset, offset + limit).map(view);
        const nextCursor = offset + limit < all.length ? String(offset + limit) : null;
        return send(res, 200, { items, nextCursor });
      }
      case 'GET /jobs/:id': {
        const job = jobs.get(path[1]!);
        if (!job) return notFound(res);
        const body = view(job);
        if (job.status !== 'PENDING_UPLOAD') job.status = job.script.shift() ?? job.status;
        return send(res, 200, body);
      }
      case 'GET /jobs/:id/errors': {
        const job = jobs.get(path[1]!);
        if (!job) return notFound(res);
        // Pages of two (the real API's are 1,000), so that following the cursors is exercised.
        const offset = Number(url.searchParams.get('cursor') ?? 0);
        const nextCursor = offset + 2 < job.rejections.length ? String(offset + 2) : null;
        return send(res, 200, {
          jobId: job.jobId,
          items: job.rejections.slice(offset, offset + 2),
          nextCursor,
        });
      }
      case 'GET /events': {
        const type = url.searchParams.get('type');
        if (!type)
          return send(res, 400, {
            error: { code: 'InvalidRequest', message: 'type is required', details: [] },
          });
        const items = [...jobs.values()].flatMap((job) => job.events.filter((event) => event.type === type));
        return send(res, 200, { items, nextCursor: null });
      }
      case 'GET /events/:id': {
        const source = url.searchParams.get('source');
        const event = [...jobs.values()]
          .flatMap((job) => job.events)
          .find((candidate) => candidate.id === path[1] && candidate.source === source);
        return event ? send(res, 200, event) : notFound(res);
      }
      case 'PUT /schemas/:id': {
        let schema: unknown;
        try {
          schema = JSON.parse(await text(req));
        } catch {
          return send(res, 400, { error: { code: 'InvalidJson', message: 'not JSON', details: [] } });
        }
        if (typeof schema !== 'object' || schema === null || 'type' in schema === false) {
          return send(res, 400, {
            error: { code: 'InvalidSchema', message: 'schema does not compile', details: ['type: required'] },
          });
        }
        schemas.set(path[1]!, { schema, updatedAt: new Date().toISOString() });
        return send(res, 200, { type: path[1], updatedAt: schemas.get(path[1]!)!.updatedAt });
      }
      case 'GET /schemas/:id': {
        const stored = schemas.get(path[1]!);
        return stored ? send(res, 200, { type: path[1], schema: stored.schema }) : notFound(res);
      }
      case 'GET /schemas':
        return send(res, 200, {
          items: [...schemas].map(([type, { updatedAt }]) => ({ type, updatedAt })),
          nextCursor: null,
        });
      default:
        return notFound(res);
    }
  }

  async function postEvents(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const contentType = req.headers['content-type'] ?? '';
    const body = await text(req);
    const bytes = Buffer.byteLength(body);
    if (bytes > maxRequestBytes) return apiError(res, 413, 'PayloadTooLarge');
    const parsed = JSON.parse(body) as unknown;
    const events = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
    if (events.length > maxEvents) return apiError(res, 413, 'TooManyEvents');
    state.eventsRequests.push({ contentType, bytes, count: events.length });
    const job = newJob('api', events);
    res.setHeader('location', `/jobs/${job.jobId}`);
    return send(res, 202, { jobId: job.jobId, status: 'QUEUED' });
  }

  async function receiveUpload(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    if (!url.searchParams.get('Signature')) return send(res, 403, { message: 'missing signature' });
    const job = jobs.get(url.pathname.split('/')[3]!);
    if (!job) return notFound(res);
    const upload: Upload = {
      jobId: job.jobId,
      contentLength: Number(req.headers['content-length'] ?? -1),
      receivedBytes: 0,
      contentType: req.headers['content-type'] ?? '',
    };
    for await (const chunk of req) upload.receivedBytes += (chunk as Buffer).length;
    state.uploads.push(upload);
    await state.onUploadReceived?.(upload);
    job.status = 'RUNNING';
    res.writeHead(200).end();
  }

  function cognito(operation: string, input: CognitoInput, res: http.ServerResponse): void {
    const fail = (type: string, message: string) => {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type });
      res.end(JSON.stringify({ __type: type, message }));
    };
    const ok = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    };
    const tokensResult = (refresh: boolean) => ({
      AuthenticationResult: {
        IdToken: state.issueToken(),
        AccessToken: `access-${randomUUID()}`,
        ...(refresh ? { RefreshToken: `refresh-${randomUUID()}` } : {}),
        ExpiresIn: 3600,
        TokenType: 'Bearer',
      },
    });
    if (operation === 'SignUp') {
      if (state.users.has(input.Username)) return fail('UsernameExistsException', 'User already exists');
      state.users.set(input.Username, { password: input.Password ?? '', confirmed: false });
      return ok({ UserConfirmed: false, UserSub: randomUUID() });
    }
    if (operation === 'AdminConfirmSignUp') {
      const user = state.users.get(input.Username);
      if (!user) return fail('UserNotFoundException', 'User does not exist.');
      user.confirmed = true;
      return ok({});
    }
    if (operation === 'InitiateAuth' && input.AuthFlow === 'USER_PASSWORD_AUTH') {
      const user = state.users.get(input.AuthParameters?.USERNAME ?? '');
      if (!user || user.password !== input.AuthParameters?.PASSWORD) {
        return fail('NotAuthorizedException', 'Incorrect username or password.');
      }
      if (!user.confirmed) return fail('UserNotConfirmedException', 'User is not confirmed.');
      return ok(tokensResult(true));
    }
    if (operation === 'InitiateAuth' && input.AuthFlow === 'REFRESH_TOKEN_AUTH')
      return ok(tokensResult(false));
    return fail('InvalidParameterException', `unsupported: ${operation}`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

function text(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function apiError(res: http.ServerResponse, status: number, code: string): void {
  send(res, status, { error: { code, message: code, details: [] } });
}

function notFound(res: http.ServerResponse): void {
  send(res, 404, { error: { code: 'NotFound', message: 'not found', details: [] } });
}
