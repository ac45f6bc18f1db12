import type { Context } from '../context';
import type { ApiClient } from '../http/api';
import {
  exitCodeForJob,
  formatJobDetail,
  formatJobLine,
  formatJobTable,
  formatRejections,
  type Job,
} from '../jobs/job';
import { watchJob } from '../jobs/watch';

export interface WatchFlags {
  intervalMs: number;
}

/**
 * Follows a job to its end and returns its last view. Human output: one line per change (redrawn in place on
 * a terminal); with --json nothing is printed here, the caller prints the result.
 */
export async function followJob(
  ctx: Context,
  api: ApiClient,
  jobId: string,
  flags: WatchFlags,
): Promise<Job> {
  const live = ctx.io.stdout.isTTY === true && !ctx.json;
  const job = await watchJob(() => api.getJob(jobId), {
    intervalMs: flags.intervalMs,
    onChange: (update) => {
      if (ctx.json) return;
      if (live) ctx.io.stdout.write(`\r\x1b[2K${formatJobLine(update)}`);
      else ctx.print(formatJobLine(update));
    },
  });
  if (live) ctx.io.stdout.write('\n');
  if (!ctx.json) reportEnd(ctx, job);
  return job;
}

function reportEnd(ctx: Context, job: Job): void {
  if (job.status === 'FAILED') {
    ctx.note(
      `job ${job.jobId} failed: ${[job.failure?.error, job.failure?.cause].filter(Boolean).join(': ')}`,
    );
  }
  const rejected = job.counts?.rejected ?? 0;
  if (rejected > 0) ctx.note(`${rejected} event(s) rejected: sluice job ${job.jobId} --errors`);
}

/** `sluice jobs [--limit n] [--cursor c]`. */
export async function listJobs(ctx: Context, query: { limit?: number; cursor?: string }): Promise<number> {
  const page = await (await ctx.api()).listJobs(query);
  if (ctx.json) {
    ctx.printJson(page);
    return 0;
  }
  ctx.print(page.items.length > 0 ? formatJobTable(page.items) : 'no jobs');
  if (page.nextCursor) ctx.note(`more: sluice jobs --cursor ${page.nextCursor}`);
  return 0;
}

/** `sluice job <id> [--watch | --errors]`. */
export async function showJob(
  ctx: Context,
  jobId: string,
  flags: WatchFlags & { watch?: boolean; errors?: boolean },
): Promise<number> {
  const api = await ctx.api();
  if (flags.watch) {
    const job = await followJob(ctx, api, jobId, flags);
    if (ctx.json) ctx.printJson(job);
    return exitCodeForJob(job);
  }
  if (flags.errors) {
    const report = await api.jobErrors(jobId);
    if (ctx.json) ctx.printJson(report);
    else ctx.print(report.items.length > 0 ? formatRejections(report.items) : 'no rejections');
    return 0;
  }
  const job = await api.getJob(jobId);
  if (ctx.json) ctx.printJson(job);
  else ctx.print(formatJobDetail(job));
  return 0;
}
