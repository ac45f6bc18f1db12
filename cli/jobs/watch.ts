import { isFinal, type Job } from './job';

export interface WatchOptions {
  intervalMs: number;
  /** Called with the first view and whenever the status or counts change. */
  onChange: (job: Job) => void;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls a job until it is SUCCEEDED or FAILED and returns that last view. */
export async function watchJob(fetchJob: () => Promise<Job>, options: WatchOptions): Promise<Job> {
  const sleep = options.sleep ?? defaultSleep;
  let last = '';
  for (;;) {
    const job = await fetchJob();
    const fingerprint = JSON.stringify([job.status, job.counts, job.failure]);
    if (fingerprint !== last) {
      last = fingerprint;
      options.onChange(job);
    }
    if (isFinal(job.status)) return job;
    await sleep(options.intervalMs);
  }
}
