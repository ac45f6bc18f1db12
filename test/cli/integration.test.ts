import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiBatchLimits } from '../../cli/events/batches';
import { runCli } from './run-cli';
import { startStandIn, type StandIn } from './standin';

let standIn: StandIn;
let dir: string;
let env: NodeJS.ProcessEnv;
const username = 'ada@example.com';
const password = 'Secret-Passw0rd!';

const cli = (args: string[], stdin?: string, extraEnv: NodeJS.ProcessEnv = {}) =>
  runCli(args, { cwd: dir, env: { ...env, ...extraEnv }, stdin });
const tokenFile = () => path.join(dir, 'config', 'tokens.json');
const event = (id: string, type = 'com.example.ping', extra: object = {}) => ({
  specversion: '1.0',
  id,
  source: '/cli/test',
  type,
  ...extra,
});
const ndjson = (events: object[]) => events.map((e) => JSON.stringify(e)).join('\n');
const jobIds = (stdout: string) => stdout.trim().split('\n').filter(Boolean);

beforeAll(async () => {
  standIn = await startStandIn();
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-cli-'));
  await mkdir(path.join(dir, '.sluice'));
  await writeFile(
    path.join(dir, '.sluice', 'endpoints.json'),
    JSON.stringify({
      apiUrl: standIn.url,
      cdnUrl: `${standIn.url}/cdn`,
      userPoolId: 'us-east-1_local',
      userPoolClientId: 'local-client',
      region: 'us-east-1',
      cognitoEndpoint: standIn.url,
    }),
  );
  env = { SLUICE_CONFIG_DIR: path.join(dir, 'config'), SLUICE_PASSWORD: password };
});

afterAll(async () => {
  await standIn?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('signing in', () => {
  it('asks for sign-in before any API call', async () => {
    const result = await cli(['jobs']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not signed in, run sluice login');
  });

  it('signs up on the local target with SignUp + AdminConfirmSignUp and caches tokens with mode 0600', async () => {
    const result = await cli(['signup', '--username', username]);
    expect(result.stderr).toContain(`signed up and signed in as ${username}`);
    expect(result.code).toBe(0);
    expect(standIn.users.get(username)?.confirmed).toBe(true);
    expect((await stat(tokenFile())).mode & 0o777).toBe(0o600);
    const cached = JSON.parse(await readFile(tokenFile(), 'utf8'));
    expect(cached[`${standIn.url}|local-client`]).toMatchObject({
      username,
      refreshToken: expect.any(String),
    });
  });

  it('reports a wrong password clearly', async () => {
    const result = await cli(['login', '--username', username], undefined, { SLUICE_PASSWORD: 'wrong' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('wrong username or password');
  });

  it('reads the password from piped stdin when SLUICE_PASSWORD is unset', async () => {
    const result = await cli(['login', '--username', username], `${password}\n`, {
      SLUICE_PASSWORD: undefined,
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`signed in as ${username}`);
  });

  it('shows the target and who is signed in', async () => {
    const result = await cli(['--json', 'endpoints']);
    expect(JSON.parse(result.stdout)).toMatchObject({
      apiUrl: standIn.url,
      local: true,
      signedInAs: username,
      origin: path.join(dir, '.sluice', 'endpoints.json'),
    });
  });

  it('refreshes expired tokens with REFRESH_TOKEN_AUTH and keeps the refresh token', async () => {
    const key = `${standIn.url}|local-client`;
    const cache = JSON.parse(await readFile(tokenFile(), 'utf8'));
    const before = cache[key];
    cache[key] = { ...before, expiresAt: Date.now() - 1000 };
    await writeFile(tokenFile(), JSON.stringify(cache));
    const result = await cli(['jobs']);
    expect(result.code).toBe(0);
    const after = JSON.parse(await readFile(tokenFile(), 'utf8'))[key];
    expect(after.idToken).not.toBe(before.idToken);
    expect(after.refreshToken).toBe(before.refreshToken);
    expect(after.expiresAt).toBeGreaterThan(Date.now());
  });

  it('turns the API 401 into "not signed in"', async () => {
    const key = `${standIn.url}|local-client`;
    const saved = await readFile(tokenFile(), 'utf8');
    const cache = JSON.parse(saved);
    cache[key] = { idToken: 'revoked', accessToken: 'revoked', expiresAt: Date.now() + 3_600_000 };
    await writeFile(tokenFile(), JSON.stringify(cache));
    const result = await cli(['jobs']);
    await writeFile(tokenFile(), saved);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not signed in, run sluice login');
  });
});

describe('sluice send', () => {
  it('posts NDJSON from stdin as one batch and prints the job id', async () => {
    const before = standIn.eventsRequests.length;
    const result = await cli(['send', '-'], ndjson([event('a'), event('b'), event('c')]));
    expect(result.code).toBe(0);
    expect(jobIds(result.stdout)).toHaveLength(1);
    expect(result.stdout.trim()).toMatch(/^01JOB\d+$/);
    expect(standIn.eventsRequests.slice(before)).toEqual([
      { contentType: 'application/cloudevents-batch+json', bytes: expect.any(Number), count: 3 },
    ]);
  });

  it('wraps raw JSON values with --type and --source', async () => {
    const result = await cli(
      ['--json', 'send', '--type', 'com.example.raw', '--source', '/raw'],
      JSON.stringify([{ n: 1 }, { n: 2 }]),
    );
    expect(result.code).toBe(0);
    const listed = await cli(['--json', 'events', '--type', 'com.example.raw']);
    const items = JSON.parse(listed.stdout).items;
    expect(items.map((e: { data: unknown }) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(items[0]).toMatchObject({
      specversion: '1.0',
      source: '/raw',
      datacontenttype: 'application/json',
    });
  });

  it('splits at 10,000 events per request', async () => {
    const before = standIn.eventsRequests.length;
    const events = Array.from({ length: 20_001 }, (_, i) => event(`n${i}`));
    const result = await cli(['send'], ndjson(events));
    expect(result.code).toBe(0);
    expect(jobIds(result.stdout)).toHaveLength(3);
    expect(standIn.eventsRequests.slice(before).map((r) => r.count)).toEqual([10_000, 10_000, 1]);
  });

  it('splits by size so that no request exceeds the body limit', async () => {
    const before = standIn.eventsRequests.length;
    const events = Array.from({ length: 2_000 }, (_, i) =>
      event(`big${i}`, 'com.example.big', { data: 'x'.repeat(5_000) }),
    );
    const file = path.join(dir, 'big.json');
    await writeFile(file, JSON.stringify(events));
    const result = await cli(['send', 'big.json']);
    expect(result.code).toBe(0);
    const requests = standIn.eventsRequests.slice(before);
    // ≈ 10.3 MB of events in bodies of at most apiBatchLimits.maxBytes (3,774,873).
    expect(requests.length).toBe(3);
    expect(requests.every((r) => r.bytes <= apiBatchLimits.maxBytes)).toBe(true);
    expect(requests.reduce((sum, r) => sum + r.count, 0)).toBe(2_000);
  });

  it('reports input that is not JSON with the line number', async () => {
    const result = await cli(['send'], `${JSON.stringify(event('ok'))}\n{broken\n`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('stdin line 2 is not JSON');
  });
});

describe('sluice job', () => {
  it('--watch follows a job to SUCCEEDED and exits 0', async () => {
    const sent = await cli(['send'], JSON.stringify(event('w1')));
    const jobId = sent.stdout.trim();
    const result = await cli(['job', jobId, '--watch', '--interval', '0.01']);
    expect(result.code).toBe(0);
    const statuses = result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/)[1]);
    expect(statuses).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
  });

  it('--watch exits 1 for a FAILED job and says why', async () => {
    const sent = await cli(['send'], JSON.stringify(event('f1', 'test.fail')));
    const result = await cli(['job', sent.stdout.trim(), '--watch', '--interval', '0.01']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAILED');
    expect(result.stderr).toContain('failed: SubmissionUnreadable: test.fail requested');
  });

  it('--errors prints the full rejection report', async () => {
    const bad = { id: 'nospec', source: '/cli/test', type: 'com.example.ping' };
    const sent = await cli(['send'], ndjson([event('good'), bad]));
    const result = await cli(['job', sent.stdout.trim(), '--errors']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'INDEX  ID      REASON',
      '1      nospec  specversion: must be "1.0"',
      '',
    ]);
  });

  it('--errors follows the report across pages', async () => {
    const bad = (i: number) => ({ id: `nospec-${i}`, source: '/cli/test', type: 'com.example.ping' });
    const sent = await cli(['send'], ndjson([bad(0), event('good'), bad(2), bad(3), bad(4), bad(5)]));
    const result = await cli(['job', sent.stdout.trim(), '--errors', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { items: { index: number }[] };
    expect(report.items.map((r) => r.index)).toEqual([0, 2, 3, 4, 5]);
  });

  it('lists jobs as a table, newest first', async () => {
    const result = await cli(['jobs', '--limit', '2']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^JOB\s+SOURCE\s+STATUS\s+RECEIVED/);
    expect(lines).toHaveLength(3);
    expect(result.stderr).toMatch(/more: sluice jobs --cursor 2/);
  });
});

describe('sluice upload', () => {
  it('streams a 10 MB file with plain progress lines when stderr is not a terminal', async () => {
    const file = path.join(dir, 'events.ndjson');
    const line = `${JSON.stringify(event('u', 'com.example.upload', { data: 'y'.repeat(200) }))}\n`;
    const size = 10 * 1024 * 1024;
    await writeFile(file, line.repeat(Math.ceil(size / line.length)).slice(0, size));
    const result = await cli(['upload', 'events.ndjson']);
    expect(result.code).toBe(0);
    const jobId = result.stdout.trim();
    expect(standIn.uploads.find((u) => u.jobId === jobId)).toEqual({
      jobId,
      contentLength: size,
      receivedBytes: size,
      contentType: 'application/x-ndjson',
    });
    const progress = result.stderr.split('\n').filter((l) => l.startsWith('uploaded ') && l.includes('%'));
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)).toMatch(/^uploaded 10\.0 MiB of 10\.0 MiB \(100%\)/);
    expect(result.stderr).not.toContain('\r');
  });

  it('--watch follows the uploaded job', async () => {
    await writeFile(path.join(dir, 'small.json'), JSON.stringify([event('s1')]));
    const result = await cli(['--json', 'upload', 'small.json', '--watch', '--interval', '0.01']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ source: 'upload', status: 'SUCCEEDED' });
  });

  it('rejects a missing file as a usage error', async () => {
    const result = await cli(['upload', 'nope.ndjson']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot read nope.ndjson');
  });
});

describe('sluice schema', () => {
  it('puts, gets and lists schemas', async () => {
    const schema = { type: 'object', required: ['n'] };
    await writeFile(path.join(dir, 'schema.json'), JSON.stringify(schema));
    expect((await cli(['schema', 'put', 'com.example.raw', 'schema.json'])).code).toBe(0);
    expect(JSON.parse((await cli(['schema', 'get', 'com.example.raw'])).stdout)).toMatchObject({ schema });
    expect((await cli(['schema', 'list'])).stdout).toMatch(/^TYPE\s+UPDATED\ncom\.example\.raw\s+\d{4}-/);
  });

  it('shows the API error code, message and details', async () => {
    await writeFile(path.join(dir, 'bad-schema.json'), '{"title":"no type"}');
    const result = await cli(['schema', 'put', 'com.example.bad', 'bad-schema.json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'sluice: InvalidSchema (HTTP 400): schema does not compile\n  - type: required\n',
    );
  });
});

describe('usage errors exit 2', () => {
  it.each([
    [['job']],
    [['jobs', '--limit', '0']],
    [['events']],
    [['events', '--type', 't', '--since', 'yesterday-ish']],
    [['send', '--type', 'only.type']],
    [['job', 'x', '--watch', '--errors']],
    [['frobnicate']],
  ])('%j', async (args) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toBe('');
  });
});
