// @ts-check
/** Shared pieces: status badges, JSON blocks, the graph legend, error notices. */
import { h } from './dom';
import { prettyJson, statusText } from './format';
import { stateStatuses, statusLabels } from './outcomes';

/** @type {Record<string, string>} */
const executionIcons = {
  RUNNING: '◔',
  SUCCEEDED: '✓',
  FAILED: '✕',
  TIMED_OUT: '⏱',
  ABORTED: '■',
  PENDING_REDRIVE: '↻',
};

/** @param {string} status an execution status */
export function statusBadge(status) {
  return h(
    'span',
    { class: `badge badge-${status.toLowerCase()}`, 'data-status': status },
    h('span', { 'aria-hidden': 'true' }, executionIcons[status] ?? '•'),
    ` ${statusText(status)}`,
  );
}

/**
 * A JSON document, collapsed under its label.
 * @param {string} label
 * @param {string | undefined} text
 * @param {boolean} [open]
 */
export function jsonBlock(label, text, open = false) {
  if (text === undefined) return null;
  return h(
    'details',
    { class: 'json', open },
    h('summary', {}, label),
    h('pre', { tabindex: 0 }, prettyJson(text)),
  );
}

/**
 * @param {string | undefined} error
 * @param {string | undefined} cause
 * @param {boolean} [retried] the failure of an attempt that was retried, not the final outcome
 */
export function errorDetails(error, cause, retried = false) {
  if (!error && !cause) return null;
  return h(
    'div',
    { class: retried ? 'retried-attempt' : 'error-details' },
    retried && h('p', {}, 'An attempt failed and was retried.'),
    error && h('p', {}, h('strong', {}, 'Error: '), h('code', {}, error)),
    cause && jsonBlock('Cause', cause, true),
  );
}

export function legend() {
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    ...stateStatuses.map((status) =>
      h(
        'li',
        {},
        h('span', { class: `swatch status-${status}`, 'aria-hidden': 'true' }),
        statusLabels[status],
      ),
    ),
    h(
      'li',
      {},
      h('span', { class: 'retry-badge', 'aria-hidden': 'true' }, '↻'),
      'Retried (succeeded after retries)',
    ),
  );
}

/** @param {unknown} error */
export function errorNotice(error) {
  const message = error instanceof Error ? error.message : String(error);
  return h(
    'div',
    { class: 'notice notice-error', role: 'alert' },
    `Step Functions request failed: ${message}`,
  );
}
