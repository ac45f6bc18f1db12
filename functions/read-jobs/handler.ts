/** GET /jobs, /jobs/{jobId}, /jobs/{jobId}/errors: the caller's jobs (another tenant's job is not found). */
import pLimit from 'p-limit';
import { readEnv, textVar } from '../../shared/config';
import { getJson } from '../../shared/aws/stores/objects';
import { jobStore } from '../../shared/aws/stores/jobs';
import { ApiError } from '../../shared/http/errors';
import { decodeCursor, encodeCursor, parseLimit, tenantOf } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { toJobView, type JobRecord, type ReportPages } from '../../shared/jobs/model';
import { pageKey, pagesFor } from '../../shared/pipeline/report';
import type { Rejection } from '../../shared/cloudevents/types';
import { apiHandler, pathParam, type ApiEvent } from '../../shared/api/router';

const env = readEnv({ TABLE_NAME: textVar, BUCKET_NAME: textVar });
const jobs = jobStore(env.TABLE_NAME);
/** Rejections per response: under 1 MB of JSON even with the longest ids and reasons. */
const maxReportPage = 1000;
const PAGE_READS_IN_FLIGHT = 8;

async function findJob(event: ApiEvent) {
  const jobId = pathParam(event, 'jobId');
  const job = await jobs.get(tenantOf(event), jobId);
  if (!job) throw new ApiError(404, 'NotFound', `Job ${jobId} not found`);
  return job;
}

/** A job finished before the report was paged: one JSON array, read whole (docs/design.md "S3 layout"). */
async function readWholeReport(key: string): Promise<Rejection[]> {
  const report = await getJson<Rejection[]>(env.BUCKET_NAME, key);
  if (!report) throw new Error(`the rejection report ${key} is missing`);
  return report;
}

/** `limit` rejections from position `start`: only the pages that hold them are read. */
async function readPages(report: ReportPages, start: number, limit: number): Promise<Rejection[]> {
  const inFlight = pLimit(PAGE_READS_IN_FLIGHT);
  const slices = await Promise.all(
    pagesFor(report, start, limit).map(({ page, from, to }) =>
      inFlight(async () => {
        const key = pageKey(report, page);
        const rejections = await getJson<Rejection[]>(env.BUCKET_NAME, key);
        if (!rejections || rejections.length < to) {
          throw new Error(`the rejection report page ${key} is missing or short`);
        }
        return rejections.slice(from, to);
      }),
    ),
  );
  return slices.flat();
}

const invalidCursor = (reason: string) =>
  new ApiError(400, 'InvalidCursor', 'cursor is not valid for this request', [
    { parameter: 'cursor', reason },
  ]);

/** The report position a cursor carries: pinned to the job, a whole number. */
function startOf(cursor: string | undefined, jobId: string): number {
  const start = decodeCursor(cursor, ['jobId', 'offset'], { jobId })?.offset ?? 0;
  if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) {
    throw invalidCursor('offset: must be a whole number from 0');
  }
  return start;
}

/** `limit` rejections from `start`, and how many the report holds. */
async function reportSlice(job: JobRecord, start: number, limit: number) {
  if (job.report) {
    if (start > job.report.count)
      throw invalidCursor(`offset: past the report's ${job.report.count} rejections`);
    return { items: await readPages(job.report, start, limit), total: job.report.count };
  }
  const all = job.reportKey ? await readWholeReport(job.reportKey) : job.errors;
  if (start > all.length) throw invalidCursor(`offset: past the report's ${all.length} rejections`);
  return { items: all.slice(start, start + limit), total: all.length };
}

export const handler = apiHandler('read-jobs', {
  'GET /jobs/{jobId}': async (event) => json(200, toJobView(await findJob(event))),

  'GET /jobs': async (event) => {
    const query = event.queryStringParameters ?? {};
    const page = await jobs.list(tenantOf(event), { limit: parseLimit(query.limit), cursor: query.cursor });
    return json(200, { items: page.items.map(toJobView), nextCursor: page.nextCursor });
  },

  // The full report once the job finished; until then, the rejections recorded on the job so far. Paged, so
  // that no response nears Lambda's 6 MB payload limit however many events a job rejected.
  'GET /jobs/{jobId}/errors': async (event) => {
    const job = await findJob(event);
    const query = event.queryStringParameters ?? {};
    const limit = parseLimit(query.limit, { max: maxReportPage, fallback: maxReportPage });
    const start = startOf(query.cursor, job.jobId);
    const { items, total } = await reportSlice(job, start, limit);
    const end = start + items.length;
    const nextCursor = end < total ? encodeCursor({ jobId: job.jobId, offset: end }) : null;
    return json(200, { jobId: job.jobId, items, nextCursor });
  },
});
