/**
 * A due upload deadline (docs/design.md "Queue messages"): the job's file is looked for in S3 before the job
 * fails, so a file whose PUT finished after the URL expired (within the grace) still counts.
 */
import type { JobFailure, JobRecord } from '../jobs/model';
import { uploadKey } from './uploads';

export type DeadlineAction =
  | { action: 'none'; why: string }
  /** Look for the file at `key`; start the job if it is there, else fail it. */
  | { action: 'check'; key: string }
  | { action: 'fail'; failure: JobFailure };

export const uploadNotReceived = (expiresAt: string): JobFailure => ({
  error: 'UploadNotReceived',
  cause: `no file was uploaded before the signed URL expired at ${expiresAt}`,
});

/** What a due deadline does with its job, before any look at S3. */
export function deadlineAction(job: JobRecord | undefined, expiresAt: string): DeadlineAction {
  if (!job) return { action: 'none', why: 'the job does not exist' };
  if (job.status !== 'PENDING_UPLOAD') return { action: 'none', why: `the job is ${job.status}` };
  if (!job.filename) return { action: 'fail', failure: uploadNotReceived(expiresAt) };
  return { action: 'check', key: uploadKey(job.tenant, job.jobId, job.filename) };
}
