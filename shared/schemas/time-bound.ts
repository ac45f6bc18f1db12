/**
 * Schema validation under a time bound (README "Limits"). RE2 makes patterns linear, but a tenant's schema has
 * other superlinear paths (`uniqueItems` over objects is quadratic, `allOf` through a recursive `$ref` is
 * exponential in the data's depth, some format regexes backtrack), so the checks run inside a `node:vm` call
 * with a timeout: V8 stops the running JavaScript wherever it is, which no check can catch or outlast.
 */
import vm from 'node:vm';

export interface ValidationTimeLimits {
  /** One event's validation is stopped after this long (the event is rejected). */
  perEventMs: number;
  /** A chunk spends at most this long validating; the events left are rejected unvalidated. */
  perChunkMs: number;
}

export const VALIDATION_TIME_LIMITS: ValidationTimeLimits = { perEventMs: 1_000, perChunkMs: 30_000 };

/**
 * Validation time shared by several runs: a group execution carries many small jobs, each run on its own, so
 * without a shared budget one tenant's slow schema would take `perChunkMs` per job, past the task's timeout, and
 * fail the group with every other tenant's job in it. A run stops when any of its budgets is spent.
 */
export interface ValidationBudget {
  leftMs(): number;
  spend(ms: number): void;
  /** The reason of the checks left unvalidated when this budget is the one spent. */
  spentReason: string;
}

export function validationBudget(totalMs: number, spentReason: string): ValidationBudget {
  let spent = 0;
  return { leftMs: () => totalMs - spent, spend: (ms) => (spent += ms), spentReason };
}

export const stoppedReason = (limits: ValidationTimeLimits) =>
  `data: schema validation stopped after ${limits.perEventMs} ms`;
export const budgetSpentReason = (limits: ValidationTimeLimits) =>
  `data: not validated: this chunk spent its ${limits.perChunkMs} ms schema validation budget`;

/** A check: null = valid, else the reason. */
export type Check = () => string | null;

/** A check that throws (a bug, a stack overflow) rejects its event rather than the chunk. */
function guarded(check: Check): string | null {
  try {
    return check();
  } catch (error) {
    const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
    return `data: could not be validated (${name}: ${message})`;
  }
}

const context = vm.createContext({ run: () => {} });
const runScript = new vm.Script('run()');

const isTimeout = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';

const now = () => performance.now();

/**
 * Runs the checks in order, each result null or a reason. Checks run in batches, one vm call per batch with a
 * timeout of `perEventMs` (or what is left of the budget), so the per-call cost is paid once per batch. A check
 * interrupted inside a batch it did not start is re-run at the head of a batch of its own, so it is rejected
 * only when it alone took the whole `perEventMs`. `onStopped(i)` is told of each stopped check: whatever state
 * it was in the middle of updating (a regex engine's cache) should be rebuilt.
 */
export function runChecksBounded(
  checks: readonly Check[],
  limits: ValidationTimeLimits,
  onStopped: (index: number) => void = () => {},
  budgets: readonly ValidationBudget[] = [],
): (string | null)[] {
  const results: (string | null)[] = new Array<string | null>(checks.length).fill(null);
  let next = 0;
  context.run = () => {
    for (; next < checks.length; next++) results[next] = guarded(checks[next]!);
  };
  const started = now();
  const binding = budgets.reduce<ValidationBudget | undefined>(
    (least, budget) => (least === undefined || budget.leftMs() < least.leftMs() ? budget : least),
    undefined,
  );
  const shared = binding === undefined ? Infinity : binding.leftMs();
  try {
    while (next < checks.length) {
      const left = Math.min(limits.perChunkMs, shared) - (now() - started);
      if (left <= 0) break;
      const slot = Math.min(limits.perEventMs, left);
      const head = next;
      try {
        runScript.runInContext(context, { timeout: Math.max(1, Math.floor(slot)) });
      } catch (error) {
        if (!isTimeout(error)) throw error;
        if (next >= checks.length) break; // stopped after the last check returned
        onStopped(next);
        if (next === head && slot >= limits.perEventMs) results[next++] = stoppedReason(limits);
      }
    }
  } finally {
    context.run = () => {};
    const elapsed = now() - started;
    for (const budget of budgets) budget.spend(elapsed);
  }
  const spent =
    binding !== undefined && shared < limits.perChunkMs ? binding.spentReason : budgetSpentReason(limits);
  for (; next < checks.length; next++) results[next] = spent;
  return results;
}
