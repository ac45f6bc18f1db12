/**
 * #/schemas and #/schemas/<type>: the caller's JSON Schemas for event data. The editor sends the text as typed;
 * the API answers a schema that is not JSON or does not compile with a 400 whose message is shown as is.
 */
import { ApiError } from '../api';
import { errorAlert, errorMessage, h, replaceChildren } from '../dom';
import { formatTime } from '../format';
import { hrefFor } from '../routes';
import type { View, ViewContext } from './context';
import { loading, pageHeading } from './parts';

const starterSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {},
  required: [],
};

/** The types with a schema, as links; `reload` after a save adds a new type to it. */
function schemaList(ctx: ViewContext, current: string | undefined) {
  const element = h(
    'nav',
    { class: 'schema-list', 'aria-label': 'Event types with a schema' },
    loading('schemas'),
  );
  const link = (type: string) =>
    h(
      'a',
      {
        href: hrefFor({ name: 'schemas', type }),
        class: 'mono',
        'aria-current': type === current ? 'page' : undefined,
      },
      type,
    );
  const reload = () =>
    ctx.api
      .listAllSchemas()
      .then((items) =>
        replaceChildren(
          element,
          items.length === 0
            ? h('p', { class: 'muted' }, 'No schemas yet.')
            : h(
                'ul',
                null,
                items.map((item) => h('li', null, link(item.type))),
              ),
        ),
      )
      .catch((error: unknown) =>
        replaceChildren(element, errorAlert(`The schemas could not be loaded: ${errorMessage(error)}`)),
      );
  void reload();
  return { element, reload };
}

function newSchemaForm() {
  const input = h('input', {
    id: 'new-type',
    name: 'type',
    required: true,
    placeholder: 'com.example.order.created',
  });
  const form = h(
    'form',
    { class: 'new-schema' },
    h('div', { class: 'field' }, h('label', { for: 'new-type' }, 'New event type'), input),
    h('button', { type: 'submit' }, 'Write a schema'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = hrefFor({ name: 'schemas', type: input.value.trim() });
  });
  return form;
}

function editor(ctx: ViewContext, type: string, onSaved: () => void) {
  const textarea = h('textarea', {
    id: 'schema-text',
    rows: 20,
    spellcheck: 'false',
    'aria-describedby': 'schema-hint',
  });
  const outcome = h('div', { class: 'outcome' });
  const stamp = h(
    'p',
    { class: 'muted', id: 'schema-hint' },
    'JSON Schema (draft 2020-12 or draft-07) for the event’s data.',
  );
  const save = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Save schema');
  const form = h(
    'form',
    { class: 'card editor' },
    h('h2', null, 'Schema for ', h('span', { class: 'mono' }, type)),
    h('label', { for: 'schema-text' }, 'JSON Schema'),
    stamp,
    textarea,
    outcome,
    h('div', { class: 'actions' }, save),
  );

  ctx.api
    .getSchema(type)
    .then((stored) => {
      textarea.value = JSON.stringify(stored.schema, null, 2);
      stamp.textContent = `Last saved ${formatTime(stored.updatedAt)}.`;
    })
    .catch((error: unknown) => {
      if (!(error instanceof ApiError && error.status === 404)) {
        replaceChildren(outcome, errorAlert(`The schema could not be loaded: ${errorMessage(error)}`));
      }
      textarea.value = JSON.stringify(starterSchema, null, 2);
      stamp.textContent = 'No schema yet: events of this type are checked against the envelope only.';
    })
    .finally(() => (save.disabled = false));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save.disabled = true;
    replaceChildren(outcome);
    ctx.api
      .putSchema(type, textarea.value)
      .then((saved) => {
        stamp.textContent = `Last saved ${formatTime(saved.updatedAt)}.`;
        replaceChildren(outcome, h('p', { class: 'success', role: 'status' }, 'Schema saved.'));
        onSaved();
      })
      .catch((error: unknown) => {
        const prefix =
          error instanceof ApiError && error.code === 'InvalidSchema' ? 'The schema does not compile: ' : '';
        replaceChildren(outcome, errorAlert(`${prefix}${errorMessage(error)}`));
      })
      .finally(() => (save.disabled = false));
  });
  return form;
}

export const renderSchemas: View<{ type?: string }> = (main, route, ctx) => {
  const list = schemaList(ctx, route.type);
  replaceChildren(
    main,
    pageHeading('Schemas'),
    h(
      'div',
      { class: 'split' },
      h('aside', null, list.element, newSchemaForm()),
      route.type === undefined
        ? h('p', { class: 'muted' }, 'Pick an event type, or name a new one, to view and edit its schema.')
        : editor(ctx, route.type, () => void list.reload()),
    ),
  );
};
