/** A chunk's result (work/<jobId>/results/<n>.json), as ingest-chunk writes it and FinalizeJob reads it. */
import type { Rejection } from '../cloudevents/types';
import type { JobCounts } from './model';

export interface ChunkResult {
  n: number;
  counts: JobCounts;
  rejections: Rejection[];
}
