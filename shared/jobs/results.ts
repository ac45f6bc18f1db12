/** Adding up the chunk results (work/<jobId>/results/<n>.json) into the job's counts and error report. */
import type { Rejection } from '../cloudevents/types';
import { addCounts, zeroCounts, type JobCounts } from './model';

export interface ChunkResult {
  n: number;
  counts: JobCounts;
  rejections: Rejection[];
}

export interface JobSummary {
  counts: JobCounts;
  /** The first `firstErrorsLimit` rejections, kept on the job record. */
  firstErrors: Rejection[];
  /** Every rejection, ordered by index: the report in S3. */
  allErrors: Rejection[];
}

export function summarizeResults(results: ChunkResult[], firstErrorsLimit = 100): JobSummary {
  const counts = results.reduce((sum, r) => addCounts(sum, r.counts), zeroCounts());
  const allErrors = results.flatMap((r) => r.rejections).sort((a, b) => a.index - b.index);
  return { counts, firstErrors: allErrors.slice(0, firstErrorsLimit), allErrors };
}
