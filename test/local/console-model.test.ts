/**
 * The executions console's model, without a browser: the ASL graph and its layout, each state's outcome read
 * from an execution history, the history table's rows, routes and formatting, and the Step Functions client.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { describeChoiceRule, parseDefinition } from '../../local/console/ui/asl';
import { durationMs, formatDuration, prettyJson, statusText } from '../../local/console/ui/format';
import { historyRows } from '../../local/console/ui/history-rows';
import { endMarker, layoutGraph, startMarker, type GraphLayout } from '../../local/console/ui/layout';
import { executionOutcome, iterationSummary } from '../../local/console/ui/outcomes';
import {
  carriedJobs,
  executionHref,
  jobHref,
  parseRoute,
  stateMachineHref,
} from '../../local/console/ui/routes';
import { SfnApiError, SfnClient } from '../../local/console/ui/sfn-client';
import type { HistoryEvent } from '../../local/console/ui/types';

const ingest = parseDefinition(readFileSync('workflows/ingest.asl.json', 'utf8'));

/** Builds an AWS-shaped history; each event names the event it follows (`previousEventId`). */
class History {
  readonly events: HistoryEvent[] = [];
  private clock = 1_700_000_000;

  add(type: string, details: object | undefined, previous: number): number {
    const id = this.events.length + 1;
    const key = `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
    this.clock += 0.25;
    this.events.push({
      id,
      previousEventId: previous,
      timestamp: this.clock,
      type,
      ...(details && { [key]: details }),
    });
    return id;
  }

  started(): number {
    return this.add('ExecutionStarted', { input: '{"jobId":"j1"}' }, 0);
  }

  enter(name: string, previous: number, type = 'Task'): number {
    return this.add(`${type}StateEntered`, { name, input: JSON.stringify({ into: name }) }, previous);
  }

  exit(name: string, previous: number, type = 'Task'): number {
    return this.add(`${type}StateExited`, { name, output: JSON.stringify({ from: name }) }, previous);
  }

  /** One invocation per entry: 'ok', or the error it fails with. */
  attempts(previous: number, outcomes: string[]): number {
    let at = previous;
    for (const outcome of outcomes) {
      at = this.add('TaskScheduled', { resourceType: 'lambda', resource: 'invoke' }, at);
      at = this.add('TaskStarted', undefined, at);
      at =
        outcome === 'ok'
          ? this.add('TaskSucceeded', { output: '{"Payload":{}}' }, at)
          : this.add('TaskFailed', { error: outcome, cause: `${outcome}: details` }, at);
    }
    return at;
  }

  /** A Task state run start to exit. */
  task(name: string, previous: number, outcomes = ['ok']): number {
    return this.exit(name, this.attempts(this.enter(name, previous), outcomes));
  }

  /** A Map with one iteration per entry, interleaved as a concurrent Map's are; returns the map's last event. */
  map(name: string, inner: string, previous: number, iterations: string[][], exit = true): number {
    const entered = this.enter(name, previous, 'Map');
    let mapLane = this.add('MapStateStarted', { length: iterations.length }, entered);
    const lanes = iterations.map((_, index) => {
      mapLane = this.add('MapIterationStarted', { name, index }, mapLane);
      return mapLane;
    });
    const enteredInner = lanes.map((lane) => this.enter(inner, lane));
    const invoked = enteredInner.map((lane, index) => this.attempts(lane, iterations[index]!));
    let failed = false;
    invoked.forEach((lane, index) => {
      const ok = iterations[index]!.at(-1) === 'ok';
      const last = ok ? this.exit(inner, lane) : lane;
      failed ||= !ok;
      mapLane = this.add(ok ? 'MapIterationSucceeded' : 'MapIterationFailed', { name, index }, last);
    });
    mapLane = this.add(failed ? 'MapStateFailed' : 'MapStateSucceeded', undefined, mapLane);
    return exit ? this.exit(name, mapLane, 'Map') : mapLane;
  }
}

const statuses = (history: History, status: Parameters<typeof executionOutcome>[1]) =>
  Object.fromEntries(
    [...executionOutcome(history.events, status).states.values()].map((state) => [state.name, state.status]),
  );

describe('reading the ASL document', () => {
  it('finds every transition of the ingest workflow, the main one first, and the Map iterator', () => {
    const states = new Map(ingest.states.map((state) => [state.name, state]));
    expect(ingest.startAt).toBe('SingleJobOrGroup');
    expect(states.get('SingleJobOrGroup')).toMatchObject({
      type: 'Choice',
      terminal: false,
      edges: [
        { to: 'PrepareJob', kind: 'choice', label: 'Not($.group IsPresent true)' },
        { to: 'IngestGroup', kind: 'default', label: 'Default' },
      ],
    });
    expect(states.get('IngestGroup')).toMatchObject({
      terminal: true,
      edges: [{ to: 'MarkGroupFailed', kind: 'catch', label: 'States.ALL' }],
    });
    expect(states.get('GroupFailed')).toMatchObject({ type: 'Fail', terminal: true });
    expect(states.get('PrepareJob')!.edges).toEqual([
      { to: 'IngestChunks', kind: 'next' },
      { to: 'MarkJobFailed', kind: 'catch', label: 'States.ALL' },
    ]);
    expect(states.get('JobSucceeded')).toMatchObject({ type: 'Succeed', terminal: true, edges: [] });
    expect(states.get('MarkJobFailed')).toMatchObject({
      terminal: false,
      edges: [{ to: 'JobFailed', kind: 'next' }],
    });
    const iterator = states.get('IngestChunks')!.children;
    expect(iterator).toHaveLength(1);
    expect(iterator[0]!.states).toEqual([
      expect.objectContaining({ name: 'IngestChunk', type: 'Task', terminal: true }),
    ]);
  });

  it('describes choice rules in a few words', () => {
    expect(describeChoiceRule({ Variable: '$.kind', StringEquals: 'upload', Next: 'X' })).toBe(
      '$.kind StringEquals "upload"',
    );
    expect(describeChoiceRule({ Condition: '{% $states.input.n > 1 %}', Next: 'X' })).toBe(
      '{% $states.input.n > 1 %}',
    );
    expect(describeChoiceRule({ And: [{}, {}], Next: 'X' })).toBe('And(2 rules)');
    expect(describeChoiceRule({ Not: { Variable: '$.a', IsNull: true }, Next: 'X' })).toBe(
      'Not($.a IsNull true)',
    );
  });

  it('rejects a definition that is not a JSON object', () => {
    expect(() => parseDefinition('[1]')).toThrow(/not a JSON object/);
  });
});

describe('laying the graph out', () => {
  const layout = layoutGraph(ingest);
  const node = (id: string, graph: GraphLayout = layout) => graph.nodes.find((n) => n.id === id)!;
  const centre = (id: string) => node(id).x + node(id).width / 2;

  it('puts the main path in one column, top to bottom, from Start to End', () => {
    const path = [
      startMarker,
      'SingleJobOrGroup',
      'PrepareJob',
      'IngestChunks',
      'FinalizeJob',
      'JobSucceeded',
      endMarker,
    ];
    for (const id of path) expect(centre(id)).toBe(centre('PrepareJob'));
    const tops = path.map((id) => node(id).y);
    expect(tops).toEqual([...tops].sort((a, b) => a - b));
    expect(new Set(tops).size).toBe(path.length);
  });

  it('puts the failure branch in a column of its own, below every state that catches into it', () => {
    expect(node('MarkJobFailed').x).toBeGreaterThan(node('IngestChunks').x + node('IngestChunks').width);
    expect(centre('JobFailed')).toBe(centre('MarkJobFailed'));
    expect(node('JobFailed').y).toBeGreaterThan(node('MarkJobFailed').y);
    expect(node('MarkJobFailed').y).toBeGreaterThan(node('FinalizeJob').y + node('FinalizeJob').height);
    const catches = layout.edges.filter((edge) => edge.kind === 'catch');
    expect(catches.map((edge) => edge.from).sort()).toEqual([
      'FinalizeJob',
      'IngestChunks',
      'IngestGroup',
      'PrepareJob',
    ]);
  });

  it("draws the Choice's group branch in a column to the right: IngestGroup (its end), its failure below", () => {
    const right = (id: string) => node(id).x + node(id).width;
    expect(node('IngestGroup').x).toBeGreaterThan(right('IngestChunks'));
    expect(node('IngestGroup').y).toBe(node('PrepareJob').y);
    // IngestGroup has no Next (it ends the execution), so its Catch target is the column's next node.
    expect(centre('MarkGroupFailed')).toBe(centre('IngestGroup'));
    expect(node('MarkGroupFailed').y).toBeGreaterThan(node('IngestGroup').y);
    expect(centre('GroupFailed')).toBe(centre('MarkGroupFailed'));
    const fromChoice = layout.edges.filter((edge) => edge.from === 'SingleJobOrGroup');
    expect(fromChoice.map((edge) => [edge.to, edge.kind, edge.back])).toEqual([
      ['PrepareJob', 'choice', false],
      ['IngestGroup', 'default', false],
    ]);
    expect(
      layout.edges
        .filter((edge) => edge.to === endMarker)
        .map((edge) => edge.from)
        .sort(),
    ).toEqual(['GroupFailed', 'IngestGroup', 'JobFailed', 'JobSucceeded']);
  });

  it('ends every forward edge on the top of its target and keeps nodes apart and inside the drawing', () => {
    for (const edge of layout.edges.filter((e) => !e.back)) {
      const target = node(edge.to);
      expect(edge.points.at(-1)).toEqual([target.x + target.width / 2, target.y]);
    }
    for (const a of layout.nodes) {
      expect(a.x + a.width).toBeLessThanOrEqual(layout.width);
      expect(a.y + a.height).toBeLessThanOrEqual(layout.height);
      for (const b of layout.nodes) {
        if (a === b) continue;
        const apart =
          a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
      }
    }
  });

  it("draws the Map's item processor inside the Map's box", () => {
    const map = node('IngestChunks');
    expect(map.children).toHaveLength(1);
    const { x, y, layout: inner } = map.children[0]!;
    const chunk = node('IngestChunk', inner);
    expect(x + chunk.x).toBeGreaterThan(0);
    expect(x + chunk.x + chunk.width).toBeLessThan(map.width);
    expect(y + chunk.y).toBeGreaterThan(0);
    expect(y + chunk.y + chunk.height).toBeLessThan(map.height);
    expect(inner.nodes.map((n) => n.id)).toEqual(['IngestChunk']);
  });

  it('routes a loop around the right side and places branches and parallel branches side by side', () => {
    const graph = parseDefinition({
      StartAt: 'Check',
      States: {
        Check: {
          Type: 'Choice',
          Choices: [{ Variable: '$.done', BooleanEquals: false, Next: 'Work' }],
          Default: 'Done',
        },
        Work: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
            { StartAt: 'B', States: { B: { Type: 'Pass', End: true } } },
          ],
          Next: 'Check',
        },
        Done: { Type: 'Succeed' },
      },
    });
    const loop = layoutGraph(graph);
    const find = (id: string) => loop.nodes.find((n) => n.id === id)!;
    const back = loop.edges.find((edge) => edge.from === 'Work' && edge.to === 'Check')!;
    expect(back.back).toBe(true);
    const rightmost = Math.max(...loop.nodes.map((n) => n.x + n.width));
    expect(Math.max(...back.points.map(([x]) => x))).toBeGreaterThan(rightmost);
    expect(find('Work').y).toBeGreaterThan(find('Check').y);
    expect(find('Done').x).toBeGreaterThan(find('Work').x);
    const [first, second] = find('Work').children;
    expect(second!.x).toBeGreaterThanOrEqual(first!.x + first!.layout.width);
  });
});

describe('state outcomes from the execution history', () => {
  it('marks every state of a succeeded execution succeeded and counts the Map iterations', () => {
    const h = new History();
    const prepared = h.task('PrepareJob', h.started());
    const mapped = h.map('IngestChunks', 'IngestChunk', prepared, [['ok'], ['ok']]);
    const finalized = h.task('FinalizeJob', mapped);
    h.add(
      'ExecutionSucceeded',
      { output: '{}' },
      h.exit('JobSucceeded', h.enter('JobSucceeded', finalized, 'Succeed'), 'Succeed'),
    );
    const outcome = executionOutcome(h.events, 'SUCCEEDED');
    expect(statuses(h, 'SUCCEEDED')).toEqual({
      PrepareJob: 'succeeded',
      IngestChunks: 'succeeded',
      IngestChunk: 'succeeded',
      FinalizeJob: 'succeeded',
      JobSucceeded: 'succeeded',
    });
    const chunk = outcome.states.get('IngestChunk')!;
    expect(chunk.runs.map((run) => run.iteration)).toEqual([0, 1]);
    expect(chunk.counts).toEqual({ succeeded: 2 });
    expect(iterationSummary(outcome.states.get('IngestChunks')!.runs[0]!)).toBe('2 iterations: 2 succeeded');
    expect(outcome.states.get('PrepareJob')!.runs[0]).toMatchObject({
      input: '{"into":"PrepareJob"}',
      output: '{"from":"PrepareJob"}',
      attempts: 1,
    });
  });

  it('marks a failure handled by a Catch as caught, with or without an exit event', () => {
    for (const withExit of [true, false]) {
      const h = new History();
      const attempt = h.attempts(h.enter('FinalizeJob', h.task('PrepareJob', h.started())), [
        'ResultMismatch',
      ]);
      const failed = withExit ? h.exit('FinalizeJob', attempt) : attempt;
      const marked = h.task('MarkJobFailed', failed);
      h.add('ExecutionFailed', { error: 'JobFailed' }, h.enter('JobFailed', marked, 'Fail'));
      expect(statuses(h, 'FAILED')).toEqual({
        PrepareJob: 'succeeded',
        FinalizeJob: 'caught',
        MarkJobFailed: 'succeeded',
        JobFailed: 'failed',
      });
      const finalize = executionOutcome(h.events, 'FAILED').states.get('FinalizeJob')!.runs[0]!;
      expect(finalize).toMatchObject({ error: 'ResultMismatch', cause: 'ResultMismatch: details' });
    }
  });

  it('counts retries of a state that succeeded in the end', () => {
    const h = new History();
    h.task('PrepareJob', h.started(), ['Lambda.ServiceException', 'TransientError', 'ok']);
    const prepare = executionOutcome(h.events, 'RUNNING').states.get('PrepareJob')!;
    expect(prepare).toMatchObject({ status: 'succeeded', retries: 2 });
    expect(prepare.runs[0]!.attempts).toBe(3);
  });

  it('fails the Map and the iteration that failed when nothing catches it', () => {
    const h = new History();
    const mapped = h.map('IngestChunks', 'IngestChunk', h.started(), [['ok'], ['Boom']], false);
    h.add('ExecutionFailed', { error: 'Boom' }, mapped);
    const outcome = executionOutcome(h.events, 'FAILED');
    expect(statuses(h, 'FAILED')).toEqual({ IngestChunks: 'failed', IngestChunk: 'failed' });
    expect(outcome.states.get('IngestChunk')!.counts).toEqual({ succeeded: 1, failed: 1 });
    expect(iterationSummary(outcome.states.get('IngestChunks')!.runs[0]!)).toBe(
      '2 iterations: 1 succeeded, 1 failed',
    );
  });

  it('shows a state as running while it runs or waits to retry, and cancelled when the execution is stopped', () => {
    const h = new History();
    h.attempts(h.enter('PrepareJob', h.started()), ['TransientError']);
    expect(statuses(h, 'RUNNING')).toEqual({ PrepareJob: 'running' });
    h.add('ExecutionAborted', { error: 'Console.Stopped' }, h.events.length);
    expect(statuses(h, 'ABORTED')).toEqual({ PrepareJob: 'cancelled' });
  });

  it('judges a resumed execution by the latest run of each state', () => {
    const h = new History();
    h.attempts(h.enter('PrepareJob', h.started()), []);
    const redriven = h.add('ExecutionRedriven', { redriveCount: 1 }, h.events.length);
    h.task('PrepareJob', redriven);
    const prepare = executionOutcome(h.events, 'RUNNING').states.get('PrepareJob')!;
    expect(prepare.status).toBe('succeeded');
    expect(prepare.counts).toEqual({ cancelled: 1, succeeded: 1 });
  });
});

describe('event history rows', () => {
  it('names each event’s step (with its Map iteration), time since the start, data and error', () => {
    const h = new History();
    const mapped = h.map('IngestChunks', 'IngestChunk', h.started(), [['ok'], ['Boom', 'ok']]);
    h.add('ExecutionSucceeded', { output: '{}' }, mapped);
    const rows = historyRows(h.events, executionOutcome(h.events, 'SUCCEEDED').runOfEvent);
    expect(rows[0]).toMatchObject({
      type: 'ExecutionStarted',
      step: '',
      elapsedMs: 0,
      data: { input: '{"jobId":"j1"}' },
    });
    const failed = rows.find((row) => row.type === 'TaskFailed')!;
    expect(failed).toMatchObject({
      step: 'IngestChunk #1',
      error: 'Boom',
      cause: 'Boom: details',
      facts: {},
      outcome: 'failed',
    });
    expect(failed.elapsedMs).toBe((failed.id - 1) * 250);
    expect(rows.find((row) => row.type === 'MapIterationStarted')).toMatchObject({
      step: 'IngestChunks',
      facts: { index: 0 },
    });
    expect(rows.find((row) => row.type === 'TaskScheduled')!.facts).toEqual({
      resourceType: 'lambda',
      resource: 'invoke',
    });
    expect(rows.at(-1)).toMatchObject({ type: 'ExecutionSucceeded', outcome: 'succeeded' });
  });
});

describe('routes and formatting', () => {
  const arn = 'arn:aws:states:us-east-1:000000000000:execution:sluice-ingest:01JOB';

  it('round-trips the pages through their hashes, keeping a valid status filter only', () => {
    expect(parseRoute(executionHref(arn))).toEqual({ page: 'execution', executionArn: arn });
    expect(executionHref(arn)).toBe(`#/executions/${encodeURIComponent(arn)}`);
    const machine = 'arn:aws:states:us-east-1:000000000000:stateMachine:sluice-ingest';
    expect(parseRoute(stateMachineHref(machine, 'FAILED'))).toEqual({
      page: 'stateMachine',
      stateMachineArn: machine,
      status: 'FAILED',
    });
    expect(parseRoute('')).toEqual({ page: 'home' });
    expect(parseRoute('#/?status=TIMED_OUT')).toEqual({ page: 'home', status: 'TIMED_OUT' });
    expect(parseRoute('#/?status=NOPE')).toEqual({ page: 'home' });
    expect(parseRoute('#/executions/%E0%A4%A')).toEqual({ page: 'notFound', path: '/executions/%E0%A4%A' });
    expect(jobHref('http://127.0.0.1:4701/', '01JOB')).toBe('http://127.0.0.1:4701/#/jobs/01JOB');
  });

  it('formats durations, statuses and JSON for people', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_345)).toBe('12.345 s');
    expect(formatDuration(184_000)).toBe('3 min 4 s');
    expect(formatDuration(7_500_000)).toBe('2 h 5 min');
    expect(durationMs(100, 101.5, 0)).toBe(1500);
    expect(durationMs(100, undefined, 100_250)).toBe(250);
    expect(statusText('TIMED_OUT')).toBe('Timed out');
    expect(prettyJson('{"a":[1]}')).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(prettyJson('not json')).toBe('not json');
  });
});

describe('the Step Functions client', () => {
  function fakeFetch(responses: { status: number; body: object }[]) {
    const requests: { url: string; headers: Record<string, string>; body: unknown }[] = [];
    const fetchImpl = async (url: string, init: { headers: Record<string, string>; body: string }) => {
      requests.push({ url, headers: init.headers, body: JSON.parse(init.body) });
      const { status, body } = responses.shift()!;
      return { status, ok: status < 300, text: async () => JSON.stringify(body) };
    };
    return { requests, client: new SfnClient('/sfn', fetchImpl) };
  }

  it('sends AWS JSON 1.0 requests and reads every page of a history', async () => {
    const { requests, client } = fakeFetch([
      { status: 200, body: { events: [{ id: 1 }], nextToken: 't1' } },
      { status: 200, body: { events: [{ id: 2 }] } },
    ]);
    const events = await client.getExecutionHistory('arn:x');
    expect(events.map((event) => event.id)).toEqual([1, 2]);
    expect(requests[0]).toEqual({
      url: '/sfn',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.GetExecutionHistory',
      },
      body: { executionArn: 'arn:x', maxResults: 1000, includeExecutionData: true },
    });
    expect(requests[1]!.body).toMatchObject({ nextToken: 't1' });
  });

  it('turns an AWS error into an SfnApiError with its code', async () => {
    const { client } = fakeFetch([
      { status: 400, body: { __type: 'com.amazonaws.states#ExecutionDoesNotExist', message: 'gone' } },
    ]);
    const failure = await client.describeExecution('arn:x').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SfnApiError);
    expect(failure).toMatchObject({ code: 'ExecutionDoesNotExist', message: 'gone', status: 400 });
  });
});

describe('the jobs an execution carries', () => {
  it('lists a group execution’s jobs from its input, and one job for any other execution', () => {
    const input = JSON.stringify({
      group: { id: 'g-1', bucket: 'b', key: 'work/groups/g-1.json' },
      jobs: [{ jobId: '01A', tenant: 't' }, { jobId: '01B', tenant: 't' }, { tenant: 'no id' }],
    });
    expect(carriedJobs({ name: 'g-1', input })).toEqual({ group: true, jobIds: ['01A', '01B'] });
    expect(carriedJobs({ name: 'g-2' })).toEqual({ group: true, jobIds: [] });
    expect(carriedJobs({ name: '01JOB', input: '{"jobId":"01JOB","tenant":"t"}' })).toEqual({
      group: false,
      jobIds: ['01JOB'],
    });
  });
});
