// @ts-check
/** Draws a laid-out state machine graph as SVG, each state coloured and labelled by its outcome. */
import { svg } from './dom';
import { endMarker, startMarker } from './layout';
import { iterationSummary, statusLabels } from './outcomes';

/** @typedef {import('./layout').GraphLayout} GraphLayout */
/** @typedef {import('./layout').LaidOutNode} LaidOutNode */
/** @typedef {import('./outcomes').ExecutionOutcome} ExecutionOutcome */
/** @typedef {import('./outcomes').StateOutcome} StateOutcome */

/**
 * @typedef {object} GraphOptions
 * @property {ExecutionOutcome} [outcome] colours states by what happened; without it the graph is plain
 * @property {string} [selected]
 * @property {(name: string) => void} [onSelect]
 */

/** @param {[number, number][]} points */
const pathOf = (points) => points.map(([x, y], i) => `${i ? 'L' : 'M'}${x},${y}`).join(' ');

/** @param {StateOutcome | undefined} outcome */
function runsNote(outcome) {
  if (!outcome || outcome.runs.length < 2) return '';
  const counts = Object.entries(outcome.counts).map(
    ([status, n]) => `${n} ${statusLabels[/** @type {keyof typeof statusLabels} */ (status)].toLowerCase()}`,
  );
  return `${outcome.runs.length} runs: ${counts.join(', ')}`;
}

/**
 * @param {LaidOutNode} node
 * @param {GraphOptions} options
 */
function describeNode(node, options) {
  const state = /** @type {import('./asl').GraphState} */ (node.state);
  const outcome = options.outcome?.states.get(state.name);
  const status = options.outcome ? (outcome?.status ?? 'notRun') : undefined;
  const latest = outcome?.runs.at(-1);
  const iterations = state.type === 'Map' && latest ? iterationSummary(latest) : '';
  const retries = outcome?.retries ?? 0;
  const retried = retries > 0 ? `retried ${retries} ${retries === 1 ? 'time' : 'times'}` : '';
  const statusLabel = status ? statusLabels[status] : '';
  return {
    status,
    statusLabel,
    iterations,
    retries,
    retried,
    runs: runsNote(outcome),
    runCount: outcome?.runs.length ?? 0,
  };
}

/**
 * @param {LaidOutNode} node
 * @param {number} x
 * @param {number} y
 * @param {GraphOptions} options
 */
function stateNode(node, x, y, options) {
  const state = /** @type {import('./asl').GraphState} */ (node.state);
  const info = describeNode(node, options);
  const container = node.children.length > 0;
  const parts = [info.statusLabel, container ? info.iterations : info.runs, info.retried].filter(Boolean);
  const label = [`${state.name}, ${state.type} state`, ...parts].join(', ');
  const subline = container
    ? [info.statusLabel, info.iterations].filter(Boolean).join(' · ') ||
      (state.type === 'Map' ? 'Runs its item processor for each item' : 'Runs its branches in parallel')
    : [state.type, info.statusLabel, info.runCount > 1 ? `${info.runCount} runs` : '']
        .filter(Boolean)
        .join(' · ');
  const select = () => options.onSelect?.(state.name);
  const selected = options.selected === state.name;
  const group = svg(
    'g',
    {
      class: `node ${container ? 'container' : 'leaf'} status-${info.status ?? 'none'}${selected ? ' selected' : ''}`,
      transform: `translate(${x},${y})`,
      'data-state': state.name,
      'data-status': info.status ?? 'none',
      ...(options.onSelect
        ? { tabindex: 0, role: 'button', 'aria-pressed': String(selected), 'aria-label': label }
        : { role: 'img', 'aria-label': label }),
      onclick: select,
      onkeydown: (/** @type {KeyboardEvent} */ event) => {
        if (event.key !== 'Enter' && event.key !== ' ') return;
        event.preventDefault();
        select();
      },
    },
    svg('title', {}, label),
    svg('rect', { class: 'node-box', width: node.width, height: node.height, rx: 8 }),
  );
  if (container) {
    group.append(
      svg(
        'text',
        { class: 'node-name', x: 14, y: 22 },
        state.name,
        svg('tspan', { class: 'node-type' }, `  ${state.type}`),
      ),
      svg('text', { class: 'node-sub', x: 14, y: 41 }, subline),
    );
  } else {
    const middle = node.width / 2;
    group.append(
      svg('text', { class: 'node-name', x: middle, y: 22, 'text-anchor': 'middle' }, state.name),
      svg('text', { class: 'node-sub', x: middle, y: 40, 'text-anchor': 'middle' }, subline),
    );
  }
  if (info.retries > 0) {
    group.append(
      svg(
        'g',
        { class: 'retry', transform: `translate(${node.width - 34},-10)`, 'aria-hidden': 'true' },
        svg('rect', { width: 44, height: 20, rx: 10 }),
        svg('text', { x: 22, y: 14, 'text-anchor': 'middle' }, `↻ ${info.retries}`),
      ),
    );
  }
  return group;
}

/** @param {LaidOutNode} node @param {number} x @param {number} y */
function marker(node, x, y) {
  const text = node.id === startMarker ? 'Start' : 'End';
  return svg(
    'g',
    { class: 'marker', transform: `translate(${x},${y})`, 'aria-hidden': 'true' },
    svg('rect', { width: node.width, height: node.height, rx: node.height / 2 }),
    svg('text', { x: node.width / 2, y: node.height / 2 + 4, 'text-anchor': 'middle' }, text),
  );
}

/**
 * @param {SVGElement} parent
 * @param {GraphLayout} layout
 * @param {number} ox
 * @param {number} oy
 * @param {GraphOptions} options
 */
function draw(parent, layout, ox, oy, options) {
  const edges = svg('g', { class: 'edges', transform: `translate(${ox},${oy})`, 'aria-hidden': 'true' });
  for (const edge of layout.edges) {
    edges.append(
      svg(
        'path',
        {
          class: `edge edge-${edge.kind}${edge.back ? ' edge-back' : ''}`,
          d: pathOf(edge.points),
          'marker-end': 'url(#arrow)',
        },
        edge.label ? svg('title', {}, edge.label) : null,
      ),
    );
  }
  parent.append(edges);
  for (const node of layout.nodes) {
    const x = ox + node.x;
    const y = oy + node.y;
    if (node.id === startMarker || node.id === endMarker) {
      parent.append(marker(node, x, y));
      continue;
    }
    parent.append(stateNode(node, x, y, options));
    for (const child of node.children) draw(parent, child.layout, x + child.x, y + child.y, options);
  }
}

/**
 * @param {GraphLayout} layout
 * @param {GraphOptions} [options]
 * @returns {SVGElement}
 */
export function renderGraph(layout, options = {}) {
  const root = svg(
    'svg',
    {
      class: 'graph',
      width: layout.width,
      height: layout.height,
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      role: 'group',
      'aria-label': options.outcome
        ? 'Graph of the execution: each state with its outcome'
        : 'Graph of the state machine',
    },
    svg(
      'defs',
      {},
      svg(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }),
      ),
    ),
  );
  draw(root, layout, 0, 0, options);
  return root;
}
