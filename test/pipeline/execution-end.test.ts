import { describe, expect, it } from 'vitest';
import {
  endedGroup,
  endedJob,
  releasedSlot,
  type ExecutionStatusDetail,
} from '../../shared/pipeline/execution-end';

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

describe('endedGroup', () => {
  const GROUP = 'g-0000000000000000000000000000000000000001';
  const input = JSON.stringify({
    group: { id: GROUP, bucket: 'b', key: `work/groups/${GROUP}.json` },
    jobs: [{ jobId: '01A', tenant: 'alice' }, { jobId: '01B', tenant: 'bob' }, { jobId: 7 }],
  });

  it("lists a group execution's jobs from its input, with the execution's failure", () => {
    expect(endedGroup(detail({ name: GROUP, status: 'ABORTED', input }))).toEqual({
      groupId: GROUP,
      jobs: [
        { jobId: '01A', tenant: 'alice' },
        { jobId: '01B', tenant: 'bob' },
      ],
      failure: { error: 'ExecutionAborted', cause: 'execution aborted' },
    });
  });

  it('knows a group execution by its g- name when the event carries no input', () => {
    expect(endedGroup(detail({ name: GROUP, input: null }))).toMatchObject({
      groupId: GROUP,
      jobs: undefined,
    });
  });

  it('is undefined for a single-job execution or a group that did not fail', () => {
    expect(endedGroup(detail({}))).toBeUndefined();
    expect(endedGroup(detail({ name: GROUP, status: 'SUCCEEDED', input }))).toBeUndefined();
  });
});

describe('releasedSlot', () => {
  it.each(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'])(
    'names the slot of a one-job execution on %s',
    (status) => {
      expect(releasedSlot(detail({ status }))).toEqual({ tenant: 'alice', jobId: '01JOB' });
    },
  );

  it('releases nothing while running, for a group, or without a tenant in the input', () => {
    expect(releasedSlot(detail({ status: 'RUNNING' }))).toBeUndefined();
    expect(releasedSlot(detail({ status: 'SUCCEEDED', name: 'g-abc' }))).toBeUndefined();
    expect(
      releasedSlot(
        detail({ status: 'SUCCEEDED', input: JSON.stringify({ group: { id: 'x' }, tenant: 'a' }) }),
      ),
    ).toBeUndefined();
    expect(releasedSlot(detail({ status: 'SUCCEEDED', input: null }))).toBeUndefined();
  });

  it('does not fail the job of a succeeded execution', () => {
    expect(endedJob(detail({ status: 'SUCCEEDED' }))).toBeUndefined();
    expect(endedGroup(detail({ status: 'SUCCEEDED', name: 'g-abc' }))).toBeUndefined();
  });
});
