/**
 * The single declaration of how Sluice is wired: functions, their environment and access, API routes,
 * the queue trigger and the workflow substitutions. The CDK stack (cdk/) and the local cloud (local/)
 * both read this module; neither keeps a second copy. Plain data only: no aws-cdk-lib imports here.
 */

/** Tunable limits. Override in AWS with `cdk deploy -c sluice:<name>=<value>`, locally with SLUICE_<NAME>. */
export interface Settings {
  /** Largest POST /events body accepted (bytes); at most MAX_REQUEST_CEILING. */
  maxRequestBytes: number;
  /** Most events in one POST /events request. */
  maxEventsPerRequest: number;
  /**
   * Largest POST /events submission (its event candidates as a JSON array, UTF-8 bytes) that travels inline in
   * the queue message, with no S3 object; the starter groups such jobs into shared executions. The default
   * (60 KiB) keeps the whole message inside one 64 KiB SQS billing unit. At most 240 KiB (SQS's 256 KiB
   * message limit, with room for the envelope).
   */
  maxInlineBytes: number;
  /** Largest single CloudEvent, serialized (bytes). */
  maxEventBytes: number;
  /** Largest upload file, as stored (bytes). */
  maxUploadBytes: number;
  /** Most bytes of text an upload may hold once decompressed (gzip bombs stop here). Default 4 × maxUploadBytes. */
  maxUncompressedBytes: number;
  /** Lifetime of a signed upload URL (seconds). */
  uploadUrlTtlSeconds: number;
  /**
   * Time after expiry before a PENDING_UPLOAD job whose file is not in S3 fails with UploadNotReceived
   * (seconds): the allowance for a PUT that started before expiry to finish.
   */
  uploadGraceSeconds: number;
  /** Upper bound on the number of chunks in one job (keeps execution history under 25,000 events). */
  maxChunksPerJob: number;
  /** Smallest chunk, in bytes of source text (small jobs still get a few parallel chunks). */
  minChunkBytes: number;
  /** Rejections per page of a job's rejection report in S3 (each page is one object). */
  reportPageSize: number;
  /** Conditional PutItem calls in flight per chunk. */
  writeConcurrency: number;
  /**
   * Partitions a tenant's job items are spread over (`TENANT#<tenant>#<k>`). Fixed for the table's life: a
   * job is found again by its hash mod this count (README "Shards").
   */
  jobShards: number;
  /**
   * Partitions of the type index per tenant and type (`TYPE#<tenant>#<type>#<k>`). May grow, never shrink:
   * GET /events reads shards 0..n-1, which include every smaller count's (README "Shards").
   */
  typeShards: number;
  /**
   * API requests per second one tenant may make before the API answers 429 (README "Tenant limits"); a
   * tenant's override item in the table replaces it.
   */
  tenantRequestsPerSecond: number;
  /**
   * Large jobs (stored submissions and uploads: one execution each) one tenant may have running at once; the
   * rest wait QUEUED in order. A tenant's override item in the table replaces it.
   */
  tenantRunningJobs: number;
}

export const defaultSettings: Settings = {
  maxRequestBytes: 4 * 1024 * 1024,
  maxEventsPerRequest: 10_000,
  maxInlineBytes: 60 * 1024,
  maxEventBytes: 256 * 1024,
  maxUploadBytes: 512 * 1024 * 1024,
  maxUncompressedBytes: 4 * 512 * 1024 * 1024,
  uploadUrlTtlSeconds: 900,
  uploadGraceSeconds: 900,
  maxChunksPerJob: 1_000,
  minChunkBytes: 256 * 1024,
  reportPageSize: 1_000,
  writeConcurrency: 32,
  jobShards: 8,
  typeShards: 16,
  tenantRequestsPerSecond: 1_000,
  tenantRunningJobs: 4,
};

/** Most shards per key: a GET /jobs or GET /events page makes one Query per shard (and one of the legacy key). */
export const MAX_SHARDS = 64;

/** The environment variable each setting is handed to functions as. */
export const settingEnvNames: Record<keyof Settings, string> = {
  maxRequestBytes: 'MAX_REQUEST_BYTES',
  maxEventsPerRequest: 'MAX_EVENTS_PER_REQUEST',
  maxInlineBytes: 'MAX_INLINE_BYTES',
  maxEventBytes: 'MAX_EVENT_BYTES',
  maxUploadBytes: 'MAX_UPLOAD_BYTES',
  maxUncompressedBytes: 'MAX_UNCOMPRESSED_BYTES',
  uploadUrlTtlSeconds: 'UPLOAD_URL_TTL_SECONDS',
  uploadGraceSeconds: 'UPLOAD_GRACE_SECONDS',
  maxChunksPerJob: 'MAX_CHUNKS_PER_JOB',
  minChunkBytes: 'MIN_CHUNK_BYTES',
  reportPageSize: 'REPORT_PAGE_SIZE',
  writeConcurrency: 'WRITE_CONCURRENCY',
  jobShards: 'JOB_SHARDS',
  typeShards: 'TYPE_SHARDS',
  tenantRequestsPerSecond: 'TENANT_REQUESTS_PER_SECOND',
  tenantRunningJobs: 'TENANT_RUNNING_JOBS',
};

/** SQS messages hold at most 256 KiB; an inline submission's envelope (kind, jobId, tenant) needs the rest. */
const MAX_INLINE_CEILING = 240 * 1024;

/**
 * The largest POST /events body whose Lambda event fits Lambda's synchronous payload quota (6,291,456 bytes) when
 * API Gateway carries it in base64 (a binary body: 4/3), with 32 KiB left for the headers and request context.
 * A text body travels as a JSON string instead, each quote and backslash escaped: ordinary JSON grows 10-30%, so
 * the 4 MiB default fits; a body built of escapes alone doubles and fails in Lambda before the handler (README).
 */
export const MAX_REQUEST_CEILING = Math.floor(((6_291_456 - 32 * 1024) * 3) / 4);

/**
 * Applies `overrides` (strings from CDK context or the environment) to the defaults, rejecting junk.
 * `maxUncompressedBytes` follows an overridden `maxUploadBytes` (4 ×) unless it is set itself.
 */
export function resolveSettings(overrides: Partial<Record<keyof Settings, string | number>> = {}): Settings {
  const settings = { ...defaultSettings };
  const given = new Set<keyof Settings>();
  for (const name of Object.keys(defaultSettings) as (keyof Settings)[]) {
    const raw = overrides[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) {
      throw new Error(`setting ${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    }
    settings[name] = value;
    given.add(name);
  }
  if (!given.has('maxUncompressedBytes')) settings.maxUncompressedBytes = 4 * settings.maxUploadBytes;
  for (const name of ['jobShards', 'typeShards'] as const) {
    if (settings[name] > MAX_SHARDS) throw new Error(`setting ${name} must be at most ${MAX_SHARDS}`);
  }
  if (settings.maxRequestBytes > MAX_REQUEST_CEILING) {
    throw new Error(
      `setting maxRequestBytes must be at most ${MAX_REQUEST_CEILING} (a larger body, base64 in the Lambda event, passes Lambda's 6 MB payload quota; send more as an upload)`,
    );
  }
  if (settings.maxInlineBytes > MAX_INLINE_CEILING) {
    throw new Error(
      `setting maxInlineBytes must be at most ${MAX_INLINE_CEILING} (SQS's 256 KiB message limit)`,
    );
  }
  return settings;
}

/** What an environment variable is bound to; each deployment target resolves these to concrete values. */
export type Binding =
  | { ref: 'tableName' }
  | { ref: 'bucketName' }
  | { ref: 'queueUrl' }
  | { ref: 'stateMachineArn' }
  | { ref: 'cdnUrl' }
  | { ref: 'signingKeySecretArn' }
  | { ref: 'signingKeyPairId' }
  | { ref: 'maxReceiveCount' }
  | { setting: keyof Settings };

export type RefName = Exclude<Binding, { setting: keyof Settings }>['ref'];
export const ref = (name: RefName): Binding => ({ ref: name });
const setting = (name: keyof Settings): [string, Binding] => [settingEnvNames[name], { setting: name }];

/** Top-level key prefixes of the one bucket (docs/design.md "S3 layout"). */
export const bucketPrefixes = ['submissions/', 'uploads/', 'work/', 'reports/', 'web/'] as const;
export type Prefix = (typeof bucketPrefixes)[number];

/**
 * What a function may do under which prefixes: `read` is s3:GetObject (GetObject and HeadObject), `write`
 * s3:PutObject, `delete` s3:DeleteObject, `list` s3:ListBucket limited to the prefix by `s3:prefix`.
 */
export interface BucketAccess {
  read?: Prefix[];
  write?: Prefix[];
  delete?: Prefix[];
  list?: Prefix[];
}

/** The DynamoDB API calls a function makes (the stores in shared/aws/stores/ name each one). */
export type TableAction =
  'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query' | 'BatchGetItem' | 'BatchWriteItem';

export interface TableAccess {
  /** Actions on the table itself. */
  actions: TableAction[];
  /** Indexes the function queries (dynamodb:Query on that index's ARN only). */
  queryIndexes?: (typeof table.indexes)[number]['name'][];
  /**
   * Actions allowed only on items whose partition key matches one of `leadingKeys` (IAM condition
   * `ForAllValues:StringLike` on `dynamodb:LeadingKeys`), e.g. the rate counters `RATE#*` for a read-only function.
   */
  onKeys?: { actions: TableAction[]; leadingKeys: string[] }[];
}

/**
 * What the tenant rate limit (shared/api/rate-limit.ts) adds to a function behind an authenticated route: the
 * counter UpdateItem on `RATE#*` keys and the limits GetItem on `TENANT#*` keys (pk `TENANT#<t>`, sk `LIMITS`),
 * each only where the function does not already have the action on the whole table.
 */
function rateLimited(access: TableAccess): TableAccess {
  const onKeys = [
    { actions: ['UpdateItem'] as TableAction[], leadingKeys: ['RATE#*'] },
    { actions: ['GetItem'] as TableAction[], leadingKeys: ['TENANT#*'] },
  ].filter((entry) => !entry.actions.every((a) => access.actions.includes(a)));
  return onKeys.length ? { ...access, onKeys: [...(access.onKeys ?? []), ...onKeys] } : access;
}

/** Least-privilege access each function needs; the stack turns these into IAM statements. */
export interface Access {
  table?: TableAccess;
  bucket?: BucketAccess;
  queue?: 'send';
  stateMachine?: 'start';
  signingKey?: 'read';
}

/** The IAM actions a bucket access entry allows, by the kind of access. */
export const s3Actions = {
  read: 's3:GetObject',
  write: 's3:PutObject',
  delete: 's3:DeleteObject',
  list: 's3:ListBucket',
} as const satisfies Record<keyof BucketAccess, string>;

export interface FunctionSpec {
  /** Handler module, relative to the repo root; it exports `handler`. */
  entry: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  env: Record<string, Binding>;
  access: Access;
  /**
   * X-Ray: 'Active' (the default) samples invocations at Lambda's fixed rule (1 request/s + 5%); 'PassThrough'
   * traces only requests that arrive with a sampled trace header.
   */
  tracing?: 'Active' | 'PassThrough';
}

/**
 * How the deployed functions and state machine log and trace; the stack applies it and the local cost meter
 * counts the log bytes and traces it implies.
 */
export const observability = {
  /** Lambda advanced logging controls: JSON lines, application lines filtered by POWERTOOLS_LOG_LEVEL. */
  lambdaLogFormat: 'JSON',
  /** Lambda's own START/END/REPORT lines are INFO: WARN drops them (about 270 bytes per invocation). */
  lambdaSystemLogLevel: 'WARN',
  stateMachineLogLevel: 'ERROR',
  stateMachineIncludeExecutionData: true,
  stateMachineTracing: true,
} as const;

/** Every function that builds a job key or an event's type-index key gets the shard count it hashes with. */
const jobKeys = Object.fromEntries([setting('jobShards')]);
/** Every function behind an authenticated route counts its tenant's requests (with TABLE_NAME). */
const rateLimitEnv = Object.fromEntries([setting('tenantRequestsPerSecond')]);
const typeKeys = Object.fromEntries([setting('typeShards')]);

const functionSpecs = {
  health: {
    entry: 'functions/health/handler.ts',
    description: 'GET /health',
    timeoutSeconds: 5,
    memoryMb: 256,
    env: {},
    access: {},
  },
  'describe-api': {
    entry: 'functions/describe-api/handler.ts',
    description: 'GET /openapi.json: the OpenAPI 3.1 document of this API',
    timeoutSeconds: 5,
    memoryMb: 256,
    env: {},
    access: {},
  },
  'submit-events': {
    entry: 'functions/submit-events/handler.ts',
    // The hot path: HTTP APIs do not start traces, so Active would sample 5% of every POST (≈ $0.25 per million
    // single-event submissions at X-Ray's $5 per million traces). Errors still log and count.
    tracing: 'PassThrough',
    description:
      'POST /events: accept CloudEvents (any content mode), queue the job (inline, or stored in S3 when large)',
    timeoutSeconds: 29,
    memoryMb: 512,
    env: {
      TABLE_NAME: ref('tableName'),
      BUCKET_NAME: ref('bucketName'),
      QUEUE_URL: ref('queueUrl'),
      ...Object.fromEntries([
        setting('maxRequestBytes'),
        setting('maxEventsPerRequest'),
        setting('maxInlineBytes'),
      ]),
      ...jobKeys,
      ...rateLimitEnv,
    },
    // jobs.create (PutItem), a failed enqueue marks the job FAILED (UpdateItem); large submissions to submissions/.
    access: {
      table: rateLimited({ actions: ['PutItem', 'UpdateItem'] }),
      bucket: { write: ['submissions/'] },
      queue: 'send',
    },
  },
  'create-upload': {
    entry: 'functions/create-upload/handler.ts',
    description: 'POST /uploads: create a PENDING_UPLOAD job and a CloudFront signed PUT URL',
    timeoutSeconds: 10,
    memoryMb: 256,
    env: {
      TABLE_NAME: ref('tableName'),
      QUEUE_URL: ref('queueUrl'),
      CDN_URL: ref('cdnUrl'),
      SIGNING_KEY_SECRET_ARN: ref('signingKeySecretArn'),
      SIGNING_KEY_PAIR_ID: ref('signingKeyPairId'),
      ...Object.fromEntries([setting('uploadUrlTtlSeconds'), setting('uploadGraceSeconds')]),
      ...jobKeys,
      ...rateLimitEnv,
    },
    // No bucket access: the client PUTs the file through CloudFront with the signed URL.
    access: {
      table: rateLimited({ actions: ['PutItem', 'UpdateItem'] }),
      queue: 'send',
      signingKey: 'read',
    },
  },
  'read-jobs': {
    entry: 'functions/read-jobs/handler.ts',
    description: "GET /jobs, /jobs/{jobId}, /jobs/{jobId}/errors: the caller's jobs and their results",
    timeoutSeconds: 10,
    memoryMb: 512,
    env: { TABLE_NAME: ref('tableName'), BUCKET_NAME: ref('bucketName'), ...jobKeys, ...rateLimitEnv },
    // jobs.get and jobs.list; the rejection report's pages from reports/.
    access: { table: rateLimited({ actions: ['GetItem', 'Query'] }), bucket: { read: ['reports/'] } },
  },
  'query-events': {
    entry: 'functions/query-events/handler.ts',
    description: "GET /events, /events/{id}: the caller's stored CloudEvents",
    timeoutSeconds: 10,
    memoryMb: 256,
    env: { TABLE_NAME: ref('tableName'), ...typeKeys, ...rateLimitEnv },
    // events.get on the table; events.queryByType on the type index only.
    access: { table: rateLimited({ actions: ['GetItem'], queryIndexes: ['gsi1'] }) },
  },
  'manage-schemas': {
    entry: 'functions/manage-schemas/handler.ts',
    description: "PUT/GET /schemas/{type}, GET /schemas: the caller's JSON Schemas for event data",
    timeoutSeconds: 10,
    memoryMb: 512,
    env: { TABLE_NAME: ref('tableName'), ...rateLimitEnv },
    // schemas.put (UpdateItem), schemas.get, schemas.list (Query on the table).
    access: { table: rateLimited({ actions: ['UpdateItem', 'GetItem', 'Query'] }) },
  },
  'start-execution': {
    entry: 'functions/start-execution/handler.ts',
    description:
      'SQS consumer: inline submissions grouped into shared executions, one execution per large job; upload deadlines',
    // Room to back off a throttled StartExecution inside the invocation (ingestQueue.visibilityTimeoutSeconds = 6 ×).
    timeoutSeconds: 60,
    memoryMb: 512,
    env: {
      TABLE_NAME: ref('tableName'),
      STATE_MACHINE_ARN: ref('stateMachineArn'),
      MAX_RECEIVE_COUNT: ref('maxReceiveCount'),
      // Upload deadlines further out than SQS's 15-minute delay are re-sent with the remaining delay, and
      // messages still throttled at the end of the time budget are re-sent with a delay.
      QUEUE_URL: ref('queueUrl'),
      // Group objects go to work/groups/; a due upload deadline looks for the file (HeadObject).
      BUCKET_NAME: ref('bucketName'),
      // The running-jobs cap per tenant (a tenant's override item replaces it).
      ...Object.fromEntries([setting('uploadGraceSeconds'), setting('tenantRunningJobs')]),
      ...jobKeys,
    },
    // jobs.get and jobs.transition; tenant limits (GetItem); running slots (UpdateItem ADD/DELETE on
    // TENANT#t/RUNNING); the waiting list (PutItem, Query, DeleteItem of TENANT#t/WAIT#<jobId>), only on TENANT#*
    // keys (never an event, type-index or rate item); HeadObject of an upload at its deadline; group objects.
    access: {
      table: {
        actions: ['GetItem', 'UpdateItem'],
        onKeys: [{ actions: ['PutItem', 'Query', 'DeleteItem'], leadingKeys: ['TENANT#*'] }],
      },
      stateMachine: 'start',
      queue: 'send',
      bucket: { read: ['uploads/'], write: ['work/'] },
    },
  },
  'prepare-job': {
    entry: 'functions/prepare-job/handler.ts',
    description: 'Workflow: mark the job RUNNING, read the submission and split it into chunks in S3',
    timeoutSeconds: 900,
    memoryMb: 1024,
    env: {
      TABLE_NAME: ref('tableName'),
      BUCKET_NAME: ref('bucketName'),
      ...Object.fromEntries([
        setting('maxUploadBytes'),
        setting('maxUncompressedBytes'),
        setting('maxEventBytes'),
        setting('maxChunksPerJob'),
        setting('minChunkBytes'),
      ]),
      ...jobKeys,
    },
    // jobs.transition and jobs.get; reads the submission (submissions/ or uploads/), writes chunks to work/.
    access: {
      table: { actions: ['UpdateItem', 'GetItem'] },
      bucket: { read: ['submissions/', 'uploads/'], write: ['work/'] },
    },
  },
  'ingest-chunk': {
    entry: 'functions/ingest-chunk/handler.ts',
    description: 'Workflow: validate one chunk of events and store the new ones (first write wins)',
    timeoutSeconds: 300,
    memoryMb: 1024,
    env: {
      TABLE_NAME: ref('tableName'),
      BUCKET_NAME: ref('bucketName'),
      ...Object.fromEntries([setting('maxEventBytes'), setting('writeConcurrency')]),
      ...typeKeys,
    },
    // events.putIfAbsent (PutItem), schemas.get; the chunk from work/, its result to work/.
    access: { table: { actions: ['PutItem', 'GetItem'] }, bucket: { read: ['work/'], write: ['work/'] } },
  },
  'finalize-job': {
    entry: 'functions/finalize-job/handler.ts',
    description: "Workflow: add up the chunks' results, write the rejection report and finish the job",
    timeoutSeconds: 300,
    memoryMb: 1024,
    env: {
      TABLE_NAME: ref('tableName'),
      BUCKET_NAME: ref('bucketName'),
      ...Object.fromEntries([setting('reportPageSize')]),
      ...jobKeys,
    },
    // jobs.transition and jobs.get; chunk results from work/, report pages to reports/.
    access: {
      table: { actions: ['UpdateItem', 'GetItem'] },
      bucket: { read: ['work/'], write: ['reports/'] },
    },
  },
  'ingest-group': {
    entry: 'functions/ingest-group/handler.ts',
    description:
      'Workflow: ingest the small submissions of one group execution and finish each job (QUEUED → SUCCEEDED | FAILED)',
    timeoutSeconds: 300,
    // Measured: the largest group (a 6 MB SQS batch → a ~5.9 MB group object, 1,000 × 1 event or 100 × 60 events)
    // parsed and ingested with stub stores peaks at ~145 MB RSS under Node 20 (~100 MB of it the runtime and
    // modules); 512 MB leaves 3× headroom, and the work is mostly waiting on DynamoDB, not CPU.
    memoryMb: 512,
    env: {
      TABLE_NAME: ref('tableName'),
      BUCKET_NAME: ref('bucketName'),
      ...Object.fromEntries([
        setting('maxEventBytes'),
        setting('writeConcurrency'),
        setting('reportPageSize'),
      ]),
      ...jobKeys,
      ...typeKeys,
    },
    // events.putIfAbsent (PutItem), schemas.get, jobs.transition; the group from work/, reports to reports/.
    access: {
      table: { actions: ['PutItem', 'GetItem', 'UpdateItem'] },
      bucket: { read: ['work/'], write: ['reports/'] },
    },
  },
  'mark-job-failed': {
    entry: 'functions/mark-job-failed/handler.ts',
    description: 'Workflow: record why the job (or every still-queued job of a group) failed',
    timeoutSeconds: 30,
    memoryMb: 256,
    env: { TABLE_NAME: ref('tableName'), ...jobKeys },
    // jobs.transition and jobs.get.
    access: { table: { actions: ['UpdateItem', 'GetItem'] } },
  },
  'record-execution-end': {
    entry: 'functions/record-execution-end/handler.ts',
    description:
      "EventBridge: an execution that FAILED, TIMED_OUT or was ABORTED fails its job (or its group's queued jobs) if still open; a one-job execution's end releases its tenant slot",
    timeoutSeconds: 30,
    memoryMb: 256,
    // The bucket: a group execution's jobs from its group object when the event carries no input. The queue:
    // an `admit` message for the tenant once a one-job execution's slot is released.
    env: {
      TABLE_NAME: ref('tableName'),
      BUCKET_NAME: ref('bucketName'),
      QUEUE_URL: ref('queueUrl'),
      ...jobKeys,
    },
    // jobs.transition and the slot release (UpdateItem DELETE on TENANT#t/RUNNING); the group object from
    // work/groups/; the admit message.
    access: { table: { actions: ['UpdateItem'] }, bucket: { read: ['work/'] }, queue: 'send' },
  },
} satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof functionSpecs;
export const functions: Record<FunctionName, FunctionSpec> = functionSpecs;
export const functionNames = Object.keys(functionSpecs) as FunctionName[];

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway HTTP API route path, with `{param}` segments. */
  path: string;
  function: FunctionName;
  /** false only for /health and /openapi.json: every other route sits behind the Cognito JWT authorizer. */
  auth: boolean;
}

export const routes: RouteSpec[] = [
  { method: 'GET', path: '/health', function: 'health', auth: false },
  { method: 'GET', path: '/openapi.json', function: 'describe-api', auth: false },
  { method: 'POST', path: '/events', function: 'submit-events', auth: true },
  { method: 'GET', path: '/events', function: 'query-events', auth: true },
  { method: 'GET', path: '/events/{id}', function: 'query-events', auth: true },
  { method: 'POST', path: '/uploads', function: 'create-upload', auth: true },
  { method: 'GET', path: '/jobs', function: 'read-jobs', auth: true },
  { method: 'GET', path: '/jobs/{jobId}', function: 'read-jobs', auth: true },
  { method: 'GET', path: '/jobs/{jobId}/errors', function: 'read-jobs', auth: true },
  { method: 'GET', path: '/schemas', function: 'manage-schemas', auth: true },
  { method: 'GET', path: '/schemas/{type}', function: 'manage-schemas', auth: true },
  { method: 'PUT', path: '/schemas/{type}', function: 'manage-schemas', auth: true },
];

/** The ingest queue and the starter's event source mapping. */
export const ingestQueue = {
  consumer: 'start-execution' as FunctionName,
  /** Six times the consumer's timeout, as AWS recommends for Lambda event sources. */
  visibilityTimeoutSeconds: 360,
  maxReceiveCount: 5,
  /**
   * Up to 1,000 messages (and Lambda's 6 MB) per invocation, gathered for at most 1 s: 1,000 single-event
   * submissions make one group, so one execution; the window adds at most 1 s of latency. (Lambda requires a
   * window when the batch size is over 10.)
   */
  batchSize: 1_000,
  maxBatchingWindowSeconds: 1,
  retentionDays: 4,
  deadLetterRetentionDays: 14,
  /** S3 key prefix whose ObjectCreated notifications go to the queue. */
  uploadPrefix: 'uploads/',
};

/**
 * Step Functions "Execution Status Change" events (EventBridge) for these statuses go to the consumer, so
 * a job whose execution ended without reaching MarkJobFailed (aborted, timed out, MarkJobFailed itself
 * failing) still ends FAILED with a reason (`failedStatuses`), and every one-job execution's end, whatever it
 * is, releases its tenant's running slot (docs/design.md "Running-jobs cap").
 */
export const executionEnded = {
  consumer: 'record-execution-end' as FunctionName,
  statuses: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const,
  /** The ends that fail a job still open. */
  failedStatuses: ['FAILED', 'TIMED_OUT', 'ABORTED'] as const,
  /**
   * SUCCEEDED matters only for one-job executions (their slot): the rule leaves out group executions' (named
   * `g-…`, about 5 per 1,000 single-event submissions), so the hot path gains no invocation.
   */
  groupNamePrefix: 'g-',
  /** Lambda's asynchronous retries before an event goes to the on-failure queue (alarmed). */
  retryAttempts: 2,
  maxEventAgeHours: 6,
  failureRetentionDays: 14,
};

/**
 * The EventBridge rule's `detail` pattern: this machine's failed ends, and its one-job executions' successes.
 * `executionEndedMatches` is the same rule for the local cloud, which has no EventBridge.
 */
export const executionEndedDetailPattern = (stateMachineArn: string) => ({
  stateMachineArn: [stateMachineArn],
  $or: [
    { status: [...executionEnded.failedStatuses] },
    { status: ['SUCCEEDED'], name: [{ 'anything-but': { prefix: executionEnded.groupNamePrefix } }] },
  ],
});

export function executionEndedMatches(detail: { status: string; name: string }): boolean {
  if ((executionEnded.failedStatuses as readonly string[]).includes(detail.status)) return true;
  return detail.status === 'SUCCEEDED' && !detail.name.startsWith(executionEnded.groupNamePrefix);
}

/** The workflow document and what each `${Placeholder}` in it is replaced with. */
export const workflow = {
  name: 'ingest',
  definitionFile: 'workflows/ingest.asl.json',
  functionPlaceholders: {
    PrepareJobFunctionArn: 'prepare-job',
    IngestChunkFunctionArn: 'ingest-chunk',
    FinalizeJobFunctionArn: 'finalize-job',
    IngestGroupFunctionArn: 'ingest-group',
    MarkJobFailedFunctionArn: 'mark-job-failed',
  } satisfies Record<string, FunctionName>,
};

/** Variables every function gets, whatever its bindings. */
export const commonEnvironment = (name: FunctionName): Record<string, string> => ({
  POWERTOOLS_SERVICE_NAME: name,
  POWERTOOLS_METRICS_NAMESPACE: 'Sluice',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  NODE_OPTIONS: '--enable-source-maps',
});

/**
 * The complete environment of one function: `refs` gives each referenced resource's value (CDK tokens in the
 * stack, local endpoints' values in the local cloud). Both deployment targets call this.
 */
export function functionEnvironment(
  name: FunctionName,
  refs: Record<RefName, string>,
  settings: Settings,
): Record<string, string> {
  const env = commonEnvironment(name);
  for (const [variable, binding] of Object.entries(functions[name].env)) {
    env[variable] = 'setting' in binding ? String(settings[binding.setting]) : refs[binding.ref];
  }
  return env;
}

/** The one DynamoDB table (jobs, events, schemas): keys and index, created alike by the stack and locally. */
export const table = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
  /** Epoch seconds after which DynamoDB may delete an item: only the rate counters (`RATE#…`) carry it. */
  timeToLiveAttribute: 'ttl',
} as const;

/**
 * Response headers browsers may read from the API (CORS `Access-Control-Expose-Headers`), for the stack's HTTP
 * API and the local gateway alike: the job link and the rate-limit fields the web app honours.
 */
export const corsExposeHeaders = ['location', 'retry-after', 'ratelimit-policy', 'ratelimit'];

/** Local stand-ins for account-specific names, used by the local cloud. */
export const localAccount = { region: 'us-east-1', accountId: '000000000000' } as const;
