/**
 * FinalizeJob's arithmetic: the chunks' results, read in chunk order, must account for exactly the events the
 * job received; their rejections become the paged report on the way through.
 */
import type { ChunkResult } from '../jobs/results';
import { TaskError } from './errors';
import { ReportWriter, type PagedSummary, type ReportWriterOptions } from './report';

export async function summarizeJob(
  results: AsyncIterable<ChunkResult> | Iterable<ChunkResult>,
  received: number,
  report: ReportWriterOptions,
): Promise<PagedSummary> {
  const writer = new ReportWriter(report);
  for await (const result of results) await writer.add(result);
  const summary = await writer.finish();
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
  if (summary.report.count !== counts.rejected) {
    throw new TaskError(
      'ResultMismatch',
      `the chunk results list ${summary.report.count} rejections and count ${counts.rejected}`,
    );
  }
  return summary;
}
