/** FinalizeJob's arithmetic: the chunks' results must account for exactly the events the job received. */
import { summarizeResults, type ChunkResult, type JobSummary } from '../jobs/results';
import { TaskError } from './errors';

export function summarizeJob(results: ChunkResult[], received: number): JobSummary {
  const summary = summarizeResults(results);
  const { counts } = summary;
  if (counts.received !== received) {
    throw new TaskError(
      'ResultMismatch',
      `the chunk results count ${counts.received} events, the job received ${received}`,
    );
  }
  const settled = counts.accepted + counts.rejected + counts.duplicates;
  if (settled !== received) {
    throw new TaskError('ResultMismatch', `the chunk results settle ${settled} of ${received} events`);
  }
  return summary;
}
