import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tenantLimitStore } from '../../shared/aws/stores/tenant-limits';
import { effectiveLimit } from '../../shared/tenants/limits';

describe('effectiveLimit', () => {
  it('keeps the default without an override item, or without that attribute', () => {
    expect(effectiveLimit('runningJobs', 4, undefined)).toBe(4);
    expect(effectiveLimit('runningJobs', 4, { requestsPerSecond: 5 })).toBe(4);
  });
  it('takes a positive integer override of that limit', () => {
    expect(effectiveLimit('requestsPerSecond', 100, { requestsPerSecond: 5, runningJobs: 1 })).toBe(5);
    expect(effectiveLimit('runningJobs', 4, { requestsPerSecond: 5, runningJobs: 1 })).toBe(1);
  });
  it('ignores junk overrides', () => {
    for (const junk of [0, -1, 1.5, '7', null, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(effectiveLimit('requestsPerSecond', 100, { requestsPerSecond: junk })).toBe(100);
    }
  });
});

describe('tenantLimitStore', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  let clock = 0;
  beforeEach(() => {
    ddb.reset();
    clock = 0;
  });

  it('reads the override item once per tenant within the cache time', async () => {
    ddb.on(GetCommand).resolves({ Item: { pk: 'TENANT#a', sk: 'LIMITS', requestsPerSecond: 7 } });
    const store = tenantLimitStore(
      't',
      'requestsPerSecond',
      { defaultValue: 100, cacheMs: 1_000, now: () => clock },
      db,
    );
    expect(await store.get('a')).toBe(7);
    await store.get('a');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input.Key).toEqual({ pk: 'TENANT#a', sk: 'LIMITS' });
    clock = 1_000;
    await store.get('a');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(2);
  });

  it('does not cache a failed read', async () => {
    ddb.on(GetCommand).rejectsOnce(new Error('boom')).resolves({});
    const store = tenantLimitStore('t', 'runningJobs', { defaultValue: 4, now: () => clock }, db);
    await expect(store.get('a')).rejects.toThrow('boom');
    expect(await store.get('a')).toBe(4);
  });

  it('forgets the oldest tenant beyond maxTenants', async () => {
    ddb.on(GetCommand).resolves({});
    const store = tenantLimitStore(
      't',
      'runningJobs',
      { defaultValue: 4, maxTenants: 2, now: () => clock },
      db,
    );
    await store.get('a');
    await store.get('b');
    await store.get('c');
    await store.get('b');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(3);
    await store.get('a');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(4);
  });
});
