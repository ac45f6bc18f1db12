/**
 * Errors the workflow tasks throw. Lambda reports `error.name` as the error type, and the workflow's Retry and
 * Catch match on it (docs/design.md, "Workflow").
 */

export type TaskErrorName =
  | 'TransientError'
  | 'SubmissionUnreadable'
  | 'UploadTooLarge'
  | 'EmptySubmission'
  | 'JobNotRunnable'
  | 'ResultMismatch';

export class TaskError extends Error {
  constructor(name: TaskErrorName, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = name;
  }
}

/** The error names the task Retry rules of workflows/ingest.asl.json list (test/workflow keeps them equal). */
export const RETRIED_ERROR_NAMES: readonly string[] = [
  'TransientError',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'SlowDown',
  'InternalError',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
];

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
]);

/** What the SDK's and Node's errors may carry, as far as classifying them goes. */
export interface ErrorLike {
  name?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * An error worth retrying (after the SDK's own retries): throttling, a 5xx, a network failure. Node socket errors
 * are named plain `Error` (the code says what happened), so the workflow could not match them by name.
 */
function isTransient(error: ErrorLike): boolean {
  const status = error.$metadata?.httpStatusCode ?? 0;
  return (
    status >= 500 ||
    status === 429 ||
    Boolean(error.$retryable) ||
    (typeof error.code === 'string' && NETWORK_CODES.has(error.code))
  );
}

/** A transient error the workflow would not retry by its name becomes a TransientError; others pass through. */
export function retryable(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const e = error as ErrorLike;
  if (typeof e.name === 'string' && RETRIED_ERROR_NAMES.includes(e.name)) return error;
  if (!isTransient(e)) return error;
  return new TaskError('TransientError', (error as Error).message, { cause: error });
}

/** Errors of the account or deployment rather than of one event: failing every event's store the same way. */
const DEPLOYMENT_ERROR_NAMES = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'CredentialsProviderError',
  'ExpiredTokenException',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/**
 * An error that is not the event's fault (throttling, a 5xx, a timeout, the network, a missing table or
 * permission): the chunk fails (and is retried when transient) instead of the event being rejected. Anything
 * else, such as DynamoDB's ValidationException for an item or key too large, belongs to the one event.
 */
export function isInfrastructureError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as ErrorLike;
  const named =
    typeof e.name === 'string' &&
    (RETRIED_ERROR_NAMES.includes(e.name) || DEPLOYMENT_ERROR_NAMES.has(e.name));
  return named || isTransient(e);
}
