/**
 * The rejection report in pages (docs/design.md "S3 layout"): FinalizeJob streams through the chunk results in
 * chunk order and writes `pageSize` rejections per object, so neither writing nor reading a page ever holds
 * more than a page or two of rejections, whatever the job's size.
 */
import type { Rejection } from '../cloudevents/types';
import type { ChunkResult } from '../jobs/results';
import { addCounts, zeroCounts, type JobCounts, type ReportPages } from '../jobs/model';
import { TaskError } from './errors';

export type { ReportPages };

export const pageKey = (report: Pick<ReportPages, 'prefix'>, page: number): string =>
  `${report.prefix}${page}.json`;

export const pageCount = (report: ReportPages): number => Math.ceil(report.count / report.pageSize);

export interface PagedSummary {
  counts: JobCounts;
  /** The first `firstErrorsLimit` rejections, kept on the job record. */
  firstErrors: Rejection[];
  report: ReportPages;
}

export interface ReportWriterOptions {
  prefix: string;
  pageSize: number;
  writePage: (key: string, rejections: Rejection[]) => Promise<void>;
  firstErrorsLimit?: number;
  /** Page writes in flight at once (each holds its page in memory until written). */
  writesInFlight?: number;
}

/**
 * Adds the chunk results up in chunk order and writes the report as it goes. Chunks cover consecutive source
 * ranges, so sorting each chunk's rejections is enough to order the whole report; a chunk whose rejections
 * reach back before the previous chunk's is a ResultMismatch rather than a silently unordered report.
 */
export class ReportWriter {
  private counts = zeroCounts();
  private readonly firstErrors: Rejection[] = [];
  private page: Rejection[] = [];
  private pages = 0;
  private count = 0;
  private lastIndex = -1;
  private readonly writes = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;
  private readonly firstErrorsLimit: number;
  private readonly writesInFlight: number;

  constructor(private readonly options: ReportWriterOptions) {
    this.firstErrorsLimit = options.firstErrorsLimit ?? 100;
    this.writesInFlight = options.writesInFlight ?? 4;
  }

  async add(result: ChunkResult): Promise<void> {
    this.counts = addCounts(this.counts, result.counts);
    const rejections = [...result.rejections].sort((a, b) => a.index - b.index);
    for (const rejection of rejections) {
      if (rejection.index <= this.lastIndex) {
        throw new TaskError(
          'ResultMismatch',
          `chunk ${result.n} rejects index ${rejection.index}, not after index ${this.lastIndex}`,
        );
      }
      this.lastIndex = rejection.index;
      this.count += 1;
      if (this.firstErrors.length < this.firstErrorsLimit) this.firstErrors.push(rejection);
      this.page.push(rejection);
      if (this.page.length === this.options.pageSize) await this.flush();
    }
  }

  async finish(): Promise<PagedSummary> {
    if (this.page.length > 0) await this.flush();
    await Promise.all(this.writes);
    this.throwIfWriteFailed();
    const { prefix, pageSize } = this.options;
    return {
      counts: this.counts,
      firstErrors: this.firstErrors,
      report: { prefix, pageSize, count: this.count },
    };
  }

  private async flush(): Promise<void> {
    const write = this.options.writePage(pageKey(this.options, this.pages), this.page);
    this.pages += 1;
    this.page = [];
    const tracked: Promise<void> = write.then(
      () => void this.writes.delete(tracked),
      (error: unknown) => {
        this.writes.delete(tracked);
        this.failure ??= { error };
      },
    );
    this.writes.add(tracked);
    if (this.writes.size >= this.writesInFlight) await Promise.race(this.writes);
    this.throwIfWriteFailed();
  }

  private throwIfWriteFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}

/** One page read for a request: page `page`, items `from` (inclusive) to `to` (exclusive) of it. */
export interface PageSlice {
  page: number;
  from: number;
  to: number;
}

/**
 * The pages a request for `limit` rejections from report position `start` reads: the fewest that cover it, so
 * at most `ceil(limit / pageSize) + 1`, and two with the default page size and limit.
 */
export function pagesFor(report: ReportPages, start: number, limit: number): PageSlice[] {
  const end = Math.min(start + limit, report.count);
  const slices: PageSlice[] = [];
  for (let position = start; position < end;) {
    const page = Math.floor(position / report.pageSize);
    const pageStart = page * report.pageSize;
    const to = Math.min(end, pageStart + report.pageSize) - pageStart;
    slices.push({ page, from: position - pageStart, to });
    position = pageStart + to;
  }
  return slices;
}
