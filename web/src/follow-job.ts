/** Polls a job until it is SUCCEEDED or FAILED, reporting it whenever it changed (views redraw only then). */
import { ApiError, type Job } from './api';
import { isFinished } from './format';

export interface FollowOptions {
  getJob(jobId: string): Promise<Job>;
  onUpdate(job: Job): void;
  onError(error: unknown): void;
  intervalMs?: number;
  /** Consecutive failed polls tolerated before giving up (a blip should not end the watch). */
  maxFailures?: number;
}

/**
 * A 4xx (not found, unauthorized…) will not change by asking again; network errors, 5xx and 429 (over the
 * rate, still refused after the API client's own retries) might.
 */
const isFinal = (error: unknown) =>
  error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429;

/** Starts following at once; the returned function stops it (e.g. when the view is left). */
export function followJob(jobId: string, options: FollowOptions): () => void {
  const { intervalMs = 1000, maxFailures = 3 } = options;
  let stopped = false;
  let failures = 0;
  let last = '';
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function poll(): Promise<void> {
    try {
      const job = await options.getJob(jobId);
      if (stopped) return;
      failures = 0;
      const seen = JSON.stringify(job);
      if (seen !== last) options.onUpdate(job);
      last = seen;
      if (isFinished(job.status)) return;
    } catch (error) {
      if (stopped) return;
      failures += 1;
      if (failures >= maxFailures || isFinal(error)) return options.onError(error);
    }
    timer = setTimeout(() => void poll(), intervalMs);
  }

  void poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
