// @ts-check
/* global history */
/** The state machines and their executions (`#/`), and one state machine (`#/state-machines/<arn>`). */
import { errorNotice, statusBadge } from './components';
import { h, poll } from './dom';
import { durationMs, formatDate, formatDuration, statusText } from './format';
import { parseDefinition } from './asl';
import { renderGraph } from './graph-view';
import { layoutGraph } from './layout';
import { executionHref, homeHref, stateMachineHref } from './routes';
import { executionStatuses } from './types';

/** @typedef {import('./types').ExecutionItem} ExecutionItem */
/** @typedef {import('./types').ExecutionStatus} ExecutionStatus */
/** @typedef {import('./types').StateMachineItem} StateMachineItem */
/** @typedef {import('./main').Context} Context */

export const pollIntervalMs = 1500;

/** @param {string} arn */
const arnName = (arn) => arn.split(':').pop() ?? arn;

/**
 * One table row per execution, updated in place so focus and expanded state survive a refresh.
 * @param {ExecutionItem} item
 * @param {boolean} showMachine
 */
function executionRow(item, showMachine) {
  const status = h('td', { class: 'status-cell' });
  const ended = h('td', {});
  const duration = h('td', { class: 'number' });
  const row = h(
    'tr',
    { 'data-execution': item.executionArn },
    h(
      'th',
      { scope: 'row' },
      h('a', { href: executionHref(item.executionArn), class: 'execution-link' }, item.name),
    ),
    status,
    showMachine &&
      h('td', {}, h('a', { href: stateMachineHref(item.stateMachineArn) }, arnName(item.stateMachineArn))),
    h('td', {}, formatDate(item.startDate)),
    ended,
    duration,
  );
  /** @param {ExecutionItem} next */
  const update = (next) => {
    if (row.dataset.status !== next.status) {
      row.dataset.status = next.status;
      status.replaceChildren(statusBadge(next.status));
    }
    ended.textContent = formatDate(next.stopDate);
    duration.textContent = formatDuration(durationMs(next.startDate, next.stopDate, Date.now()));
  };
  update(item);
  return { row, update };
}

/**
 * The executions table with its filters, polled while the page is shown.
 * @param {Context} ctx
 * @param {{ machines: () => Promise<string[]>, status?: ExecutionStatus, href: (status?: ExecutionStatus) => string, showMachine: boolean }} options
 * @param {AbortSignal} signal
 */
function executionsSection(ctx, options, signal) {
  let status = options.status;
  const statusSelect = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      {
        id: 'status-filter',
        onchange: () => {
          status = /** @type {ExecutionStatus | undefined} */ (statusSelect.value || undefined);
          history.replaceState(null, '', options.href(status));
          void refresh();
        },
      },
      h('option', { value: '' }, 'All statuses'),
      ...executionStatuses.map((value) =>
        h('option', { value, selected: value === status }, statusText(value)),
      ),
    )
  );
  const nameFilter = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'name-filter',
      type: 'search',
      placeholder: 'Job id or execution name',
      oninput: () => applyNameFilter(),
    })
  );
  const body = h('tbody', {});
  const meta = h('p', { class: 'list-meta', 'aria-live': 'polite' });
  const notice = h('div', {});
  const table = h(
    'table',
    { class: 'executions' },
    h('caption', { class: 'visually-hidden' }, 'Executions, newest first'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Name (job id)'),
        h('th', { scope: 'col' }, 'Status'),
        options.showMachine && h('th', { scope: 'col' }, 'State machine'),
        h('th', { scope: 'col' }, 'Started'),
        h('th', { scope: 'col' }, 'Ended'),
        h('th', { scope: 'col', class: 'number' }, 'Duration'),
      ),
    ),
    body,
  );
  /** @type {Map<string, ReturnType<typeof executionRow>>} */
  const rows = new Map();

  function applyNameFilter() {
    const needle = /** @type {HTMLInputElement} */ (nameFilter).value.trim().toLowerCase();
    for (const [arn, { row }] of rows)
      row.hidden = needle !== '' && !arnName(arn).toLowerCase().includes(needle);
  }

  async function refresh() {
    const wanted = status;
    try {
      const arns = await options.machines();
      const pages = await Promise.all(arns.map((arn) => ctx.sfn.listExecutions(arn, wanted)));
      if (signal.aborted || wanted !== status) return;
      const items = pages
        .flatMap((page) => page.executions)
        .sort((a, b) => b.startDate - a.startDate || (a.name < b.name ? 1 : -1));
      const keep = new Set(items.map((item) => item.executionArn));
      for (const [arn, { row }] of rows) {
        if (keep.has(arn)) continue;
        row.remove();
        rows.delete(arn);
      }
      items.forEach((item, index) => {
        let entry = rows.get(item.executionArn);
        if (!entry) {
          entry = executionRow(item, options.showMachine);
          rows.set(item.executionArn, entry);
        } else entry.update(item);
        if (body.children[index] !== entry.row) body.insertBefore(entry.row, body.children[index] ?? null);
      });
      applyNameFilter();
      const more = pages.some((page) => page.more) ? ' (the newest 100 of each state machine)' : '';
      const text = `${items.length} ${items.length === 1 ? 'execution' : 'executions'}${more}, newest first; updated every ${pollIntervalMs / 1000} s.`;
      if (meta.textContent !== text) meta.textContent = text;
      notice.replaceChildren();
    } catch (error) {
      notice.replaceChildren(errorNotice(error));
    }
  }

  poll(refresh, pollIntervalMs, signal);
  return h(
    'section',
    { 'aria-labelledby': 'executions-heading' },
    h('h2', { id: 'executions-heading' }, 'Executions'),
    h(
      'div',
      { class: 'filters', role: 'search' },
      h('label', { for: 'status-filter' }, 'Status'),
      statusSelect,
      h('label', { for: 'name-filter' }, 'Name contains'),
      nameFilter,
    ),
    notice,
    meta,
    h('div', { class: 'table-scroll' }, table),
  );
}

/** @param {StateMachineItem[]} machines */
function machinesTable(machines) {
  return h(
    'table',
    { class: 'machines' },
    h('caption', { class: 'visually-hidden' }, 'State machines'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Name'),
        h('th', { scope: 'col' }, 'Type'),
        h('th', { scope: 'col' }, 'ARN'),
        h('th', { scope: 'col' }, 'Created'),
      ),
    ),
    h(
      'tbody',
      {},
      ...machines.map((machine) =>
        h(
          'tr',
          {},
          h(
            'th',
            { scope: 'row' },
            h('a', { href: stateMachineHref(machine.stateMachineArn) }, machine.name),
          ),
          h('td', {}, machine.type),
          h('td', {}, h('code', {}, machine.stateMachineArn)),
          h('td', {}, formatDate(machine.creationDate)),
        ),
      ),
    ),
  );
}

/**
 * @param {Context} ctx
 * @param {{ status?: ExecutionStatus }} route
 * @param {AbortSignal} signal
 */
export function renderHome(ctx, route, signal) {
  ctx.setTitle('State machines and executions');
  const machinesSlot = h('div', {}, h('p', {}, 'Loading state machines…'));
  /** @type {Promise<StateMachineItem[]> | undefined} */
  let listed;
  const machines = async () => {
    // Listed once per visit: the local cloud declares its state machines at start.
    listed ??= ctx.sfn.listStateMachines().then((found) => {
      machinesSlot.replaceChildren(found.length ? machinesTable(found) : h('p', {}, 'No state machines.'));
      return found;
    });
    listed.catch(() => (listed = undefined));
    return (await listed).map((machine) => machine.stateMachineArn);
  };
  ctx.main.replaceChildren(
    h('h1', { tabindex: -1 }, 'State machines and executions'),
    h(
      'section',
      { 'aria-labelledby': 'machines-heading' },
      h('h2', { id: 'machines-heading' }, 'State machines'),
      machinesSlot,
    ),
    executionsSection(ctx, { machines, status: route.status, href: homeHref, showMachine: true }, signal),
  );
}

/**
 * @param {Context} ctx
 * @param {{ stateMachineArn: string, status?: ExecutionStatus }} route
 * @param {AbortSignal} signal
 */
export function renderStateMachine(ctx, route, signal) {
  const arn = route.stateMachineArn;
  const name = arnName(arn);
  ctx.setTitle(`State machine ${name}`);
  const facts = h('div', {}, h('p', {}, 'Loading…'));
  const definition = h('div', {});
  ctx.main.replaceChildren(
    h(
      'nav',
      { 'aria-label': 'Breadcrumb', class: 'breadcrumb' },
      h('a', { href: homeHref() }, 'State machines'),
      ' › ',
      name,
    ),
    h('h1', { tabindex: -1 }, name),
    facts,
    executionsSection(
      ctx,
      {
        machines: async () => [arn],
        status: route.status,
        href: (status) => stateMachineHref(arn, status),
        showMachine: false,
      },
      signal,
    ),
    definition,
  );
  ctx.sfn.describeStateMachine(arn).then(
    (machine) => {
      if (signal.aborted) return;
      facts.replaceChildren(
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'ARN'),
          h('dd', {}, h('code', {}, machine.stateMachineArn)),
          h('dt', {}, 'Type'),
          h('dd', {}, machine.type),
          h('dt', {}, 'Created'),
          h('dd', {}, formatDate(machine.creationDate)),
        ),
      );
      definition.replaceChildren(
        h(
          'section',
          { 'aria-labelledby': 'definition-heading' },
          h('h2', { id: 'definition-heading' }, 'Definition'),
          h('div', { class: 'graph-scroll' }, renderGraph(layoutGraph(parseDefinition(machine.definition)))),
        ),
      );
    },
    (error) => facts.replaceChildren(errorNotice(error)),
  );
}
