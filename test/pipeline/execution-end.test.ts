import { describe, expect, it } from 'vitest';
import { endedJob, type ExecutionStatusDetail } from '../../shared/pipeline/execution-end';

const detail = (overrides: Partial<ExecutionStatusDetail>): ExecutionStatusDetail => ({
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:ingest:01JOB',
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:ingest',
  name: '01JOB',
  status: 'FAILED',
  input: JSON.stringify({ jobId: '01JOB', tenant: 'alice', source: 'api', bucket: 'b', key: 'k' }),
  ...overrides,
});

describe('endedJob', () => {
  it('keeps the execution’s own error and cause', () => {
    expect(endedJob(detail({ error: 'States.Runtime', cause: 'bad path' }))).toEqual({
      tenant: 'alice',
      jobId: '01JOB',
      failure: { error: 'States.Runtime', cause: 'bad path' },
    });
  });

  it.each([
    ['ABORTED', 'ExecutionAborted', 'execution aborted'],
    ['TIMED_OUT', 'ExecutionTimedOut', 'execution timed out'],
    ['FAILED', 'ExecutionFailed', 'execution failed'],
  ])('describes a %s execution without error details', (status, error, cause) => {
    expect(endedJob(detail({ status, error: null, cause: null }))?.failure).toEqual({ error, cause });
  });

  it('ignores executions that are running or succeeded', () => {
    expect(endedJob(detail({ status: 'RUNNING' }))).toBeUndefined();
    expect(endedJob(detail({ status: 'SUCCEEDED' }))).toBeUndefined();
  });

  it('ignores an execution whose input names no tenant', () => {
    expect(endedJob(detail({ input: '{"jobId":"01JOB"}' }))).toBeUndefined();
    expect(endedJob(detail({ input: 'not json' }))).toBeUndefined();
    expect(endedJob(detail({ input: null }))).toBeUndefined();
  });
});
