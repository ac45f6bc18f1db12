import type { Context } from '../context';
import { UsageError } from '../errors';
import { planBatches } from '../events/batches';
import { parseEventInput } from '../events/parse';
import { readEventInput } from '../events/read-input';
import { isCloudEvent, wrapRawValues } from '../events/wrap';
import { exitCodeForJob, type Job } from '../jobs/job';
import { followJob, type WatchFlags } from './jobs';

export interface SendFlags extends WatchFlags {
  type?: string;
  source?: string;
  watch?: boolean;
}

/**
 * `sluice send [file|-]`: posts the events in as many requests as the API limits need, printing one job id
 * per request as soon as it is accepted.
 */
export async function send(ctx: Context, file: string | undefined, flags: SendFlags): Promise<number> {
  if (Boolean(flags.type) !== Boolean(flags.source)) throw new UsageError('--type and --source go together');
  const api = await ctx.api();
  const input = await readEventInput(file, ctx.io);
  let events = parseEventInput(input.text, input.name);
  if (flags.type && flags.source) {
    events = wrapRawValues(events, { type: flags.type, source: flags.source });
  } else {
    const raw = events.filter((event) => !isCloudEvent(event)).length;
    if (raw > 0)
      ctx.note(`warning: ${raw} value(s) have no specversion; pass --type and --source to wrap them`);
  }

  const batches = planBatches(events);
  const jobs: { jobId: string; status: string; events: number; firstIndex: number }[] = [];
  for (const batch of batches) {
    const accepted = await api.postEvents(batch.body);
    jobs.push({
      jobId: accepted.jobId,
      status: accepted.status,
      events: batch.count,
      firstIndex: batch.start,
    });
    if (!ctx.json) ctx.print(accepted.jobId);
  }
  if (!ctx.json) ctx.note(`sent ${events.length} event(s) in ${batches.length} request(s)`);

  if (!flags.watch) {
    if (ctx.json) ctx.printJson({ jobs });
    return 0;
  }
  const finished: Job[] = [];
  for (const job of jobs) finished.push(await followJob(ctx, api, job.jobId, flags));
  if (ctx.json) ctx.printJson({ jobs: finished });
  return Math.max(...finished.map(exitCodeForJob));
}
