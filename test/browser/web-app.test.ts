/**
 * The Sluice web app in a real browser (Debian's Chromium, driven by playwright-core) against a local cloud:
 * sign-in errors, sign-in, an upload with its progress bar followed to SUCCEEDED, the job's rejected events, the
 * link to the execution in the local console, token refresh after a 401, events, schemas, sign-up and sign-out.
 * The app's browser-free modules are tested in Node by test/web/logic.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { browserSuite, hasChromium, launchChromium, screenshotsDir as screenshots } from './chromium';
import { Api, event, signUpAndIn, startTestCloud, type TestCloud, type TestUser } from '../e2e/harness';

const suite = browserSuite('web app');

const eventType = 'com.example.web.upload';
/** Generous: the suite shares two cores with other suites, and a Lambda's first call bundles and boots it. */
const eventually = <T>(read: () => T | Promise<T>, timeout = 15_000) => expect.poll(read, { timeout });

describe.skipIf(!hasChromium)(suite, () => {
  let env: TestCloud;
  let browser: Browser;
  let page: Page;
  let user: TestUser;
  let api: Api;
  let uploadedJobId = '';
  const scriptErrors: string[] = [];

  /** The page down to the end of its content (no empty viewport below it). */
  const shoot = async (name: string) => {
    const main = await page.locator('main').boundingBox();
    const height = Math.ceil(Math.min(900, main ? main.y + main.height : 900));
    await page.screenshot({
      path: join(screenshots, `web-${name}.png`),
      clip: { x: 0, y: 0, width: 1280, height },
    });
  };
  const alertText = () => page.getByRole('alert').first().textContent();
  const storedSession = async () =>
    JSON.parse((await page.evaluate('sessionStorage.getItem("sluice.session")')) as string) as {
      idToken: string;
      refreshToken: string;
    } | null;

  async function signIn(password = user.password): Promise<void> {
    await page.getByLabel('Email').fill(user.username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  beforeAll(async () => {
    [env, browser] = await Promise.all([startTestCloud(), launchChromium()]);
    user = await signUpAndIn(env.endpoints, 'web');
    api = new Api(env.endpoints.apiUrl, user.idToken);
    // An earlier API job, so the jobs list has more than the upload in it.
    const posted = await api.postJson('/events', [event({ type: eventType }), event({ type: eventType })]);
    await api.waitForJob(posted.body.jobId);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => scriptErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await env?.dispose();
  });

  it('serves the app from the CDN with the config the local cloud wrote', async () => {
    const config = (await (await fetch(`${env.endpoints.cdnUrl}/config.json`)).json()) as Record<
      string,
      string
    >;
    expect(config).toMatchObject({
      apiUrl: env.endpoints.apiUrl,
      region: env.endpoints.region,
      userPoolId: env.endpoints.userPoolId,
      userPoolClientId: env.endpoints.userPoolClientId,
      cognitoEndpoint: env.endpoints.cognitoEndpoint,
      consoleUrl: env.endpoints.consoleUrl,
    });
    await page.goto(env.endpoints.cdnUrl);
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in to Sluice');
    await shoot('sign-in');
  });

  it('says so when the password is wrong (submitted with the keyboard), and stays signed out', async () => {
    await page.getByLabel('Email').fill(user.username);
    await page.getByLabel('Password').fill('Not-the-passw0rd!');
    await page.getByLabel('Password').press('Enter');
    await eventually(alertText).toBe('Incorrect email or password.');
    expect(await storedSession()).toBeNull();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in to Sluice');
  });

  it('signs in and lands on the jobs list', async () => {
    await page.getByLabel('Password').fill('');
    await signIn();
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Jobs');
    await eventually(() => page.locator('table.jobs tbody tr').count()).toBe(1);
    expect(await page.locator('.username').textContent()).toBe(user.username);
    expect((await storedSession())?.refreshToken).toBeTruthy();
  });

  it('uploads an NDJSON file with one bad line: the progress bar reaches 100% and the job SUCCEEDED', async () => {
    await page.getByRole('link', { name: 'Upload', exact: true }).click();
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Upload a file');
    const lines = [
      JSON.stringify(event({ type: eventType, id: 'good-1' })),
      JSON.stringify({ id: 'bad-1', source: 'urn:sluice:test', type: eventType }), // no specversion
      JSON.stringify(event({ type: eventType, id: 'good-2' })),
    ];
    await page.getByLabel('Choose a file').setInputFiles({
      name: 'orders.ndjson',
      mimeType: 'application/x-ndjson',
      buffer: Buffer.from(`${lines.join('\n')}\n`),
    });
    expect(await page.locator('#upload-chosen').textContent()).toMatch(/^orders\.ndjson \(\d+ bytes\)$/);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();

    const progress = page.locator('#upload-progress');
    await eventually(() => progress.evaluate((bar) => (bar as unknown as { value: number }).value)).toBe(100);
    expect(await page.locator('.progress-text').textContent()).toMatch(/^100% /);

    const panel = page.locator('.job-panel');
    await eventually(() => panel.locator('.badge').getAttribute('data-status'), 30_000).toBe('SUCCEEDED');
    uploadedJobId = (await panel.getAttribute('data-job-id')) ?? '';
    expect(uploadedJobId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const count = (name: string) => panel.locator(`[data-count="${name}"] dd`).textContent();
    expect([await count('received'), await count('accepted'), await count('rejected')]).toEqual([
      '3',
      '2',
      '1',
    ]);
    await shoot('upload');
  });

  it('opens the job: counts, the rejected line with its reason, and the execution link', async () => {
    await page.getByRole('link', { name: 'See the job details' }).click();
    expect(new URL(page.url()).hash).toBe(`#/jobs/${uploadedJobId}`);
    const rows = page.locator('table.rejections tbody tr');
    await eventually(() => rows.count()).toBe(1);
    const cells = await rows.first().locator('td').allTextContents();
    expect(cells[0]).toBe('1');
    expect(cells[1]).toBe('bad-1');
    expect(cells[2]).toContain('specversion');
    expect(await page.locator('table.rejections caption').textContent()).toBe('1 rejected event');

    const { body: job } = await api.get(`/jobs/${uploadedJobId}`);
    const link = page.locator('a.execution-link');
    expect(await link.getAttribute('href')).toBe(
      `${env.endpoints.consoleUrl}/#/executions/${encodeURIComponent(job.executionArn)}`,
    );
    await shoot('job-detail');

    await link.click();
    await page.waitForURL(`${env.endpoints.consoleUrl}/**`);
    await eventually(() => page.locator('.summary [data-status]').getAttribute('data-status')).toBe(
      'SUCCEEDED',
    );
    await page.goBack();
    await eventually(() => page.locator('table.rejections tbody tr').count()).toBe(1);
  });

  it('lists both jobs newest first with their status badges', async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    // Navigation takes the keyboard and screen readers to the new page's heading.
    await eventually(() => page.evaluate('document.activeElement.outerHTML')).toBe(
      '<h1 tabindex="-1">Jobs</h1>',
    );
    const rows = page.locator('table.jobs tbody tr');
    await eventually(() => rows.count()).toBe(2);
    expect(await rows.first().getAttribute('data-job-id')).toBe(uploadedJobId);
    expect(await rows.locator('td:nth-child(3)').allTextContents()).toEqual(['Upload', 'API']);
    expect((await rows.locator('.badge').allTextContents()).map((text) => text.trim())).toEqual([
      '✓ Succeeded',
      '✓ Succeeded',
    ]);
    expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('Jobs');
    await shoot('jobs');
  });

  it('renews the tokens when the API answers 401, and retries', async () => {
    const before = await storedSession();
    await page.evaluate(
      'sessionStorage.setItem("sluice.session", JSON.stringify({ ...JSON.parse(sessionStorage.getItem("sluice.session")), idToken: "expired.or.forged" }))',
    );
    await page.reload();
    await eventually(() => page.locator('table.jobs tbody tr').count()).toBe(2);
    const after = await storedSession();
    expect(after?.idToken).not.toBe('expired.or.forged');
    expect(after?.idToken.split('.')).toHaveLength(3);
    expect(after?.refreshToken).toBe(before?.refreshToken);
  });

  it('pages through stored events of a type', async () => {
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    await page.getByLabel('Event type').fill(eventType);
    await page.getByRole('button', { name: 'Show events' }).click();
    const rows = page.locator('table.events tbody tr');
    await eventually(() => rows.count()).toBe(4);
    expect(new URL(page.url()).hash).toBe(`#/events?type=${encodeURIComponent(eventType)}`);
    const ids = await rows.locator('td:nth-child(2)').allTextContents();
    expect(ids).toEqual(expect.arrayContaining(['good-1', 'good-2']));
    expect(ids).not.toContain('bad-1');
    await shoot('events');
  });

  it("shows the compiler's message for a schema that does not compile, and saves a good one", async () => {
    await page.getByRole('link', { name: 'Schemas', exact: true }).click();
    await page.getByLabel('New event type').fill(eventType);
    await page.getByRole('button', { name: 'Write a schema' }).click();
    const editor = page.getByLabel('JSON Schema', { exact: true });
    await eventually(() => editor.inputValue()).toContain('"$schema"');
    await editor.fill('{"type": "object", "properties": {"amount": {"type": "money"}}}');
    await page.getByRole('button', { name: 'Save schema' }).click();
    await eventually(alertText).toMatch(/^The schema does not compile: .*type/);
    await shoot('schema-error');

    await editor.fill('{"type": "object", "required": ["orderId"]}');
    await page.getByRole('button', { name: 'Save schema' }).click();
    await eventually(() => page.locator('.success').textContent()).toBe('Schema saved.');
    await eventually(() => page.locator('.schema-list a').allTextContents()).toEqual([eventType]);
    expect((await api.get(`/schemas/${eventType}`)).body.schema).toEqual({
      type: 'object',
      required: ['orderId'],
    });
  });

  it('shows why a job failed, from the job view opened by its address', async () => {
    env.cloud.faults.inject({
      function: 'ingest-group',
      errorType: 'ResultMismatch',
      errorMessage: 'counts do not add up',
      times: 1,
    });
    const posted = await api.postJson('/events', [event({ type: eventType })]);
    expect((await api.waitForJob(posted.body.jobId)).status).toBe('FAILED');
    await page.goto(`${env.endpoints.cdnUrl}/#/jobs/${posted.body.jobId}`);
    const failure = page.getByRole('region', { name: 'Why the job failed' });
    await eventually(() => failure.locator('strong').textContent()).toBe('ResultMismatch');
    expect(await failure.locator('.cause').textContent()).toContain('counts do not add up');
    expect(await page.locator('.summary .badge').getAttribute('data-status')).toBe('FAILED');
    expect(scriptErrors).toEqual([]);
  });

  it('signs out (the session is forgotten) and signs a new account up without an email round trip', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in to Sluice');
    expect(await storedSession()).toBeNull();

    await page.getByRole('button', { name: 'Create one' }).click();
    await page.getByLabel('Email').fill(`new-${Date.now()}@example.com`);
    await page.getByLabel('Password').fill('A-new-passw0rd!');
    await page.getByRole('button', { name: 'Create account' }).click();
    // Back where the session ended, as another tenant: the first user's job, schemas and jobs are not theirs.
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toMatch(/^Job /);
    await eventually(alertText).toMatch(/^The job could not be loaded: Job \w+ not found$/);
    await page.getByRole('link', { name: 'Schemas', exact: true }).click();
    await eventually(() => page.locator('.schema-list').textContent()).toBe('No schemas yet.');
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await eventually(() => page.locator('.empty').textContent()).toContain('No jobs yet');
  });
});
