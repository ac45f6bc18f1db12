/** #/jobs: the caller's jobs, newest first, a page at a time ("Show more" follows nextCursor). */
import type { Job } from '../api';
import { errorAlert, errorMessage, h, replaceChildren } from '../dom';
import { formatTime } from '../format';
import { hrefFor } from '../routes';
import type { View } from './context';
import { loading, numeric, pageHeading, statusBadge, table } from './parts';

const jobRow = (job: Job) =>
  h(
    'tr',
    { 'data-job-id': job.jobId },
    h(
      'th',
      { scope: 'row' },
      h('a', { href: hrefFor({ name: 'job', jobId: job.jobId }), class: 'mono' }, job.jobId),
    ),
    h('td', null, statusBadge(job.status)),
    h('td', null, job.source === 'upload' ? 'Upload' : 'API'),
    h('td', { class: 'num' }, job.counts.received.toLocaleString()),
    h('td', { class: 'num' }, job.counts.accepted.toLocaleString()),
    h('td', { class: 'num' }, job.counts.rejected.toLocaleString()),
    h('td', { class: 'num' }, job.counts.duplicates.toLocaleString()),
    h('td', null, h('time', { datetime: job.createdAt }, formatTime(job.createdAt))),
  );

export const renderJobs: View<unknown> = (main, _route, ctx) => {
  const body = h('div', null, loading('jobs'));
  const more = h('div', { class: 'more' });
  replaceChildren(
    main,
    h(
      'div',
      { class: 'page-head' },
      pageHeading('Jobs'),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', onclick: () => void load(true) }, 'Refresh'),
        h('a', { class: 'button primary', href: hrefFor({ name: 'upload' }) }, 'Upload a file'),
      ),
    ),
    body,
    more,
  );

  let rows: HTMLTableRowElement[] = [];
  async function load(fromStart: boolean, cursor?: string): Promise<void> {
    replaceChildren(more);
    try {
      const page = await ctx.api.listJobs(cursor);
      rows = [...(fromStart ? [] : rows), ...page.items.map(jobRow)];
      if (rows.length === 0) {
        replaceChildren(
          body,
          h('p', { class: 'empty' }, 'No jobs yet. Upload a file, or POST events to the API, to start one.'),
        );
      } else {
        replaceChildren(
          body,
          table(
            `${rows.length} job${rows.length === 1 ? '' : 's'}, newest first`,
            [
              'Job',
              'Status',
              'Source',
              numeric('Received'),
              numeric('Accepted'),
              numeric('Rejected'),
              numeric('Duplicates'),
              'Created',
            ],
            rows,
            'jobs',
          ),
        );
      }
      if (page.nextCursor) {
        const next = page.nextCursor;
        replaceChildren(
          more,
          h('button', { type: 'button', onclick: () => void load(false, next) }, 'Show more jobs'),
        );
      }
      if (!fromStart) {
        // The button that was pressed is gone: carry focus to the first job it brought in.
        rows[rows.length - page.items.length]?.querySelector('a')?.focus();
        ctx.announce(`${page.items.length} more jobs shown`);
      }
    } catch (error) {
      replaceChildren(body, errorAlert(`The jobs could not be loaded: ${errorMessage(error)}`));
    }
  }

  void load(true);
};
