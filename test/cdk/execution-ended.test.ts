import { describe, expect, it } from 'vitest';
import { executionEndedDetailPattern, executionEndedMatches } from '../../cdk/wiring';

type Pattern = Record<string, unknown>;

/** EventBridge's matching for the pattern forms the rule uses: value lists, `anything-but` prefix, `$or`. */
function matches(pattern: Pattern, detail: Record<string, string>): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    if (key === '$or') return (rule as Pattern[]).some((branch) => matches(branch, detail));
    return (rule as unknown[]).some((allowed) => {
      if (typeof allowed === 'string') return detail[key] === allowed;
      const prefix = (allowed as { 'anything-but': { prefix: string } })['anything-but'].prefix;
      return !detail[key]!.startsWith(prefix);
    });
  });
}

describe('the execution-ended rule', () => {
  const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:ingest';
  const statuses = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
  const names = ['01JOB0000000000000000000000', 'g-0123456789abcdef0123456789abcdef01234567'];

  it.each(statuses.flatMap((status) => names.map((name) => [status, name])))(
    'the local matcher agrees with the deployed pattern: %s %s',
    (status, name) => {
      const detail = { stateMachineArn: arn, status: status!, name: name! };
      expect(executionEndedMatches(detail)).toBe(matches(executionEndedDetailPattern(arn), detail));
    },
  );

  it('takes every failed end and only one-job successes', () => {
    expect(executionEndedMatches({ status: 'SUCCEEDED', name: names[0]! })).toBe(true);
    expect(executionEndedMatches({ status: 'SUCCEEDED', name: names[1]! })).toBe(false);
    expect(executionEndedMatches({ status: 'ABORTED', name: names[1]! })).toBe(true);
    expect(executionEndedMatches({ status: 'RUNNING', name: names[0]! })).toBe(false);
    expect(
      matches(executionEndedDetailPattern(arn), { stateMachineArn: 'other', status: 'FAILED', name: 'x' }),
    ).toBe(false);
  });
});
