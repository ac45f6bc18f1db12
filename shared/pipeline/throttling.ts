/**
 * Absorbing a throttled call (the starter's StartExecution): exponential backoff with full jitter inside the
 * invocation, for as long as its time budget allows; past that the caller re-queues the work with a delay, so
 * throttling alone never fails a job. Pure apart from the injected clock, sleep and randomness.
 */
import type { ErrorLike } from './errors';

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalServerError',
  'InternalFailure',
]);

/** Throttling or a 5xx of the service: worth waiting for, never the job's fault. */
export function isThrottling(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as ErrorLike;
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (typeof e.name === 'string' && THROTTLING_NAMES.has(e.name)) || status === 429 || status >= 500;
}

export interface BackoffOptions {
  /** The first retry waits up to this long. */
  baseMs: number;
  /** No wait is longer than this. */
  capMs: number;
  /** Attempts in all, the first call included. */
  maxAttempts: number;
}

export const BACKOFF: BackoffOptions = { baseMs: 100, capMs: 5_000, maxAttempts: 10 };

/** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, min(cap, base × 2^n)). */
export function fullJitterMs(retry: number, options: BackoffOptions, random: () => number): number {
  return Math.floor(random() * Math.min(options.capMs, options.baseMs * 2 ** retry));
}

export type Retried<T> =
  { ok: true; value: T; attempts: number } | { ok: false; error: unknown; attempts: number };

export interface RetryDeps {
  /** Epoch ms past which no further wait starts (the caller keeps time after it to re-queue). */
  deadlineMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  backoff?: BackoffOptions;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `call` until it succeeds or fails otherwise than by throttling (that error is thrown). When it is still
 * throttled after `maxAttempts` or the next wait would pass the deadline, resolves `{ok: false}` with the last
 * throttling error.
 */
export async function retryThrottled<T>(call: () => Promise<T>, deps: RetryDeps): Promise<Retried<T>> {
  const { now = Date.now, sleep = realSleep, random = Math.random, backoff = BACKOFF } = deps;
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, value: await call(), attempts: attempt };
    } catch (error) {
      if (!isThrottling(error)) throw error;
      const wait = fullJitterMs(attempt - 1, backoff, random);
      if (attempt >= backoff.maxAttempts || now() + wait >= deps.deadlineMs) {
        return { ok: false, error, attempts: attempt };
      }
      await sleep(wait);
    }
  }
}

/** The delay of a message re-queued after throttling: 30–90 s, spread so re-queued work does not return at once. */
export const requeueDelaySeconds = (random: () => number = Math.random): number =>
  30 + Math.floor(random() * 61);
