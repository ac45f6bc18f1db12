/**
 * #/jobs/<id>: status (followed live until the job ends), counts, the failure cause, the full rejection report
 * and the link to the job's Step Functions execution.
 */
import type { Job, Rejection } from '../api';
import { executionUrl } from '../config';
import { errorAlert, errorMessage, h, replaceChildren } from '../dom';
import { followJob } from '../follow-job';
import { formatTime, isFinished, statusLabels } from '../format';
import { hrefFor } from '../routes';
import type { View, ViewContext } from './context';
import { countTiles, loading, numeric, pageHeading, statusBadge, table } from './parts';

export function executionLink(ctx: ViewContext, executionArn: string | null) {
  if (!executionArn) return h('span', { class: 'muted' }, 'Not started yet');
  const local = ctx.config.consoleUrl !== undefined;
  return h(
    'a',
    { class: 'execution-link', href: executionUrl(ctx.config, executionArn) },
    local ? 'Open in the local executions console' : 'Open in the AWS Step Functions console',
  );
}

function summary(ctx: ViewContext, job: Job) {
  const item = (term: string, ...value: (Node | string)[]) => [h('dt', null, term), h('dd', null, ...value)];
  return h(
    'dl',
    { class: 'summary' },
    item('Status', statusBadge(job.status)),
    item('Source', job.source === 'upload' ? 'File upload' : 'API submission'),
    item('Created', formatTime(job.createdAt)),
    item('Updated', formatTime(job.updatedAt)),
    item('Finished', formatTime(job.finishedAt)),
    item('Execution', executionLink(ctx, job.executionArn)),
  );
}

const failureSection = (failure: NonNullable<Job['failure']>) =>
  h(
    'section',
    { class: 'failure', 'aria-labelledby': 'failure-heading' },
    h('h2', { id: 'failure-heading' }, 'Why the job failed'),
    h('p', null, h('strong', { class: 'mono' }, failure.error)),
    h('pre', { class: 'cause' }, failure.cause || 'No cause was recorded.'),
  );

export function rejectionsTable(items: Rejection[], complete: boolean) {
  const rows = items.map((rejection) =>
    h(
      'tr',
      { 'data-index': rejection.index },
      h('td', { class: 'num' }, String(rejection.index)),
      h('td', { class: 'mono' }, rejection.id ?? h('span', { class: 'muted' }, 'no id')),
      h('td', null, rejection.reason),
    ),
  );
  const caption = `${items.length} rejected event${items.length === 1 ? '' : 's'}${complete ? '' : ' so far'}`;
  return table(caption, [numeric('Index'), 'Event id', 'Reason'], rows, 'rejections');
}

export const renderJob: View<{ jobId: string }> = (main, route, ctx) => {
  const heading = pageHeading('Job ', h('span', { class: 'mono' }, route.jobId));
  const content = h('div', null, loading('the job'));
  const rejections = h('section', { 'aria-label': 'Rejected events' });
  replaceChildren(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: hrefFor({ name: 'jobs' }) }, '← All jobs')),
    heading,
    content,
    rejections,
  );

  let lastStatus: Job['status'] | undefined;
  let reportShown = false;

  async function showRejections(job: Job): Promise<void> {
    if (job.counts.rejected === 0 && job.errors.length === 0) return replaceChildren(rejections);
    if (!isFinished(job.status)) return replaceChildren(rejections, rejectionsTable(job.errors, false));
    if (reportShown) return;
    reportShown = true;
    try {
      const report = await ctx.api.getJobErrors(job.jobId);
      replaceChildren(rejections, rejectionsTable(report.items, true));
    } catch (error) {
      replaceChildren(
        rejections,
        errorAlert(`The rejection report could not be loaded: ${errorMessage(error)}`),
      );
    }
  }

  function show(job: Job): void {
    replaceChildren(
      content,
      summary(ctx, job),
      countTiles(job.counts),
      job.failure ? failureSection(job.failure) : null,
      isFinished(job.status) ? null : h('p', { class: 'muted live' }, 'Following the job live…'),
    );
    if (lastStatus !== undefined && lastStatus !== job.status) {
      ctx.announce(`Job ${statusLabels[job.status].toLowerCase()}`);
    }
    lastStatus = job.status;
    void showRejections(job);
  }

  return followJob(route.jobId, {
    getJob: ctx.api.getJob,
    onUpdate: show,
    onError: (error) =>
      replaceChildren(content, errorAlert(`The job could not be loaded: ${errorMessage(error)}`)),
  });
};
