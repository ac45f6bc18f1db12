/**
 * Turns what the engine reports (its event log, plus every task invocation the service makes for it) into
 * AWS-shaped execution history: ids, previousEventId and the events of history-events.ts.
 *
 * Lanes: events of one Map iteration (or Parallel branch) chain their previousEventId among themselves, the way
 * AWS threads them. A lane is `<container>#<iteration index>`, `#` being the top level. Nested Maps share their
 * inner lanes (the engine reports only the outermost iteration index), which is good enough for one level.
 *
 * Task invocations are paired with the lane whose StateEntered/StateRetried announced them, in announcement
 * order: the engine calls the task handler synchronously right after announcing, and the service's handler
 * waits for the event log to drain first (see engine.ts), so the announcement is always recorded first.
 */
import type { StateMachine } from 'aws-local-stepfunctions';
import type { StateInfo } from './definition';
import {
  executionEvents,
  mapIteration,
  mapStateStarted,
  stateEntered,
  stateExited,
  stateProgress,
  taskEvents,
  type EventShape,
  type MapIterationType,
  type TaskEvents,
} from './history-events';

export type EngineEvent =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  /** Epoch milliseconds (the API sends epoch seconds). */
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

export interface TaskAttempt {
  readonly lane: string;
  readonly events: TaskEvents;
  open: boolean;
}

/** AWS fails an execution whose history would exceed this many events; the last one is ExecutionFailed. */
export const historyEventLimit = 25_000;

const rootLane = '#';
const laneOf = (container: string, index?: number) => `${container}#${index ?? ''}`;
/** Identifies a state within a lane. */
const stateKey = (lane: string, name: string) => `${lane}|${name}`;

interface OpenMap {
  lane: string;
  started: Set<number>;
  done: Set<number>;
}

export interface HistoryRecorderOptions {
  states: ReadonlyMap<string, StateInfo>;
  region: string;
  append(event: HistoryEvent): void;
  /** Id of the last event already in the history (resumed executions); 0 for a new one. */
  lastEventId?: number;
  /** Called once when the history is full; the service then fails the execution (the terminal event fits). */
  onLimitReached?(): void;
}

export class HistoryRecorder {
  private lastId: number;
  private closed = false;
  private limitReached = false;
  private readonly lastIdByLane = new Map<string, number>();
  private readonly closedLanes = new Set<string>();
  private readonly lanesAwaitingTask = new Map<string, string[]>();
  private readonly attempts = new Map<string, TaskAttempt>();
  private readonly maps = new Map<string, OpenMap>();
  /** Map/Parallel states that failed: a Catch makes the engine exit them anyway, without a success event. */
  private readonly failedStates = new Set<string>();

  constructor(private readonly options: HistoryRecorderOptions) {
    this.lastId = options.lastEventId ?? 0;
  }

  executionStarted(input: string, roleArn: string): void {
    this.inLane(rootLane, executionEvents.started(input, roleArn));
  }

  /** A RUNNING execution picked up again after a restart (see service.ts). */
  executionRedriven(redriveCount: number): void {
    this.inLane(rootLane, executionEvents.redriven(redriveCount), this.lastId);
  }

  executionSucceeded(output: string): void {
    this.terminal(executionEvents.succeeded(output));
  }

  executionFailed(error: string, cause: string): void {
    this.terminal(executionEvents.failed(error, cause));
  }

  executionAborted(error?: string, cause?: string): void {
    this.terminal(executionEvents.aborted(error, cause));
  }

  executionTimedOut(): void {
    this.terminal(executionEvents.timedOut());
  }

  engineEvent(event: EngineEvent): void {
    if (this.closed) return;
    switch (event.type) {
      case 'StateEntered':
        return this.stateEntered(event.state.name, event.state.input, event.index);
      case 'StateExited':
        return this.stateExited(event.state.name, event.state.output, event.index);
      case 'StateFailed':
        return this.stateFailed(event.state.name, event.index, event.Error, event.Cause);
      case 'StateRetried':
        return this.stateRetried(event.state.name, event.index);
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        return this.mapIteration(event.type, event.parentState.name, event.index);
      default:
        // Execution* outcomes are recorded by the service; ParallelBranch* and StateCaught have no AWS event.
        return;
    }
  }

  /** Records the scheduling of `stateName` for the next lane waiting on it; undefined if none is. */
  taskStarting(stateName: string, parameters: unknown): TaskAttempt | undefined {
    const task = this.options.states.get(stateName)?.task;
    const lane = this.lanesAwaitingTask.get(stateName)?.shift();
    if (this.closed || !task || lane === undefined || this.closedLanes.has(lane)) return undefined;
    const attempt: TaskAttempt = { lane, events: taskEvents(task, this.options.region), open: true };
    this.attempts.set(lane, attempt);
    for (const event of attempt.events.scheduled(parameters)) this.inLane(lane, event);
    return attempt;
  }

  taskSucceeded(attempt: TaskAttempt, output: unknown): void {
    if (this.settle(attempt)) this.inLane(attempt.lane, attempt.events.succeeded(output));
  }

  taskFailed(attempt: TaskAttempt, error: string, cause: string): void {
    if (this.settle(attempt)) this.inLane(attempt.lane, attempt.events.failed(error, cause));
  }

  private stateEntered(name: string, input: unknown, index?: number): void {
    const state = this.options.states.get(name);
    if (!state) return;
    const lane = laneOf(state.container, index);
    if (this.closedLanes.has(lane)) return;
    this.failedStates.delete(stateKey(lane, name));
    this.inLane(lane, stateEntered(state, input));
    if (state.type === 'Task') this.announceTask(name, lane);
    if (state.type === 'Map') {
      this.openMap(name, lane);
      this.inLane(lane, mapStateStarted(state, input));
    }
    if (state.type === 'Parallel') this.inLane(lane, stateProgress(state, 'Started'));
  }

  private stateExited(name: string, output: unknown, index?: number): void {
    const state = this.options.states.get(name);
    if (!state) return;
    const lane = laneOf(state.container, index);
    if (this.closedLanes.has(lane)) return;
    const caught = this.failedStates.delete(stateKey(lane, name));
    if (state.type === 'Map' && !caught) {
      const map = this.maps.get(name);
      // Iteration successes normally arrive first; this only fills in any the engine's log delivered late.
      for (const i of map?.started ?? []) {
        if (!map?.done.has(i)) this.mapIteration('MapIterationSucceeded', name, i);
      }
    }
    if ((state.type === 'Map' || state.type === 'Parallel') && !caught) {
      this.inLane(lane, stateProgress(state, 'Succeeded'));
    }
    this.inLane(lane, stateExited(state, output));
  }

  private stateFailed(name: string, index: number | undefined, error: string, cause: unknown): void {
    const state = this.options.states.get(name);
    if (!state) return;
    const lane = laneOf(state.container, index);
    if (this.closedLanes.has(lane)) return;
    if (state.type === 'Task') {
      // A failure before the invocation (e.g. a Parameters path that matches nothing) leaves the lane waiting.
      const waiting = this.lanesAwaitingTask.get(name) ?? [];
      if (waiting.includes(lane)) waiting.splice(waiting.indexOf(lane), 1);
      const attempt = this.attempts.get(lane);
      if (error === 'States.Timeout' && attempt && this.settle(attempt)) {
        this.inLane(lane, attempt.events.timedOut(typeof cause === 'string' ? cause : undefined));
      }
    }
    if (state.type === 'Map') {
      const map = this.maps.get(name);
      for (const i of map?.started ?? []) {
        if (!map?.done.has(i)) this.mapIteration('MapIterationAborted', name, i);
        this.closedLanes.add(laneOf(name, i));
      }
    }
    if (state.type === 'Map' || state.type === 'Parallel') {
      this.inLane(lane, stateProgress(state, 'Failed'));
      this.failedStates.add(stateKey(lane, name));
    }
  }

  private stateRetried(name: string, index?: number): void {
    const state = this.options.states.get(name);
    if (!state) return;
    const lane = laneOf(state.container, index);
    this.failedStates.delete(stateKey(lane, name));
    if (state.type === 'Task') this.announceTask(name, lane);
    if (state.type === 'Map') this.openMap(name, lane);
  }

  private mapIteration(type: MapIterationType, mapName: string, index: number): void {
    const map = this.maps.get(mapName);
    const lane = laneOf(mapName, index);
    if (!map || this.closedLanes.has(map.lane) || this.closedLanes.has(lane)) return;
    const event = mapIteration(type, mapName, index);
    if (type === 'MapIterationStarted') {
      map.started.add(index);
      const id = this.add(event, this.lastIdByLane.get(map.lane) ?? this.lastId);
      if (id !== undefined) this.lastIdByLane.set(lane, id);
      return;
    }
    if (map.done.has(index)) return;
    map.done.add(index);
    const id = this.inLane(lane, event);
    if (id !== undefined) this.lastIdByLane.set(map.lane, id);
    if (type !== 'MapIterationSucceeded') this.closedLanes.add(lane);
  }

  private openMap(name: string, lane: string): void {
    for (const i of this.maps.get(name)?.started ?? []) this.closedLanes.delete(laneOf(name, i));
    this.maps.set(name, { lane, started: new Set(), done: new Set() });
  }

  private announceTask(name: string, lane: string): void {
    const waiting = this.lanesAwaitingTask.get(name) ?? [];
    waiting.push(lane);
    this.lanesAwaitingTask.set(name, waiting);
  }

  private settle(attempt: TaskAttempt): boolean {
    if (this.closed || !attempt.open || this.closedLanes.has(attempt.lane)) return false;
    attempt.open = false;
    return true;
  }

  private terminal(event: EventShape): void {
    this.add(event, this.lastIdByLane.get(rootLane) ?? this.lastId, true);
    this.closed = true;
  }

  private inLane(lane: string, event: EventShape, previous?: number): number | undefined {
    const id = this.add(event, previous ?? this.lastIdByLane.get(lane) ?? this.lastId);
    if (id !== undefined) this.lastIdByLane.set(lane, id);
    return id;
  }

  private add({ type, details }: EventShape, previousEventId: number, terminal = false): number | undefined {
    if (this.closed) return undefined;
    if (!terminal && this.lastId + 1 >= historyEventLimit) {
      if (!this.limitReached) {
        this.limitReached = true;
        this.options.onLimitReached?.();
      }
      return undefined;
    }
    const id = ++this.lastId;
    this.options.append({ id, previousEventId, timestamp: Date.now(), type, ...details });
    return id;
  }
}
