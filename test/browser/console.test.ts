/**
 * The local executions console in a real browser (Debian's Chromium, driven by playwright-core): executions
 * listed with their statuses, an execution's graph coloured by what each state did, the event history, the
 * link to the job, and stopping a running execution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { browserSuite, hasChromium, launchChromium, screenshotsDir as screenshots } from './chromium';
import { Api, event, signUpAndIn, startTestCloud, type TestCloud } from '../e2e/harness';

const suite = browserSuite('executions console');

describe.skipIf(!hasChromium)(suite, () => {
  let env: TestCloud;
  let browser: Browser;
  let page: Page;
  let api: Api;
  const jobs = { succeeded: '', failed: '' };
  const executionArn = (jobId: string) =>
    `${env.endpoints.stateMachineArn.replace(':stateMachine:', ':execution:')}:${jobId}`;
  const openExecution = (jobId: string) =>
    page.goto(`${env.endpoints.consoleUrl}/#/executions/${encodeURIComponent(executionArn(jobId))}`);
  const graphNode = (state: string) => page.locator(`.graph [data-state="${state}"]`);
  const nodeStatus = (state: string) => graphNode(state).getAttribute('data-status');
  const submit = async (count = 3) =>
    (
      await api.postJson(
        '/events',
        Array.from({ length: count }, () => event()),
      )
    ).body.jobId as string;

  beforeAll(async () => {
    // Every submission through S3 (maxInlineBytes 1): one execution per job, named by it, so the one-job
    // branch (PrepareJob → Map → FinalizeJob) is what these executions show.
    [env, browser] = await Promise.all([
      startTestCloud({ settings: { maxInlineBytes: '1' } }),
      launchChromium(),
    ]);
    api = new Api(env.endpoints.apiUrl, (await signUpAndIn(env.endpoints, 'console')).idToken);
    jobs.succeeded = await submit();
    expect((await api.waitForJob(jobs.succeeded)).status).toBe('SUCCEEDED');
    env.cloud.faults.inject({
      function: 'finalize-job',
      errorType: 'ResultMismatch',
      errorMessage: 'injected',
      times: 1,
    });
    jobs.failed = await submit();
    expect((await api.waitForJob(jobs.failed)).status).toBe('FAILED');
    page = await browser.newPage({ viewport: { width: 1440, height: 1250 } });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await env?.dispose();
  });

  it('lists both executions, newest first, with their statuses, and filters them by status', async () => {
    await page.goto(env.endpoints.consoleUrl);
    const rows = page.locator('table.executions tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.locator('th').allTextContents()).toEqual([jobs.failed, jobs.succeeded]);
    const badges = await rows.locator('[data-status]').allTextContents();
    expect(badges.map((text) => text.trim())).toEqual(['✕ Failed', '✓ Succeeded']);
    await expect.poll(() => page.locator('table.machines').textContent()).toContain('sluice-ingest');
    await page.screenshot({
      path: join(screenshots, 'console-executions.png'),
      clip: { x: 0, y: 0, width: 1440, height: 520 },
    });

    await page.getByLabel('Status').selectOption('FAILED');
    await expect.poll(() => rows.locator('th').allTextContents()).toEqual([jobs.failed]);
    expect(page.url()).toMatch(/#\/\?status=FAILED$/);
    await page.getByLabel('Status').selectOption('');
    await expect.poll(() => rows.count()).toBe(2);
  });

  it('colours the failed execution: FinalizeJob caught, MarkJobFailed succeeded, JobFailed failed', async () => {
    await page.goto(env.endpoints.consoleUrl);
    await page.getByRole('link', { name: jobs.failed }).click();
    expect(decodeURIComponent(new URL(page.url()).hash)).toBe(`#/executions/${executionArn(jobs.failed)}`);
    await expect.poll(() => nodeStatus('JobFailed')).toBe('failed');
    expect(await nodeStatus('PrepareJob')).toBe('succeeded');
    expect(await nodeStatus('IngestChunks')).toBe('succeeded');
    expect(await nodeStatus('FinalizeJob')).toBe('caught');
    expect(await nodeStatus('MarkJobFailed')).toBe('succeeded');
    expect(await nodeStatus('JobSucceeded')).toBe('notRun');
    // Colour is never the only signal: each state says its outcome in words, and the legend names them.
    expect(await graphNode('FinalizeJob').getAttribute('aria-label')).toContain('Caught');
    expect(await graphNode('FinalizeJob').locator('.node-sub').textContent()).toBe('Task · Caught');
    expect(await page.locator('.legend').textContent()).toContain('Caught');

    expect(await page.locator('.summary [data-status]').textContent()).toContain('Failed');
    expect(await page.locator('.job-link').getAttribute('href')).toBe(
      `${env.endpoints.cdnUrl}/#/jobs/${jobs.failed}`,
    );
    expect(await page.locator('.error-details').first().textContent()).toContain('JobFailed');
    await page.screenshot({ path: join(screenshots, 'console-execution-failed.png') });

    const failedTask = page.locator('table.history tr[data-event-type="TaskFailed"]');
    expect(await failedTask.locator('td').nth(2).textContent()).toBe('FinalizeJob');
    await failedTask.locator('summary').click();
    expect(await failedTask.locator('details').textContent()).toContain('ResultMismatch');
  });

  it('shows the succeeded execution green through JobSucceeded, with the Map iterations counted', async () => {
    await openExecution(jobs.succeeded);
    await expect.poll(() => nodeStatus('JobSucceeded')).toBe('succeeded');
    for (const state of ['PrepareJob', 'IngestChunks', 'IngestChunk', 'FinalizeJob']) {
      expect(await nodeStatus(state)).toBe('succeeded');
    }
    expect(await nodeStatus('MarkJobFailed')).toBe('notRun');
    expect(await nodeStatus('JobFailed')).toBe('notRun');
    expect(await graphNode('IngestChunks').locator('.node-sub').textContent()).toBe(
      'Succeeded · 1 iteration: 1 succeeded',
    );
    expect(await page.locator('#stop-execution').count()).toBe(0);
    await page.screenshot({ path: join(screenshots, 'console-execution-succeeded.png') });
  });

  it("shows a state's input and output when chosen with the keyboard", async () => {
    await openExecution(jobs.succeeded);
    const node = graphNode('FinalizeJob');
    await node.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => node.getAttribute('aria-pressed')).toBe('true');
    const panel = page.locator('.state-panel');
    expect(await panel.locator('h3').textContent()).toBe('FinalizeJob');
    const output = await panel.locator('details', { hasText: 'Output' }).locator('pre').textContent();
    expect(JSON.parse(output ?? '')).toMatchObject({
      jobId: jobs.succeeded,
      status: 'SUCCEEDED',
      counts: { accepted: 3 },
    });
    // The graph is redrawn around the choice; focus stays on the chosen state.
    expect(await page.locator(':focus').getAttribute('data-state')).toBe('FinalizeJob');
  });

  it('stops a running execution', async () => {
    // Tasks that keep failing transiently keep the execution waiting between retries for many seconds (the
    // retry delays are random: PrepareJob, then MarkJobFailed, make a short run very unlikely).
    env.cloud.faults.inject({ function: 'prepare-job', errorType: 'TransientError', times: 6 });
    env.cloud.faults.inject({ function: 'mark-job-failed', errorType: 'TransientError', times: 6 });
    const stateIn = (status: string) => page.locator(`.graph [data-status="${status}"]`).count();
    try {
      await page.goto(env.endpoints.consoleUrl);
      await expect.poll(() => page.locator('table.executions tbody tr').count()).toBe(2);
      const jobId = await submit(1);
      // The list updates by itself: the new execution appears, running, without a reload.
      const row = page.locator('table.executions tbody tr', { hasText: jobId });
      await expect.poll(() => row.locator('[data-status]').getAttribute('data-status')).toBe('RUNNING');
      await row.getByRole('link', { name: jobId }).click();
      await expect.poll(() => stateIn('running')).toBe(1);
      await page.locator('#stop-execution').click({ timeout: 10_000 });
      await page.getByRole('dialog').getByRole('button', { name: 'Stop execution' }).click();
      await expect
        .poll(() => page.locator('.summary [data-status]').getAttribute('data-status'), { timeout: 10_000 })
        .toBe('ABORTED');
      expect(await page.locator('#stop-execution').count()).toBe(0);
      expect(await stateIn('running')).toBe(0);
      expect(await stateIn('cancelled')).toBe(1);
    } finally {
      env.cloud.faults.clear();
    }
  });
});
