/** Pieces several views share: status badges, count tiles, headings, tables. */
import type { Job, JobStatus } from '../api';
import { h, type Child } from '../dom';
import { statusLabels } from '../format';

const statusIcons: Record<JobStatus, string> = {
  PENDING_UPLOAD: '◌',
  QUEUED: '◷',
  RUNNING: '↻',
  SUCCEEDED: '✓',
  FAILED: '✕',
};

/** Colour is never the only signal: the badge has an icon and words. */
export const statusBadge = (status: JobStatus) =>
  h(
    'span',
    { class: 'badge', 'data-status': status },
    h('span', { 'aria-hidden': 'true' }, statusIcons[status]),
    ` ${statusLabels[status]}`,
  );

/** The page heading: focused after navigation so screen readers start there. */
export const pageHeading = (...children: Child[]) => h('h1', { tabindex: -1 }, ...children);

export function countTiles(counts: Job['counts']) {
  const tile = (label: string, value: number, name: string) =>
    h(
      'div',
      { class: 'tile', 'data-count': name },
      h('dt', null, label),
      h('dd', null, value.toLocaleString()),
    );
  return h(
    'dl',
    { class: 'tiles' },
    tile('Received', counts.received, 'received'),
    tile('Accepted', counts.accepted, 'accepted'),
    tile('Rejected', counts.rejected, 'rejected'),
    tile('Duplicates', counts.duplicates, 'duplicates'),
  );
}

/** A column heading; numeric columns are right-aligned like their cells. */
export type Column = string | { label: string; numeric: true };
export const numeric = (label: string): Column => ({ label, numeric: true });

export function table(caption: Child, columns: Column[], rows: HTMLTableRowElement[], className = '') {
  const head = (column: Column) =>
    typeof column === 'string'
      ? h('th', { scope: 'col' }, column)
      : h('th', { scope: 'col', class: 'num' }, column.label);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: className },
      h('caption', null, caption),
      h('thead', null, h('tr', null, columns.map(head))),
      h('tbody', null, rows),
    ),
  );
}

export const loading = (what: string) => h('p', { class: 'muted', role: 'status' }, `Loading ${what}…`);
