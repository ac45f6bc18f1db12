import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../cli/errors';
import {
  endpointsFromStackOutputs,
  regionFromUserPoolId,
  requireCognito,
  resolveTarget,
  type TargetDeps,
} from '../../cli/target';

const localEndpoints = {
  apiUrl: 'http://127.0.0.1:4000/',
  cdnUrl: 'http://127.0.0.1:4001',
  userPoolId: 'local_pool',
  userPoolClientId: 'local-client',
  region: 'us-east-1',
  cognitoEndpoint: 'http://127.0.0.1:4002',
  tableName: 'sluice',
};

let cwd: string;
let deps: TargetDeps;
beforeEach(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'sluice-target-'));
  deps = { cwd, env: {}, stackOutputs: vi.fn() };
});
afterEach(() => rm(cwd, { recursive: true, force: true }));

async function writeEndpoints(file: string, content: unknown) {
  await mkdir(path.dirname(path.join(cwd, file)), { recursive: true });
  await writeFile(path.join(cwd, file), typeof content === 'string' ? content : JSON.stringify(content));
}

describe('resolveTarget', () => {
  it('reads .sluice/endpoints.json when present and marks the target local', async () => {
    await writeEndpoints('.sluice/endpoints.json', localEndpoints);
    const target = await resolveTarget({}, deps);
    expect(target).toMatchObject({
      ...localEndpoints,
      apiUrl: 'http://127.0.0.1:4000',
      local: true,
      origin: path.join(cwd, '.sluice', 'endpoints.json'),
    });
  });

  it('finds .sluice/endpoints.json in a parent folder', async () => {
    await writeEndpoints('.sluice/endpoints.json', localEndpoints);
    await mkdir(path.join(cwd, 'a', 'b'), { recursive: true });
    const target = await resolveTarget({}, { ...deps, cwd: path.join(cwd, 'a', 'b') });
    expect(target.origin).toBe(path.join(cwd, '.sluice', 'endpoints.json'));
  });

  it('reads <SLUICE_DATA_DIR>/endpoints.json, where npm start writes it when the data dir is moved', async () => {
    await writeEndpoints('data/endpoints.json', { ...localEndpoints, apiUrl: 'http://moved' });
    const target = await resolveTarget({}, { ...deps, env: { SLUICE_DATA_DIR: 'data' } });
    expect(target.apiUrl).toBe('http://moved');
    expect(target.origin).toBe(path.join(cwd, 'data', 'endpoints.json'));
  });

  it('reads an explicit --endpoints file, relative to the working directory', async () => {
    await writeEndpoints('other/e.json', { ...localEndpoints, apiUrl: 'http://other' });
    expect((await resolveTarget({ endpoints: 'other/e.json' }, deps)).apiUrl).toBe('http://other');
  });

  it('lets flags override the file', async () => {
    await writeEndpoints('.sluice/endpoints.json', localEndpoints);
    const target = await resolveTarget({ apiUrl: 'https://api.example.com', userPoolClientId: 'c2' }, deps);
    expect(target).toMatchObject({ apiUrl: 'https://api.example.com', userPoolClientId: 'c2', local: true });
    expect(target.origin).toContain('command-line flags');
  });

  it('works from flags alone, taking the region from the user pool id', async () => {
    const target = await resolveTarget(
      {
        apiUrl: 'https://x.execute-api.eu-west-1.amazonaws.com',
        userPoolId: 'eu-west-1_AbC',
        userPoolClientId: 'c',
      },
      deps,
    );
    expect(target).toMatchObject({ region: 'eu-west-1', local: false, origin: 'command-line flags' });
  });

  it('maps a stack’s PascalCase outputs onto the endpoint names', async () => {
    const stackOutputs = vi.fn(async () => ({
      ApiUrl: 'https://abc.execute-api.us-west-2.amazonaws.com/',
      CdnUrl: 'https://d111.cloudfront.net',
      UserPoolId: 'us-west-2_Pool',
      UserPoolClientId: 'client',
      StateMachineArn: 'arn:sm',
      QueueUrl: 'https://sqs/q',
      DeadLetterQueueUrl: 'https://sqs/dlq',
      TableName: 't',
      BucketName: 'b',
    }));
    const target = await resolveTarget(
      { stack: 'Sluice' },
      { ...deps, env: { AWS_REGION: 'us-west-2' }, stackOutputs },
    );
    expect(stackOutputs).toHaveBeenCalledWith('Sluice', 'us-west-2');
    expect(target).toMatchObject({
      apiUrl: 'https://abc.execute-api.us-west-2.amazonaws.com',
      cdnUrl: 'https://d111.cloudfront.net',
      userPoolClientId: 'client',
      deadLetterQueueUrl: 'https://sqs/dlq',
      region: 'us-west-2',
      local: false,
      origin: 'stack Sluice',
    });
  });

  it('prefers --stack over a default endpoints file', async () => {
    await writeEndpoints('.sluice/endpoints.json', localEndpoints);
    const stackOutputs = vi.fn(async () => ({ ApiUrl: 'https://deployed' }));
    expect((await resolveTarget({ stack: 'S', region: 'us-east-2' }, { ...deps, stackOutputs })).apiUrl).toBe(
      'https://deployed',
    );
  });

  it.each([
    ['no target at all', {}, /^no target/],
    ['both --endpoints and --stack', { endpoints: 'e.json', stack: 's' }, /either --endpoints or --stack/],
    ['a missing --endpoints file', { endpoints: 'missing.json' }, /^cannot read endpoints file/],
  ])('rejects %s as a usage error', async (_, options, message) => {
    const failure = resolveTarget(options, deps);
    await expect(failure).rejects.toBeInstanceOf(UsageError);
    await expect(failure).rejects.toThrow(message);
  });

  it('rejects a malformed endpoints file', async () => {
    await writeEndpoints('.sluice/endpoints.json', '{"apiUrl": 42}');
    await expect(resolveTarget({}, deps)).rejects.toThrow(/is malformed/);
    await writeEndpoints('.sluice/endpoints.json', 'nope');
    await expect(resolveTarget({}, deps)).rejects.toThrow(/is not JSON/);
  });
});

describe('helpers', () => {
  it('reads the region out of a user pool id', () => {
    expect(regionFromUserPoolId('ap-southeast-2_XyZ')).toBe('ap-southeast-2');
    expect(regionFromUserPoolId('us-gov-west-1_abc')).toBe('us-gov-west-1');
    expect(regionFromUserPoolId('local_pool')).toBeUndefined();
    expect(regionFromUserPoolId(undefined)).toBeUndefined();
  });

  it('maps stack outputs without inventing values', () => {
    expect(endpointsFromStackOutputs({ ApiUrl: 'a', TableName: 't' })).toEqual({
      apiUrl: 'a',
      tableName: 't',
    });
  });

  it('requires a client id and region to sign in', () => {
    const base = { apiUrl: 'a', local: false, origin: 'x' };
    expect(() => requireCognito({ ...base, region: 'r' })).toThrow(/user pool client id/);
    expect(() => requireCognito({ ...base, userPoolClientId: 'c' })).toThrow(/region/);
    expect(requireCognito({ ...base, userPoolClientId: 'c', region: 'r' }).userPoolClientId).toBe('c');
  });
});
