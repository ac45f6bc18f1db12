// @ts-check
/* global document, CSS */
/**
 * One execution (`#/executions/<url-encoded executionArn>`): its summary and job link, the graph coloured by
 * each state's outcome, the selected state's input and output, and the event history; refreshed while it runs.
 */
import { errorDetails, errorNotice, jsonBlock, legend, statusBadge } from './components';
import { h, poll } from './dom';
import { durationMs, formatDate, formatDuration, prettyJson } from './format';
import { allStates, parseDefinition } from './asl';
import { renderGraph } from './graph-view';
import { historyRows, stepName } from './history-rows';
import { layoutGraph } from './layout';
import { executionOutcome, iterationSummary, statusLabels } from './outcomes';
import { carriedJobs, homeHref, jobHref, stateMachineHref } from './routes';
import { pollIntervalMs } from './list-page';

/** @typedef {import('./main').Context} Context */
/** @typedef {import('./types').ExecutionDescription} ExecutionDescription */
/** @typedef {import('./outcomes').ExecutionOutcome} ExecutionOutcome */
/** @typedef {import('./outcomes').StateRun} StateRun */
/** @typedef {import('./history-rows').HistoryRow} HistoryRow */

const historyPageRows = 500;

/** @param {string} arn */
const arnName = (arn) => arn.split(':').pop() ?? arn;

/**
 * @param {Context} ctx
 * @param {ExecutionDescription} execution
 */
function summary(ctx, execution) {
  const carried = carriedJobs(execution);
  /** @param {string} jobId */
  const jobItem = (jobId) =>
    h(
      'li',
      {},
      ctx.cdnUrl
        ? h('a', { href: jobHref(ctx.cdnUrl, jobId), class: 'job-id' }, jobId)
        : h('code', { class: 'job-id' }, jobId),
    );
  const jobRows = carried.group
    ? [
        ['Group', h('code', {}, execution.name)],
        [
          'Jobs',
          h(
            'details',
            { class: 'group-jobs', open: carried.jobIds.length <= 10 },
            h('summary', {}, `${carried.jobIds.length} job${carried.jobIds.length === 1 ? '' : 's'}`),
            h('ul', {}, ...carried.jobIds.map(jobItem)),
          ),
        ],
      ]
    : [
        [
          'Job',
          h(
            'span',
            {},
            h('code', { class: 'job-id' }, execution.name),
            ctx.cdnUrl && ' ',
            ctx.cdnUrl &&
              h(
                'a',
                { href: jobHref(ctx.cdnUrl, execution.name), class: 'job-link' },
                'Open the job in the web app',
              ),
          ),
        ],
      ];
  const rows = [
    ['Status', statusBadge(execution.status)],
    ...jobRows,
    ['Execution ARN', h('code', {}, execution.executionArn)],
    [
      'State machine',
      h('a', { href: stateMachineHref(execution.stateMachineArn) }, arnName(execution.stateMachineArn)),
    ],
    ['Started', formatDate(execution.startDate)],
    ['Ended', formatDate(execution.stopDate)],
    [
      'Duration',
      h(
        'span',
        { class: 'duration' },
        formatDuration(durationMs(execution.startDate, execution.stopDate, Date.now())),
      ),
    ],
  ];
  if (execution.redriveCount) rows.push(['Resumed after restarts', String(execution.redriveCount)]);
  return h(
    'dl',
    { class: 'facts' },
    ...rows.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
}

/**
 * The selected state: one of its runs (a Map iteration, a loop pass) with input, output, error and cause.
 * @param {string} name
 * @param {ExecutionOutcome} outcome
 * @param {string | undefined} type
 */
function statePanel(name, outcome, type) {
  const state = outcome.states.get(name);
  const heading = h('h3', { id: 'state-panel-heading', tabindex: -1 }, name);
  if (!state) {
    return [
      heading,
      h('p', {}, `${type ?? 'This'} state: ${statusLabels.notRun}. It did not run in this execution.`),
    ];
  }
  const runs = state.runs;
  const failedRun = runs.findLastIndex((run) => run.status === 'failed' || run.status === 'caught');
  const preferred = failedRun >= 0 ? failedRun : runs.length - 1;
  const runSlot = h('div', {});
  /** @param {StateRun} run */
  const showRun = (run) =>
    runSlot.replaceChildren(
      h(
        'div',
        {},
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Status'),
          h('dd', { class: `state-status status-text-${run.status}` }, statusLabels[run.status]),
          h('dt', {}, 'Started'),
          h('dd', {}, formatDate(run.startedAt)),
          h('dt', {}, 'Duration'),
          h('dd', {}, run.endedAt === undefined ? '–' : formatDuration((run.endedAt - run.startedAt) * 1000)),
          run.attempts > 0 && h('dt', {}, 'Attempts'),
          run.attempts > 0 &&
            h('dd', {}, run.attempts > 1 ? `${run.attempts} (${run.attempts - 1} retried)` : '1'),
          run.iterationCount !== undefined && h('dt', {}, 'Iterations'),
          run.iterationCount !== undefined && h('dd', {}, iterationSummary(run)),
        ),
        errorDetails(run.error, run.cause, run.status === 'succeeded' || run.status === 'running'),
        jsonBlock('Input', run.input, true),
        jsonBlock('Output', run.output, true),
      ),
    );
  const chooser =
    runs.length > 1 &&
    h(
      'p',
      {},
      h('label', { for: 'run-select' }, `Run (${runs.length}) `),
      h(
        'select',
        {
          id: 'run-select',
          onchange: (/** @type {Event} */ event) =>
            showRun(
              /** @type {StateRun} */ (runs[Number(/** @type {HTMLSelectElement} */ (event.target).value)]),
            ),
        },
        ...runs.map((run, index) =>
          h(
            'option',
            { value: index, selected: index === preferred },
            `${stepName(run) || `Run ${index + 1}`}: ${statusLabels[run.status]}`,
          ),
        ),
      ),
    );
  showRun(/** @type {StateRun} */ (runs[preferred]));
  const retried =
    state.retries > 0 ? `, retried ${state.retries} ${state.retries === 1 ? 'time' : 'times'}` : '';
  return [
    heading,
    h('p', {}, `${type ?? ''} state: ${statusLabels[state.status]}${retried}.`),
    chooser || '',
    runSlot,
  ];
}

/** @param {HistoryRow} row */
function historyRow(row) {
  const hasDetails =
    Object.keys(row.data).length > 0 || row.error || row.cause || Object.keys(row.facts).length > 0;
  return h(
    'tr',
    { class: `event outcome-${row.outcome}`, 'data-event-type': row.type },
    h('td', { class: 'number' }, row.id),
    h('td', {}, row.type),
    h('td', {}, row.step),
    h('td', { class: 'number' }, formatDuration(row.elapsedMs)),
    h('td', {}, formatDate(row.timestamp)),
    h(
      'td',
      {},
      hasDetails &&
        h(
          'details',
          { class: 'event-details' },
          h('summary', {}, h('span', { class: 'visually-hidden' }, `Event ${row.id} `), 'Details'),
          Object.keys(row.facts).length > 0 &&
            h(
              'p',
              { class: 'facts-line' },
              Object.entries(row.facts)
                .map(([key, value]) => `${key}: ${value}`)
                .join(' · '),
            ),
          row.error && h('p', {}, h('strong', {}, 'Error: '), h('code', {}, row.error)),
          row.cause &&
            h('p', {}, h('strong', {}, 'Cause:'), h('pre', { tabindex: 0 }, prettyJson(row.cause))),
          ...Object.entries(row.data).map(([field, text]) =>
            h(
              'div',
              {},
              h('strong', {}, field.charAt(0).toUpperCase() + field.slice(1)),
              h('pre', { tabindex: 0 }, prettyJson(text)),
            ),
          ),
        ),
    ),
  );
}

/** A stop confirmation in a modal dialog (focus moves in, Escape cancels). */
function confirmStop(/** @type {string} */ name, /** @type {() => Promise<void>} */ stop) {
  const message = h('p', { class: 'dialog-message' });
  const dialog = /** @type {HTMLDialogElement} */ (
    h(
      'dialog',
      { 'aria-labelledby': 'stop-heading', class: 'stop-dialog' },
      h('h2', { id: 'stop-heading' }, `Stop execution ${name}?`),
      h('p', {}, 'No further states run; the execution ends as Aborted.'),
      message,
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Cancel'),
        h(
          'button',
          {
            type: 'button',
            class: 'danger',
            id: 'confirm-stop',
            onclick: async () => {
              message.textContent = 'Stopping…';
              try {
                await stop();
                dialog.close();
              } catch (error) {
                message.textContent = error instanceof Error ? error.message : String(error);
              }
            },
          },
          'Stop execution',
        ),
      ),
    )
  );
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

/**
 * A change key for the parts of the outcome the graph shows.
 * @param {ExecutionOutcome} outcome
 */
const outcomeKey = (outcome) =>
  JSON.stringify(
    [...outcome.states.values()].map((state) => [
      state.name,
      state.status,
      state.retries,
      state.counts,
      state.runs.at(-1)?.iterations.size,
    ]),
  );

/**
 * @param {Context} ctx
 * @param {{ executionArn: string }} route
 * @param {AbortSignal} signal
 */
export function renderExecution(ctx, route, signal) {
  const arn = route.executionArn;
  const name = arnName(arn);
  ctx.setTitle(`Execution ${name}`);
  const title = h('h1', { tabindex: -1 }, `Execution ${name}`);
  const notice = h('div', {});
  const summarySlot = h('div', {}, h('p', {}, 'Loading…'));
  const actions = h('div', { class: 'actions' });
  const errorSlot = h('div', {});
  const graphSlot = h('div', { class: 'graph-scroll' });
  const panel = h(
    'div',
    { class: 'state-panel', 'aria-live': 'polite' },
    h('p', {}, 'Select a state in the graph (click, or Tab then Enter) to see its input and output.'),
  );
  const ioSlot = h('div', {});
  const historyBody = h('tbody', {});
  const historyMeta = h('p', { class: 'list-meta' });
  let historyLimit = historyPageRows;
  const moreButton = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      hidden: true,
      onclick: () => ((historyLimit += historyPageRows), showHistory()),
    },
    'Show more events',
  );

  /** @type {ReturnType<typeof layoutGraph> | undefined} */
  let layout;
  /** @type {Map<string, string>} */
  let stateTypes = new Map();
  /** @type {ExecutionOutcome | undefined} */
  let outcome;
  /** @type {HistoryRow[]} */
  let rows = [];
  /** @type {string | undefined} */
  let selected;
  let graphKey = '';
  let panelKey = '';
  let lastStatus = '';

  function drawGraph() {
    if (!layout || !outcome) return;
    const focused = document.activeElement?.closest?.('[data-state]')?.getAttribute('data-state');
    graphSlot.replaceChildren(renderGraph(layout, { outcome, selected, onSelect: select }));
    if (focused)
      /** @type {SVGElement | null} */ (
        graphSlot.querySelector(`[data-state="${CSS.escape(focused)}"]`)
      )?.focus();
  }

  function drawPanel() {
    if (!outcome || selected === undefined) return;
    const key = `${selected}|${JSON.stringify(outcome.states.get(selected)?.runs.map((run) => [run.status, run.attempts, run.exitedEventId]))}`;
    if (key === panelKey) return;
    panelKey = key;
    panel.replaceChildren(...statePanel(selected, outcome, stateTypes.get(selected)));
  }

  /** @param {string} stateName */
  function select(stateName) {
    selected = stateName;
    drawGraph();
    drawPanel();
  }

  /** History only grows: rows already shown stay (with their expanded details); new ones are appended. */
  function showHistory() {
    const shown = historyBody.children.length;
    for (const row of rows.slice(shown, historyLimit)) historyBody.append(historyRow(row));
    moreButton.hidden = historyBody.children.length >= rows.length;
    historyMeta.textContent = `${rows.length} events, oldest first${moreButton.hidden ? '' : `; the first ${historyBody.children.length} shown`}.`;
  }

  /** @param {ExecutionDescription} execution */
  function drawExecution(execution) {
    summarySlot.replaceChildren(summary(ctx, execution));
    if (execution.status === lastStatus) return;
    lastStatus = execution.status;
    actions.replaceChildren(
      execution.status !== 'RUNNING'
        ? ''
        : h(
            'button',
            {
              type: 'button',
              class: 'danger',
              id: 'stop-execution',
              onclick: () =>
                confirmStop(name, async () => {
                  await ctx.sfn.stopExecution(arn);
                  ctx.announce(`Execution ${name} stopped.`);
                  await refresh();
                }),
            },
            'Stop execution',
          ),
    );
    errorSlot.replaceChildren(errorDetails(execution.error, execution.cause) ?? '');
    ioSlot.replaceChildren(
      jsonBlock('Execution input', execution.input, true) ?? '',
      jsonBlock('Execution output', execution.output, true) ?? '',
    );
  }

  /** @returns {Promise<boolean>} whether to keep polling */
  async function refresh() {
    try {
      if (!layout) {
        const machine = await ctx.sfn.describeStateMachineForExecution(arn);
        const graph = parseDefinition(machine.definition);
        layout = layoutGraph(graph);
        stateTypes = new Map([...allStates(graph)].map(([stateName, state]) => [stateName, state.type]));
      }
      const [execution, events] = await Promise.all([
        ctx.sfn.describeExecution(arn),
        ctx.sfn.getExecutionHistory(arn),
      ]);
      if (signal.aborted) return false;
      outcome = executionOutcome(events, execution.status);
      rows = historyRows(events, outcome.runOfEvent);
      drawExecution(execution);
      const key = outcomeKey(outcome);
      if (key !== graphKey) {
        graphKey = key;
        drawGraph();
      }
      drawPanel();
      showHistory();
      notice.replaceChildren();
      return execution.status === 'RUNNING';
    } catch (error) {
      notice.replaceChildren(errorNotice(error));
      return true;
    }
  }

  ctx.main.replaceChildren(
    h(
      'nav',
      { 'aria-label': 'Breadcrumb', class: 'breadcrumb' },
      h('a', { href: homeHref() }, 'Executions'),
      ' › ',
      name,
    ),
    title,
    notice,
    h('div', { class: 'summary' }, summarySlot, actions),
    errorSlot,
    h(
      'section',
      { 'aria-labelledby': 'graph-heading', class: 'graph-section' },
      h('h2', { id: 'graph-heading' }, 'Graph'),
      legend(),
      h(
        'div',
        { class: 'graph-layout' },
        graphSlot,
        h('aside', { 'aria-label': 'Selected state', class: 'state-aside' }, panel),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'io-heading' },
      h('h2', { id: 'io-heading' }, 'Input and output'),
      ioSlot,
    ),
    h(
      'section',
      { 'aria-labelledby': 'history-heading' },
      h('h2', { id: 'history-heading' }, 'Event history'),
      historyMeta,
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'history' },
          h('caption', { class: 'visually-hidden' }, 'Event history, oldest first'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col', class: 'number' }, 'ID'),
              h('th', { scope: 'col' }, 'Type'),
              h('th', { scope: 'col' }, 'Step'),
              h('th', { scope: 'col', class: 'number' }, 'Elapsed'),
              h('th', { scope: 'col' }, 'Date and time'),
              h('th', { scope: 'col' }, 'Input, output, error'),
            ),
          ),
          historyBody,
        ),
      ),
      moreButton,
    ),
  );
  poll(refresh, pollIntervalMs, signal);
}
