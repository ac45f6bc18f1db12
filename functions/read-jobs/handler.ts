/** GET /jobs, /jobs/{jobId}, /jobs/{jobId}/errors: the caller's jobs (another tenant's job is not found). */
import { z } from 'zod';
import { readEnv } from '../../shared/config';
import { getJson } from '../../shared/aws/stores/objects';
import { jobStore } from '../../shared/aws/stores/jobs';
import { ApiError } from '../../shared/http/errors';
import { decodeCursor, encodeCursor, parseLimit, tenantOf } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { toJobView } from '../../shared/jobs/model';
import type { Rejection } from '../../shared/cloudevents/types';
import { apiHandler, pathParam, type ApiEvent } from '../../shared/api/router';

const env = readEnv({ TABLE_NAME: z.string().min(1), BUCKET_NAME: z.string().min(1) });
const jobs = jobStore(env.TABLE_NAME);
/** Rejections per page of the report: about 200 KB of JSON. */
const maxReportPage = 1000;

async function findJob(event: ApiEvent) {
  const jobId = pathParam(event, 'jobId');
  const job = await jobs.get(tenantOf(event), jobId);
  if (!job) throw new ApiError(404, 'NotFound', `Job ${jobId} not found`);
  return job;
}

async function readReport(key: string): Promise<Rejection[]> {
  const report = await getJson<Rejection[]>(env.BUCKET_NAME, key);
  if (!report) throw new Error(`the rejection report ${key} is missing`);
  return report;
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
    const start = decodeCursor(query.cursor, ['jobId', 'offset'], { jobId: job.jobId })?.offset ?? 0;
    if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) {
      throw new ApiError(400, 'InvalidCursor', 'cursor is not valid for this request');
    }
    const report = job.reportKey ? await readReport(job.reportKey) : job.errors;
    if (start > report.length) {
      throw new ApiError(400, 'InvalidCursor', 'cursor is not valid for this request', [
        { parameter: 'cursor', reason: 'past the end of the report' },
      ]);
    }
    const end = start + limit;
    const nextCursor = end < report.length ? encodeCursor({ jobId: job.jobId, offset: end }) : null;
    return json(200, { jobId: job.jobId, items: report.slice(start, end), nextCursor });
  },
});
