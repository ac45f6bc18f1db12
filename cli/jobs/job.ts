import { formatTable } from '../format';

export type JobStatus = 'PENDING_UPLOAD' | 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface Rejection {
  index: number;
  id?: string | null;
  reason: string;
}

/** The job view of `GET /jobs/{jobId}`. */
export interface Job {
  jobId: string;
  source?: string;
  status: JobStatus;
  counts?: { received?: number; accepted?: number; rejected?: number; duplicates?: number };
  errors?: Rejection[];
  failure?: { error?: string; cause?: string };
  executionArn?: string;
  createdAt?: string;
  updatedAt?: string;
  finishedAt?: string | null;
}

export function isFinal(status: JobStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED';
}

/** `sluice job --watch` exits 0 only for a job that succeeded. */
export function exitCodeForJob(job: Pick<Job, 'status'>): number {
  return job.status === 'SUCCEEDED' ? 0 : 1;
}

function count(job: Job, key: keyof NonNullable<Job['counts']>): string {
  return String(job.counts?.[key] ?? 0);
}

/** `01J… RUNNING  received 10  accepted 8  rejected 1  duplicates 1`. */
export function formatJobLine(job: Job): string {
  const counts = (['received', 'accepted', 'rejected', 'duplicates'] as const)
    .map((key) => `${key} ${count(job, key)}`)
    .join('  ');
  const failure = job.failure?.error
    ? `  (${job.failure.error}${job.failure.cause ? `: ${job.failure.cause}` : ''})`
    : '';
  return `${job.jobId}  ${job.status}  ${counts}${failure}`;
}

export function formatJobTable(jobs: readonly Job[]): string {
  return formatTable(
    ['JOB', 'SOURCE', 'STATUS', 'RECEIVED', 'ACCEPTED', 'REJECTED', 'DUPLICATES', 'CREATED'],
    jobs.map((job) => [
      job.jobId,
      job.source ?? '',
      job.status,
      count(job, 'received'),
      count(job, 'accepted'),
      count(job, 'rejected'),
      count(job, 'duplicates'),
      job.createdAt ?? '',
    ]),
  );
}

export function formatRejections(rejections: readonly Rejection[]): string {
  return formatTable(
    ['INDEX', 'ID', 'REASON'],
    rejections.map((r) => [String(r.index), r.id ?? '', r.reason]),
  );
}

export function formatJobDetail(job: Job): string {
  const fields: [string, string | undefined | null][] = [
    ['job', job.jobId],
    ['source', job.source],
    ['status', job.status],
    ['received', count(job, 'received')],
    ['accepted', count(job, 'accepted')],
    ['rejected', count(job, 'rejected')],
    ['duplicates', count(job, 'duplicates')],
    ['failure', job.failure ? [job.failure.error, job.failure.cause].filter(Boolean).join(': ') : undefined],
    ['execution', job.executionArn],
    ['created', job.createdAt],
    ['updated', job.updatedAt],
    ['finished', job.finishedAt],
  ];
  const width = Math.max(...fields.map(([name]) => name.length));
  const lines = fields.filter(([, value]) => value).map(([name, value]) => `${name.padEnd(width)}  ${value}`);
  const errors = job.errors ?? [];
  if (errors.length > 0) {
    const more =
      (job.counts?.rejected ?? 0) > errors.length ? ' (first ones; sluice job <id> --errors for all)' : '';
    lines.push('', `rejections${more}:`, formatRejections(errors));
  }
  return lines.join('\n');
}
