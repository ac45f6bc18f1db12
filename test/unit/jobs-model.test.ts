import { decodeTime } from 'ulid';
import { describe, expect, it } from 'vitest';
import {
  JOB_STATUSES,
  addCounts,
  canTransition,
  failureFrom,
  isFinal,
  newJobId,
  previousStatusesFor,
  toJobView,
  zeroCounts,
  type JobRecord,
  type JobStatus,
} from '../../shared/jobs/model';

describe('status transitions (docs/design.md "Job statuses")', () => {
  const allowed = new Set([
    'PENDING_UPLOAD→QUEUED',
    'PENDING_UPLOAD→RUNNING',
    'PENDING_UPLOAD→FAILED',
    'QUEUED→RUNNING',
    'QUEUED→SUCCEEDED', // a grouped job, finished by IngestGroup in one write
    'QUEUED→FAILED',
    'RUNNING→RUNNING',
    'RUNNING→SUCCEEDED',
    'RUNNING→FAILED',
  ]);
  const pairs = JOB_STATUSES.flatMap((from) =>
    JOB_STATUSES.map((to) => [from, to] as [JobStatus, JobStatus]),
  );

  it.each(pairs)('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(allowed.has(`${from}→${to}`));
    expect(previousStatusesFor(to).includes(from)).toBe(allowed.has(`${from}→${to}`));
  });

  it('nothing leaves a final status', () => {
    for (const status of JOB_STATUSES) {
      expect(isFinal(status)).toBe(status === 'SUCCEEDED' || status === 'FAILED');
      if (isFinal(status)) expect(JOB_STATUSES.filter((to) => canTransition(status, to))).toEqual([]);
    }
  });

  it('previousStatusesFor returns a copy callers may not corrupt', () => {
    previousStatusesFor('SUCCEEDED').push('PENDING_UPLOAD');
    expect(canTransition('PENDING_UPLOAD', 'SUCCEEDED')).toBe(false);
  });
});

describe('counts', () => {
  it('adds field by field from zero', () => {
    const a = { received: 5, accepted: 3, rejected: 1, duplicates: 1 };
    expect(addCounts(zeroCounts(), a)).toEqual(a);
    expect(addCounts(a, { received: 2, accepted: 0, rejected: 2, duplicates: 0 })).toEqual({
      received: 7,
      accepted: 3,
      rejected: 3,
      duplicates: 1,
    });
  });
});

describe('toJobView', () => {
  const record: JobRecord = {
    jobId: '01J0000000000000000000000',
    tenant: 't1',
    source: 'upload',
    status: 'RUNNING',
    counts: { received: 1, accepted: 0, rejected: 1, duplicates: 0 },
    errors: [{ index: 0, id: null, reason: 'event: must be a JSON object' }],
    submission: { bucket: 'b', key: 'uploads/t1/x/file.ndjson' },
    filename: 'file.ndjson',
    uploadExpiresAt: '2024-01-01T00:15:00.000Z',
    reportKey: 'reports/t1/x/errors.json',
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:01:00.000Z',
  };

  it('shows only the public fields, with nulls for what is not known yet', () => {
    expect(toJobView(record)).toEqual({
      jobId: record.jobId,
      source: 'upload',
      status: 'RUNNING',
      counts: record.counts,
      errors: record.errors,
      executionArn: null,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      finishedAt: null,
    });
  });

  it('includes failure only when FAILED', () => {
    const failure = { error: 'UploadTooLarge', cause: 'too big' };
    const failed = toJobView({
      ...record,
      status: 'FAILED',
      failure,
      executionArn: 'arn:x',
      finishedAt: '2024-01-01T00:02:00.000Z',
    });
    expect(failed).toMatchObject({ failure, executionArn: 'arn:x', finishedAt: '2024-01-01T00:02:00.000Z' });
    expect(toJobView({ ...record, failure })).not.toHaveProperty('failure');
  });
});

describe('newJobId', () => {
  it('is a ULID carrying the given time', () => {
    const id = newJobId(1_700_000_000_000);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(decodeTime(id)).toBe(1_700_000_000_000);
  });

  it('sorts in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 50 }, () => newJobId(1_700_000_000_001));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(50);
  });
});

describe('failureFrom', () => {
  it('keeps a Lambda error message and drops the stack trace', () => {
    const cause = JSON.stringify({
      errorType: 'UploadTooLarge',
      errorMessage: 'file is 600 MiB',
      trace: ['at x (/var/task/index.js:1)'],
    });
    expect(failureFrom({ Error: 'UploadTooLarge', Cause: cause })).toEqual({
      error: 'UploadTooLarge',
      cause: 'file is 600 MiB',
    });
  });

  it('keeps a plain Step Functions cause as is', () => {
    expect(failureFrom({ Error: 'States.Timeout', Cause: 'Task timed out' })).toEqual({
      error: 'States.Timeout',
      cause: 'Task timed out',
    });
    expect(failureFrom({ Error: 'X', Cause: '{"not":"lambda"}' }).cause).toBe('{"not":"lambda"}');
  });

  it('caps the cause at 2000 characters', () => {
    const cause = JSON.stringify({ errorType: 'E', errorMessage: 'm'.repeat(5000) });
    expect(failureFrom({ Error: 'E', Cause: cause }).cause).toBe('m'.repeat(2000));
  });

  it('copes with a missing error', () => {
    expect(failureFrom(undefined)).toEqual({ error: 'UnknownError', cause: '' });
    expect(failureFrom({})).toEqual({ error: 'UnknownError', cause: '' });
  });
});
