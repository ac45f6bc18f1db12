/**
 * What every hostile-corpus runner shares: one local cloud with small limits (so bombs and many-chunk files
 * stay fast), a signed-in user, and the few helpers the cases need to look at outcomes through public
 * interfaces only (the HTTP API, the CDN, the Step Functions API).
 */
import { request as httpRequest } from 'node:http';
import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import {
  Api,
  localCredentials,
  signUpAndIn,
  startTestCloud,
  type TestCloud,
  type TestUser,
} from '../e2e/harness';

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** The limits the corpus is written against (README "Configuration"); the cases quote these numbers. */
export const limits = {
  maxRequestBytes: 1 * MiB,
  maxEventsPerRequest: 10_000,
  maxEventBytes: 256 * KiB,
  maxUploadBytes: 1 * MiB,
  maxUncompressedBytes: 2 * MiB,
  maxChunksPerJob: 4,
  minChunkBytes: 1 * KiB,
};

export const hostileSettings: Record<string, string> = Object.fromEntries(
  Object.entries(limits).map(([name, value]) => [name, String(value)]),
);

export interface HostileCloud {
  env: TestCloud;
  user: TestUser;
  other: TestUser;
  /** The user's API client; `otherApi` is a second tenant's. */
  api: Api;
  otherApi: Api;
  anonymous: Api;
}

export async function startHostileCloud(): Promise<HostileCloud> {
  const env = await startTestCloud({ settings: hostileSettings });
  try {
    const [user, other] = await Promise.all([
      signUpAndIn(env.endpoints, 'hostile'),
      signUpAndIn(env.endpoints, 'other'),
    ]);
    return {
      env,
      user,
      other,
      api: new Api(env.endpoints.apiUrl, user.idToken),
      otherApi: new Api(env.endpoints.apiUrl, other.idToken),
      anonymous: new Api(env.endpoints.apiUrl),
    };
  } catch (error) {
    await env.dispose();
    throw error;
  }
}

export interface Counts {
  received: number;
  accepted: number;
  rejected: number;
  duplicates: number;
}

export interface ReportedRejection {
  index: number;
  id: string | null;
  idTruncated?: boolean;
  reason: string;
}

/** Every rejection of a finished job, following the report's cursors page by page. */
export async function allRejections(api: Api, jobId: string): Promise<ReportedRejection[]> {
  const items: ReportedRejection[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1_000; page++) {
    const query: string = cursor === null ? '' : `?cursor=${encodeURIComponent(cursor)}`;
    const response = await api.get(`/jobs/${jobId}/errors${query}`);
    if (response.status !== 200) {
      throw new Error(
        `GET /jobs/${jobId}/errors answered ${response.status}: ${JSON.stringify(response.body)}`,
      );
    }
    items.push(...(response.body.items as ReportedRejection[]));
    cursor = response.body.nextCursor as string | null;
    if (cursor === null) return items;
  }
  throw new Error(`the report of job ${jobId} never ended`);
}

/** `[[[…]]]` nested `depth` levels (a scalar is 0), as JSON text: no recursion anywhere. */
export const deepArrayText = (depth: number, inner = ''): string =>
  '['.repeat(depth) + inner + ']'.repeat(depth);

/** `{"a":{"a":…}}` nested `depth` levels, as JSON text. */
export const deepObjectText = (depth: number, leaf = '0'): string =>
  depth === 0 ? leaf : '{"a":'.repeat(depth - 1) + `{"a":${leaf}}` + '}'.repeat(depth - 1);

/** A value nested `depth` levels (built iteratively; fine for JSON.stringify up to a few thousand). */
export function deepValue(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** How many chunk iterations (IngestChunk states) an execution ran: the job's chunk count. */
export async function chunkCount(env: TestCloud, executionArn: string): Promise<number> {
  const sfn = new SFNClient({
    endpoint: env.endpoints.sfnEndpoint,
    region: env.endpoints.region,
    credentials: localCredentials,
  });
  try {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events.filter(
      (e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'IngestChunk',
    ).length;
  } finally {
    sfn.destroy();
  }
}

export interface RawResponse {
  status: number;
  body: Buffer;
}

/**
 * One HTTP request with the target sent byte for byte (fetch would normalize `..` and re-encode escapes,
 * which is exactly what the CDN cases must not have done for them).
 */
export function rawRequest(
  baseUrl: string,
  target: string,
  { method = 'GET', body }: { method?: string; body?: Buffer } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname,
        port,
        method,
        path: target,
        headers: body === undefined ? {} : { 'content-length': String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `GET /events/{id}?source=` for an event, with both parts encoded. */
export const eventPath = (id: string, source: string): string =>
  `/events/${encodeURIComponent(id)}?source=${encodeURIComponent(source)}`;
