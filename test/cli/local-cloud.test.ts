/**
 * The CLI as a user runs it (`node bin/sluice.js`, a child process with non-TTY pipes) against a real local
 * cloud started here on ephemeral ports: Cognito sign-up and sign-in, the API, signed-URL uploads through the
 * CDN, the Step Functions pipeline and DynamoDB. The child gets its own HOME and XDG_CONFIG_HOME, so the
 * tokens it caches never touch the real user's config.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../cli/format';
import { startTestCloud, type TestCloud } from '../e2e/harness';
import { spawnCli, type CliResult } from './run-cli';

let cloud: TestCloud;
let dir: string;
let endpointsFile: string;
let childEnv: NodeJS.ProcessEnv;

const username = 'grace@example.com';
const password = 'Cli-Passw0rd!';
const runId = Date.now().toString(36);

/** `sluice --endpoints <the test cloud's file> …args`, in `dir`, with the isolated environment. */
function sluice(
  args: string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return spawnCli(['--endpoints', endpointsFile, ...args], {
    cwd: dir,
    env: { ...childEnv, ...options.env },
    stdin: options.stdin,
  });
}

const tokenFile = () => path.join(childEnv.XDG_CONFIG_HOME!, 'sluice', 'tokens.json');
const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
const ndjson = (values: object[]) => values.map((value) => JSON.stringify(value)).join('\n') + '\n';

function cloudEvent(type: string, data: unknown, id: string = randomUUID()) {
  return { specversion: '1.0', id, source: '/cli/local-cloud', type, time: new Date().toISOString(), data };
}

/** The line `sluice job --watch` prints for a job's counts. */
const countsLine = (
  jobId: string,
  status: string,
  c: { received: number; accepted: number; rejected: number; duplicates: number },
) =>
  `${jobId}  ${status}  received ${c.received}  accepted ${c.accepted}  rejected ${c.rejected}  duplicates ${c.duplicates}`;

const byteUnits: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const parseBytes = (text: string) => {
  const [value, unit] = text.split(' ');
  return Number(value) * byteUnits[unit!]!;
};

/**
 * The 10 MiB upload: 1,000 events of about 10 KiB, each line padded so that the file is exactly 10 MiB. The local
 * pipeline ingests a few hundred events a second (README, Performance), so 10 MiB of ~150-byte events (~70,000)
 * would take minutes; 1,000 events keep the job to seconds while the upload stays 10 MiB.
 */
const bulkType = `com.example.cli.bulk.${runId}`;
const bulkCount = 1000;
const bulkSize = 10 * 1024 * 1024;

async function writeBulkFile(): Promise<void> {
  const bare = Array.from({ length: bulkCount }, (_, i) =>
    JSON.stringify(cloudEvent(bulkType, { i, pad: '' })),
  );
  const room = bulkSize - bare.reduce((sum, line) => sum + line.length + 1, 0);
  const text = bare
    .map((line, i) => {
      const pad = Math.floor(room / bulkCount) + (i < room % bulkCount ? 1 : 0);
      return line.replace('"pad":""', `"pad":"${'x'.repeat(pad)}"`);
    })
    .join('\n');
  await writeFile(path.join(dir, 'bulk.ndjson'), `${text}\n`);
}

beforeAll(async () => {
  cloud = await startTestCloud();
  endpointsFile = path.join(cloud.dataDir, 'endpoints.json');
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-cli-cloud-'));
  await Promise.all([mkdir(path.join(dir, 'home')), mkdir(path.join(dir, 'xdg'))]);
  // Only what a CLI needs; nothing of this process's SLUICE_* or AWS_* settings leaks in.
  childEnv = {
    PATH: process.env.PATH,
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    HOME: path.join(dir, 'home'),
    XDG_CONFIG_HOME: path.join(dir, 'xdg'),
  };
}, 120_000);

afterAll(async () => {
  await cloud?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('usage errors (exit code 2)', () => {
  it('rejects an unknown command, a missing argument and a missing file with a message', async () => {
    const [unknown, noFile, missing, notes] = await Promise.all([
      sluice(['frobnicate']),
      sluice(['upload']),
      sluice(['upload', 'no-such-file.ndjson']),
      sluice(['send', '--type', 'com.example.only-type'], { stdin: '{}' }),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain("missing required argument 'file'");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read no-such-file.ndjson');
    expect(notes.code).toBe(2);
    expect(notes.stderr).toContain('--type and --source go together');
  });

  it('prints help with exit code 0 and no target or sign-in needed', async () => {
    const help = await spawnCli(['--help'], { cwd: dir, env: childEnv });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: sluice');
    expect(help.stdout).toContain('upload [options] <file>');
  });
});

describe('signing in', () => {
  it('says "not signed in, run sluice login" before any sign-in', async () => {
    const result = await sluice(['jobs']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not signed in, run sluice login');
    expect(existsSync(tokenFile())).toBe(false);
  });

  it('shows the target it reads from the endpoints file', async () => {
    const result = await sluice(['--json', 'endpoints']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      apiUrl: cloud.endpoints.apiUrl,
      local: true,
      origin: endpointsFile,
    });
  });

  it('signs up without an e-mail round trip and caches tokens under XDG_CONFIG_HOME with mode 0600', async () => {
    const result = await sluice(['signup', '--username', username], { env: { SLUICE_PASSWORD: password } });
    expect(result.stderr).toContain(`signed up and signed in as ${username}`);
    expect(result.code).toBe(0);
    expect((await stat(tokenFile())).mode & 0o777).toBe(0o600);
    expect(existsSync(path.join(childEnv.HOME!, '.config'))).toBe(false);
    const cached = JSON.parse(await readFile(tokenFile(), 'utf8'));
    expect(cached[`${cloud.endpoints.apiUrl}|${cloud.endpoints.userPoolClientId}`]).toMatchObject({
      username,
      refreshToken: expect.any(String),
    });
  });

  it('logs out, refuses a wrong password and logs in with SLUICE_PASSWORD', async () => {
    const out = await sluice(['logout']);
    expect(out.code).toBe(0);
    const [jobs0, wrong] = await Promise.all([
      sluice(['jobs']),
      sluice(['login', '--username', username], { env: { SLUICE_PASSWORD: 'Wrong-Passw0rd!' } }),
    ]);
    expect(jobs0.code).toBe(1);
    expect(jobs0.stderr).toContain('not signed in, run sluice login');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('wrong username or password');

    const login = await sluice(['login', '--username', username], { env: { SLUICE_PASSWORD: password } });
    expect(login.stderr).toContain(`signed in as ${username}`);
    expect(login.code).toBe(0);
    const jobs = await sluice(['--json', 'jobs']);
    expect(jobs.code).toBe(0);
    expect(JSON.parse(jobs.stdout)).toEqual({ items: [], nextCursor: null });
  });

  it('turns the API answering 401 to a token it does not accept into "not signed in"', async () => {
    const saved = await readFile(tokenFile(), 'utf8');
    const cache = JSON.parse(saved);
    const key = `${cloud.endpoints.apiUrl}|${cloud.endpoints.userPoolClientId}`;
    const [header, payload] = (cache[key].idToken as string).split('.');
    cache[key] = { ...cache[key], idToken: `${header}.${payload}.AAAA`, refreshToken: undefined };
    await writeFile(tokenFile(), JSON.stringify(cache));
    try {
      const result = await sluice(['jobs']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('not signed in, run sluice login');
    } finally {
      await writeFile(tokenFile(), saved);
    }
  });
});

describe('schemas, send, watch and the rejection report', () => {
  const type = `com.example.cli.payment.${runId}`;
  let jobId: string;

  it('stores a schema with schema put and reads it back with schema get', async () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      required: ['amount'],
      properties: { amount: { type: 'number', minimum: 0 } },
    };
    await writeFile(path.join(dir, 'payment.schema.json'), JSON.stringify(schema));
    const put = await sluice(['schema', 'put', type, 'payment.schema.json']);
    expect(put.stderr).toContain(`schema for ${type} stored`);
    expect(put.code).toBe(0);
    const [got, list] = await Promise.all([sluice(['schema', 'get', type]), sluice(['schema', 'list'])]);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ type, schema });
    expect(list.stdout).toContain(type);
  });

  it('sends NDJSON from stdin and prints the job id', async () => {
    const first = cloudEvent(type, { amount: 1 });
    const events = [
      first, // 0 accepted
      cloudEvent(type, { amount: 2 }), // 1 accepted
      cloudEvent(type, { amount: -5 }), // 2 rejected by the schema
      cloudEvent(type, { amount: 3 }), // 3 accepted
      { ...first }, // 4 duplicate of 0
    ];
    const result = await sluice(['send', '-'], { stdin: ndjson(events) });
    expect(result.stderr).toContain('sent 5 event(s) in 1 request(s)');
    expect(result.code).toBe(0);
    const ids = lines(result.stdout);
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    jobId = ids[0]!;
  });

  it('watches the job to SUCCEEDED with exit code 0 and the exact counts', async () => {
    const result = await sluice(['job', jobId, '--watch', '--interval', '0.2']);
    expect(result.code).toBe(0);
    const watched = lines(result.stdout);
    expect(watched.at(-1)).toBe(
      countsLine(jobId, 'SUCCEEDED', { received: 5, accepted: 3, rejected: 1, duplicates: 1 }),
    );
    expect(watched.every((line) => line.startsWith(`${jobId}  `))).toBe(true);
    expect(result.stderr).toContain(`1 event(s) rejected: sluice job ${jobId} --errors`);

    const json = await sluice(['--json', 'job', jobId]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      jobId,
      status: 'SUCCEEDED',
      counts: { received: 5, accepted: 3, rejected: 1, duplicates: 1 },
    });
  });

  it('lists the rejected line with its index and reason (--errors)', async () => {
    const [result, asJson] = await Promise.all([
      sluice(['job', jobId, '--errors']),
      sluice(['--json', 'job', jobId, '--errors']),
    ]);
    expect(result.code).toBe(0);
    const [header, ...rows] = lines(result.stdout);
    expect(header).toMatch(/^INDEX\s+ID\s+REASON$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^2\s+\S+\s+data\b.*\bamount\b/);

    expect(JSON.parse(asJson.stdout).items).toEqual([
      { index: 2, id: expect.any(String), reason: expect.stringMatching(/^data/) },
    ]);
  });

  it('finds the stored events with events --type', async () => {
    const [table, since, none] = await Promise.all([
      sluice(['events', '--type', type]),
      sluice(['--json', 'events', '--type', type, '--since', '1h']),
      sluice(['events', '--type', `${type}.none`]),
    ]);
    expect(table.code).toBe(0);
    const [header, ...rows] = lines(table.stdout);
    expect(header).toMatch(/^TIME\s+TYPE\s+SOURCE\s+ID$/);
    expect(rows).toHaveLength(3);
    const items = JSON.parse(since.stdout).items as { data: { amount: number } }[];
    expect(items.map((e) => e.data.amount).sort()).toEqual([1, 2, 3]);
    expect(none.stdout.trim()).toBe('no events');
  });

  it('lists the job with sluice jobs', async () => {
    const result = await sluice(['jobs']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${jobId}\\s+api\\s+SUCCEEDED\\s+5\\s+3\\s+1\\s+1\\s`, 'm'));
  });
});

describe('sluice upload', () => {
  it('uploads a 10 MiB NDJSON file with progress lines and watches it to its counts', async () => {
    await writeBulkFile();
    expect((await stat(path.join(dir, 'bulk.ndjson'))).size).toBe(bulkSize);
    const result = await sluice(['upload', 'bulk.ndjson', '--watch', '--interval', '0.5']);
    expect(result.code).toBe(0);

    const progress = lines(result.stderr)
      .map((line) => line.match(/^uploaded (\d+(?:\.\d)? \w+) of (\d+(?:\.\d)? \w+) \((\d+)%\)/))
      .filter((match) => match !== null)
      .map(([, sent, total, percent]) => ({
        sent: parseBytes(sent!),
        total: total!,
        percent: Number(percent),
      }));
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(new Set(progress.map((p) => p.percent)).size).toBeGreaterThanOrEqual(5);
    expect(progress.every((p) => p.total === formatBytes(bulkSize))).toBe(true);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.sent).toBeGreaterThan(progress[i - 1]!.sent);
      expect(progress[i]!.percent).toBeGreaterThanOrEqual(progress[i - 1]!.percent);
    }
    expect(progress.at(-1)).toMatchObject({ sent: bulkSize, percent: 100 });
    expect(result.stderr).not.toContain('\r'); // plain lines, not a redrawn bar
    expect(result.stderr).toContain('uploaded bulk.ndjson (10.0 MiB)');

    const [jobId, ...watched] = lines(result.stdout);
    expect(jobId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(watched.at(-1)).toBe(
      countsLine(jobId!, 'SUCCEEDED', {
        received: bulkCount,
        accepted: bulkCount,
        rejected: 0,
        duplicates: 0,
      }),
    );
    const listed = JSON.parse(
      (await sluice(['--json', 'events', '--type', bulkType, '--limit', '3'])).stdout,
    );
    expect(listed.items).toHaveLength(3);
    expect(listed.nextCursor).toEqual(expect.any(String));
  }, 120_000);

  it('exits non-zero with the reason when the uploaded file cannot be read', async () => {
    await writeFile(path.join(dir, 'garbage.ndjson.gz'), 'this is not gzip at all');
    const event = JSON.stringify(cloudEvent(`com.example.cli.broken.${runId}`, { n: 1 }));
    await writeFile(path.join(dir, 'broken.json'), `[${event},${event.slice(0, 40)}`);
    const [garbage, broken] = await Promise.all([
      sluice(['upload', 'garbage.ndjson.gz', '--watch', '--interval', '0.2']),
      sluice(['upload', 'broken.json', '--watch', '--interval', '0.2']),
    ]);

    expect(garbage.code).toBe(1);
    const [jobId, ...watched] = lines(garbage.stdout);
    expect(watched.at(-1)).toMatch(new RegExp(`^${jobId}  FAILED  .*\\(SubmissionUnreadable: invalid gzip`));
    expect(garbage.stderr).toContain(`job ${jobId} failed: SubmissionUnreadable: invalid gzip`);

    expect(broken.code).toBe(1);
    const brokenJob = lines(broken.stdout)[0];
    expect(broken.stderr).toContain(`job ${brokenJob} failed: SubmissionUnreadable: invalid JSON array`);

    const [again, shown] = await Promise.all([sluice(['job', jobId!, '--watch']), sluice(['job', jobId!])]);
    expect(again.code).toBe(1);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^status\s+FAILED$/m);
    expect(shown.stdout).toMatch(/^failure\s+SubmissionUnreadable: invalid gzip/m);
  });
});
