/**
 * #/events?type=&since=&until=: the caller's stored events of one type, newest `time` first, a page at a time.
 * The query lives in the hash, so a search can be bookmarked and Back returns to it.
 */
import type { StoredEvent } from '../api';
import { errorAlert, errorMessage, h, replaceChildren } from '../dom';
import { formatTime, isoToLocalInput, localInputToIso } from '../format';
import { hrefFor } from '../routes';
import type { View } from './context';
import { loading, pageHeading, table } from './parts';

const pageSize = 25;

const eventRow = (event: StoredEvent) =>
  h(
    'tr',
    null,
    h('td', null, event.time ? h('time', { datetime: event.time }, formatTime(event.time)) : '–'),
    h('td', { class: 'mono' }, event.id),
    h('td', { class: 'mono' }, event.source),
    h('td', null, event.subject ?? ''),
    h(
      'td',
      null,
      h(
        'details',
        null,
        h('summary', null, 'Show event'),
        h('pre', { class: 'json' }, JSON.stringify(event, null, 2)),
      ),
    ),
  );

export const renderEvents: View<{ type: string; since: string; until: string }> = (main, route, ctx) => {
  const field = (id: string, label: string, input: HTMLInputElement) =>
    h('div', { class: 'field' }, h('label', { for: id }, label), input);
  const typeInput = h('input', {
    id: 'events-type',
    name: 'type',
    required: true,
    list: 'known-types',
    value: route.type,
    autocomplete: 'off',
    placeholder: 'com.example.order.created',
  });
  const sinceInput = h('input', {
    id: 'events-since',
    type: 'datetime-local',
    value: isoToLocalInput(route.since),
  });
  const untilInput = h('input', {
    id: 'events-until',
    type: 'datetime-local',
    value: isoToLocalInput(route.until),
  });
  const knownTypes = h('datalist', { id: 'known-types' });
  const form = h(
    'form',
    { class: 'card query', role: 'search' },
    field('events-type', 'Event type', typeInput),
    knownTypes,
    field('events-since', 'From (your time)', sinceInput),
    field('events-until', 'Until (your time)', untilInput),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Show events')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = hrefFor({
      name: 'events',
      type: typeInput.value.trim(),
      since: localInputToIso(sinceInput.value),
      until: localInputToIso(untilInput.value),
    });
  });
  const results = h('div');
  const more = h('div', { class: 'more' });
  replaceChildren(main, pageHeading('Events'), form, results, more);

  // The types that have a schema are the likely ones; any type can still be typed in.
  ctx.api
    .listAllSchemas()
    .then((items) =>
      replaceChildren(
        knownTypes,
        items.map((item) => h('option', { value: item.type })),
      ),
    )
    .catch(() => undefined);

  if (!route.type) {
    replaceChildren(results, h('p', { class: 'muted' }, 'Choose an event type to see the stored events.'));
    return;
  }

  let rows: HTMLTableRowElement[] = [];
  async function load(cursor?: string): Promise<void> {
    replaceChildren(more);
    if (!cursor) replaceChildren(results, loading('events'));
    try {
      const page = await ctx.api.listEvents({
        type: route.type,
        since: route.since || undefined,
        until: route.until || undefined,
        limit: pageSize,
        cursor,
      });
      const before = rows.length;
      rows = [...rows, ...page.items.map(eventRow)];
      replaceChildren(
        results,
        rows.length === 0
          ? h('p', { class: 'empty' }, `No stored events of type ${route.type} in this time range.`)
          : table(
              `${rows.length} event${rows.length === 1 ? '' : 's'} of type ${route.type}, newest first`,
              ['Time', 'Id', 'Source', 'Subject', 'Event'],
              rows,
              'events',
            ),
      );
      if (page.nextCursor) {
        const next = page.nextCursor;
        replaceChildren(
          more,
          h('button', { type: 'button', onclick: () => void load(next) }, 'Show more events'),
        );
      }
      if (cursor) {
        rows[before]?.querySelector('summary')?.focus();
        ctx.announce(`${page.items.length} more events shown`);
      }
    } catch (error) {
      replaceChildren(results, errorAlert(`The events could not be loaded: ${errorMessage(error)}`));
    }
  }

  void load();
};
