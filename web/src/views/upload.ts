/**
 * #/upload: pick or drop a file → POST /uploads → PUT to the signed URL with a progress bar → follow the job
 * until it ends.
 */
import type { Job } from '../api';
import { errorAlert, errorMessage, h, replaceChildren } from '../dom';
import { followJob } from '../follow-job';
import { formatBytes, isFinished, percent, statusLabels } from '../format';
import { hrefFor } from '../routes';
import { putFile } from '../upload';
import type { View } from './context';
import { countTiles, pageHeading, statusBadge } from './parts';

function jobPanel(job: Job) {
  return h(
    'div',
    { class: 'job-panel', 'data-job-id': job.jobId },
    h(
      'p',
      null,
      'Job ',
      h('a', { href: hrefFor({ name: 'job', jobId: job.jobId }), class: 'mono' }, job.jobId),
      ' ',
      statusBadge(job.status),
    ),
    countTiles(job.counts),
    job.failure ? errorAlert(`${job.failure.error}: ${job.failure.cause}`) : null,
    isFinished(job.status)
      ? h(
          'p',
          null,
          h('a', { href: hrefFor({ name: 'job', jobId: job.jobId }) }, 'See the job details'),
          job.counts.rejected > 0 ? ' and its rejected events' : '',
        )
      : h('p', { class: 'muted' }, 'Following the job live…'),
  );
}

export const renderUpload: View<unknown> = (main, _route, ctx) => {
  let chosen: File | undefined;
  let stopFollowing: (() => void) | undefined;

  const input = h('input', {
    type: 'file',
    id: 'upload-file',
    accept: '.ndjson,.jsonl,.json,.gz,application/json',
  });
  const chosenText = h('p', { class: 'chosen', id: 'upload-chosen' }, 'No file chosen yet.');
  const submit = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Upload');
  const errors = h('div');
  const progressArea = h('div');
  // Not a live region: it is redrawn at every poll; the announcer says when the job ends.
  const jobArea = h('div');

  const drop = h(
    'div',
    { class: 'dropzone' },
    h('label', { for: 'upload-file' }, 'Choose a file'),
    input,
    h('p', { class: 'muted', 'aria-hidden': 'true' }, 'or drop it here'),
  );

  function choose(file: File | undefined): void {
    chosen = file;
    submit.disabled = !file;
    chosenText.textContent = file ? `${file.name} (${formatBytes(file.size)})` : 'No file chosen yet.';
    replaceChildren(errors);
  }

  input.addEventListener('change', () => choose(input.files?.[0]));
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file) choose(file);
  });

  const form = h(
    'form',
    { class: 'card' },
    h(
      'p',
      null,
      'NDJSON (one CloudEvent per line) or a JSON array of CloudEvents; gzip it and end the name in ',
      h('code', null, '.gz'),
      ' for large files. A bad line rejects only that line.',
    ),
    drop,
    chosenText,
    errors,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (chosen) void upload(chosen);
  });

  replaceChildren(main, pageHeading('Upload a file'), form, progressArea, jobArea);

  async function upload(file: File): Promise<void> {
    stopFollowing?.();
    submit.disabled = true;
    input.disabled = true;
    replaceChildren(errors);
    replaceChildren(jobArea);
    const bar = h('progress', { id: 'upload-progress', max: 100, value: 0 });
    const text = h('span', { class: 'progress-text' }, '0%');
    const label = h('label', { for: 'upload-progress' }, `Uploading ${file.name}`);
    replaceChildren(progressArea, h('div', { class: 'progress' }, label, bar, text));
    try {
      const { jobId, uploadUrl } = await ctx.api.createUpload(file.name, file.type || undefined);
      await putFile(uploadUrl, file, (loaded, total) => {
        const value = percent(loaded, total);
        bar.value = value;
        text.textContent = `${value}% (${formatBytes(loaded)} of ${formatBytes(total)})`;
      });
      label.textContent = `Uploaded ${file.name}`;
      ctx.announce('Upload complete. Following the job.');
      stopFollowing = followJob(jobId, {
        getJob: ctx.api.getJob,
        onUpdate: (job) => {
          replaceChildren(jobArea, jobPanel(job));
          if (isFinished(job.status)) ctx.announce(`Job ${statusLabels[job.status].toLowerCase()}`);
        },
        onError: (error) =>
          replaceChildren(jobArea, errorAlert(`The job could not be followed: ${errorMessage(error)}`)),
      });
    } catch (error) {
      replaceChildren(errors, errorAlert(errorMessage(error)));
    } finally {
      input.disabled = false;
      input.value = '';
      chosen = undefined;
      chosenText.textContent = 'No file chosen yet.';
    }
  }

  return () => stopFollowing?.();
};
