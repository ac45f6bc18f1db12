import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tenantLimitsStore } from '../../shared/aws/stores/tenant-limits';
import { effectiveLimits } from '../../shared/tenants/limits';

const defaults = { requestsPerSecond: 100, runningJobs: 4 };

describe('effectiveLimits', () => {
  it('keeps the defaults without an override item', () => {
    expect(effectiveLimits(defaults, undefined)).toEqual(defaults);
  });
  it('takes each positive integer override', () => {
    expect(effectiveLimits(defaults, { requestsPerSecond: 5 })).toEqual({
      requestsPerSecond: 5,
      runningJobs: 4,
    });
    expect(effectiveLimits(defaults, { runningJobs: 1, requestsPerSecond: 2 })).toEqual({
      requestsPerSecond: 2,
      runningJobs: 1,
    });
  });
  it('ignores junk overrides', () => {
    for (const junk of [0, -1, 1.5, '7', null, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(effectiveLimits(defaults, { requestsPerSecond: junk, runningJobs: junk })).toEqual(defaults);
    }
  });
});

describe('tenantLimitsStore', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  let clock = 0;
  beforeEach(() => {
    ddb.reset();
    clock = 0;
  });

  it('reads the override item once per tenant within the cache time', async () => {
    ddb.on(GetCommand).resolves({ Item: { pk: 'TENANT#a', sk: 'LIMITS', requestsPerSecond: 7 } });
    const store = tenantLimitsStore('t', { defaults, cacheMs: 1_000, now: () => clock }, db);
    expect(await store.get('a')).toEqual({ requestsPerSecond: 7, runningJobs: 4 });
    await store.get('a');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input.Key).toEqual({ pk: 'TENANT#a', sk: 'LIMITS' });
    clock = 1_000;
    await store.get('a');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(2);
  });

  it('does not cache a failed read', async () => {
    ddb.on(GetCommand).rejectsOnce(new Error('boom')).resolves({});
    const store = tenantLimitsStore('t', { defaults, now: () => clock }, db);
    await expect(store.get('a')).rejects.toThrow('boom');
    expect(await store.get('a')).toEqual(defaults);
  });

  it('forgets the oldest tenant beyond maxTenants', async () => {
    ddb.on(GetCommand).resolves({});
    const store = tenantLimitsStore('t', { defaults, maxTenants: 2, now: () => clock }, db);
    await store.get('a');
    await store.get('b');
    await store.get('c');
    await store.get('b');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(3);
    await store.get('a');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(4);
  });
});
