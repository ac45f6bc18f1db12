/**
 * What happened to each state of an execution, read from its history the way the AWS console reads it: an
 * event belongs to the state run its `previousEventId` chain leads back to (a `<Type>StateEntered` event opens
 * a run), so the runs of a Map's iterations stay apart even when they interleave.
 */
import type { ExecutionStatus, HistoryEvent } from './types';

export const stateStatuses = ['notRun', 'running', 'succeeded', 'caught', 'failed', 'cancelled'] as const;
export type StateStatus = (typeof stateStatuses)[number];

export const statusLabels: Record<StateStatus, string> = {
  notRun: 'Not run',
  running: 'Running',
  succeeded: 'Succeeded',
  caught: 'Caught',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export interface StateRun {
  name: string;
  /** The state type from the event name (Task, Map, Fail, ...). */
  stateType: string;
  status: StateStatus;
  enteredEventId: number;
  exitedEventId?: number;
  /** The Map iteration this run belongs to, when inside one. */
  iteration?: number;
  startedAt: number;
  endedAt?: number;
  input?: string;
  output?: string;
  /** Task invocations (1 + retries). */
  attempts: number;
  error?: string;
  cause?: string;
  /** The last attempt (or the Map/Parallel) failed and nothing has succeeded since. */
  failing: boolean;
  /** Map runs: the iteration count and each iteration's last event. */
  iterationCount?: number;
  iterations: Map<number, IterationStatus>;
}

export type IterationStatus = 'running' | 'succeeded' | 'failed' | 'aborted';

export interface StateOutcome {
  name: string;
  /**
   * Where the state ended up: its latest run (a loop or a resumed execution runs a state again); inside a Map,
   * the most telling of each iteration's latest run (running, then failed, caught, cancelled, succeeded).
   */
  status: StateStatus;
  runs: StateRun[];
  /** How many runs ended in each status. */
  counts: Partial<Record<StateStatus, number>>;
  /** Attempts beyond the first, over all runs. */
  retries: number;
}

export interface ExecutionOutcome {
  states: Map<string, StateOutcome>;
  /** The run each event belongs to (absent for execution-level events). */
  runOfEvent: Map<number, StateRun>;
}

const precedence: StateStatus[] = ['running', 'failed', 'caught', 'cancelled', 'succeeded', 'notRun'];

const detailsOf = (event: HistoryEvent): Record<string, unknown> => {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && typeof value === 'object' && value !== null) {
      return value as Record<string, unknown>;
    }
  }
  return {};
};
const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** Task-like attempt events: `Task`, `LambdaFunction` and `Activity` with their outcomes. */
const attemptEvent =
  /^(Task|LambdaFunction|Activity)(Scheduled|Succeeded|Failed|TimedOut|StartFailed|ScheduleFailed|SubmitFailed)$/;

function readRun(runs: StateRun[], event: HistoryEvent, previous: StateRun | undefined, iteration?: number) {
  const details = detailsOf(event);
  const run: StateRun = {
    name: String(details.name ?? ''),
    stateType: event.type.slice(0, -'StateEntered'.length),
    status: 'running',
    enteredEventId: event.id,
    iteration: iteration ?? previous?.iteration,
    startedAt: event.timestamp,
    input: text(details.input),
    attempts: 0,
    failing: false,
    iterations: new Map(),
  };
  runs.push(run);
  return run;
}

export function executionOutcome(events: HistoryEvent[], executionStatus: ExecutionStatus): ExecutionOutcome {
  const runs: StateRun[] = [];
  const runOfEvent = new Map<number, StateRun>();
  const latestRun = new Map<string, StateRun>();
  const eventsById = new Map(events.map((event) => [event.id, event]));
  let ended: 'failed' | 'cancelled' | 'succeeded' | undefined;

  const endRun = (run: StateRun, status: StateStatus, at: number) => {
    run.status = status;
    run.endedAt = at;
  };

  for (const event of events) {
    const details = detailsOf(event);
    const previousEvent = event.previousEventId ? eventsById.get(event.previousEventId) : undefined;
    const previous = event.previousEventId ? runOfEvent.get(event.previousEventId) : undefined;

    if (event.type.endsWith('StateEntered')) {
      const iterationStart = previousEvent?.type === 'MapIterationStarted';
      // A failed run followed by another state in its lane was caught (AWS sends no exit event then).
      if (!iterationStart && previous?.status === 'running' && previous.failing) {
        endRun(previous, 'caught', event.timestamp);
      }
      const iteration = iterationStart ? Number(detailsOf(previousEvent).index) : undefined;
      const run = readRun(runs, event, previous, iteration);
      latestRun.set(run.name, run);
      runOfEvent.set(event.id, run);
      continue;
    }
    if (event.type.startsWith('MapIteration')) {
      const map = latestRun.get(String(details.name ?? ''));
      if (!map) continue;
      runOfEvent.set(event.id, map);
      const status = event.type.slice('MapIteration'.length).toLowerCase() as IterationStatus | 'started';
      map.iterations.set(Number(details.index), status === 'started' ? 'running' : status);
      continue;
    }
    if (event.type === 'ExecutionRedriven') {
      // Resumed after a restart: whatever was running was interrupted and starts over.
      for (const run of runs) if (run.status === 'running') endRun(run, 'cancelled', event.timestamp);
      continue;
    }
    if (event.type.startsWith('Execution')) {
      if (event.type === 'ExecutionSucceeded') ended = 'succeeded';
      if (event.type === 'ExecutionFailed' || event.type === 'ExecutionTimedOut') ended = 'failed';
      if (event.type === 'ExecutionAborted') ended = 'cancelled';
      continue;
    }
    if (!previous) continue;
    runOfEvent.set(event.id, previous);

    if (event.type.endsWith('StateExited')) {
      previous.exitedEventId = event.id;
      previous.output = text(details.output);
      endRun(previous, previous.failing ? 'caught' : 'succeeded', event.timestamp);
      continue;
    }
    if (event.type === 'MapStateStarted' && typeof details.length === 'number') {
      previous.iterationCount = details.length;
      continue;
    }
    if (event.type === 'MapStateFailed' || event.type === 'ParallelStateFailed') {
      previous.failing = true;
      continue;
    }
    const attempt = attemptEvent.exec(event.type);
    if (!attempt) continue;
    if (attempt[2] === 'Scheduled') {
      previous.attempts += 1;
      previous.failing = false;
    } else if (attempt[2] === 'Succeeded') {
      previous.failing = false;
    } else {
      previous.failing = true;
      previous.error = text(details.error);
      previous.cause = text(details.cause);
    }
  }

  const executionEnded = ended ?? (executionStatus === 'RUNNING' ? undefined : 'cancelled');
  for (const run of runs) {
    if (run.status !== 'running' || !executionEnded) continue;
    const failedHere = run.failing || run.stateType === 'Fail' || executionStatus === 'TIMED_OUT';
    run.status = executionEnded === 'failed' && failedHere ? 'failed' : 'cancelled';
  }
  return { states: summarize(runs), runOfEvent };
}

function summarize(runs: StateRun[]): Map<string, StateOutcome> {
  const states = new Map<string, StateOutcome>();
  const latestPerIteration = new Map<string, Map<number | undefined, StateRun>>();
  for (const run of runs) {
    let outcome = states.get(run.name);
    if (!outcome) {
      outcome = { name: run.name, status: 'notRun', runs: [], counts: {}, retries: 0 };
      states.set(run.name, outcome);
      latestPerIteration.set(run.name, new Map());
    }
    outcome.runs.push(run);
    outcome.counts[run.status] = (outcome.counts[run.status] ?? 0) + 1;
    outcome.retries += Math.max(0, run.attempts - 1);
    latestPerIteration.get(run.name)!.set(run.iteration, run);
  }
  for (const outcome of states.values()) {
    for (const run of latestPerIteration.get(outcome.name)!.values()) {
      if (precedence.indexOf(run.status) < precedence.indexOf(outcome.status)) outcome.status = run.status;
    }
  }
  return states;
}

/** "12 iterations: 11 succeeded, 1 failed" for a Map state's latest run. */
export function iterationSummary(run: StateRun): string {
  const total = run.iterationCount ?? run.iterations.size;
  const counts = new Map<IterationStatus, number>();
  for (const status of run.iterations.values()) counts.set(status, (counts.get(status) ?? 0) + 1);
  const parts = (['succeeded', 'failed', 'aborted', 'running'] as const)
    .filter((status) => counts.has(status))
    .map((status) => `${counts.get(status)} ${status}`);
  const pending = total - run.iterations.size;
  if (pending > 0) parts.push(`${pending} not started`);
  const noun = total === 1 ? 'iteration' : 'iterations';
  return parts.length ? `${total} ${noun}: ${parts.join(', ')}` : `${total} ${noun}`;
}
