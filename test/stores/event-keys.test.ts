import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { eventItem, eventStore } from '../../shared/aws/stores/events';
import { MAX_SHARDS } from '../../shared/aws/stores/shards';
import { schemaKey } from '../../shared/aws/stores/schemas';
import { eventKey, sortTime } from '../../shared/cloudevents/envelope';
import { MAX_ATTRIBUTE_BYTES } from '../../shared/cloudevents/limits';
import type { CloudEvent } from '../../shared/cloudevents/types';

const MAX_PARTITION_KEY_BYTES = 2048;
const MAX_SORT_KEY_BYTES = 1024;
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Values at the attribute limit whose key encodings are the longest per byte, and a few mixes. */
const fill = (unit: string) => unit.repeat(Math.floor(MAX_ATTRIBUTE_BYTES / bytes(unit)));
const worst = {
  ascii: fill('a'),
  cjk: fill('漢'), // 3 bytes, 9 encoded characters each
  hash: fill('#'), // 1 byte, 3 encoded characters each
  percent: fill('%'),
  emoji: fill('😀'), // 4 bytes, 12 encoded characters each
  mixed: fill('a漢#😀'),
};
const tenants = {
  uuid: '3f9c1b7e-8a42-4d7e-9c1a-2b6f0e4d5a11',
  long: 'x'.repeat(128),
  cjk: '漢'.repeat(128),
  emoji: '😀'.repeat(64),
};
// Years 0000 and 9999 pushed out of range by their offsets: sorted at the edges, never a longer +010000 form.
const times = ['0000-01-01T00:00:00+23:59', '9999-12-31T23:59:59.999-23:59', undefined];

const cases = Object.entries(tenants).flatMap(([tenantName, tenant]) =>
  Object.entries(worst).flatMap(([sourceName, source]) =>
    Object.entries(worst).flatMap(([idName, id]) =>
      times.map((time) => ({
        label: `${tenantName} tenant, ${sourceName} source, ${idName} id, time ${time ?? 'absent'}`,
        tenant,
        event: { specversion: '1.0', id, source, type: worst[sourceName as keyof typeof worst], time },
      })),
    ),
  ),
);

describe('DynamoDB keys stay under AWS limits for every value the limits allow', () => {
  it('every case is at the attribute limit', () => {
    for (const value of Object.values(worst)) {
      expect(bytes(value)).toBeLessThanOrEqual(MAX_ATTRIBUTE_BYTES);
      expect(bytes(value)).toBeGreaterThan(MAX_ATTRIBUTE_BYTES - 8);
    }
    const longest = times.map((time) => sortTime({ time } as unknown as CloudEvent, '2026-01-01T00:00:00Z'));
    expect(longest.slice(0, 2)).toEqual(['0000-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']);
    expect(longest.map((t) => t.length)).toEqual([24, 24, 24]);
  });

  it.each(cases)('event item: $label', ({ tenant, event }) => {
    // The most type shards there may be: the longest shard suffix on gsi1pk.
    const item = eventItem(
      {
        tenant,
        event: event as CloudEvent,
        serialized: JSON.stringify(event),
        jobId: 'J',
        idx: 0,
        ingestedAt: '2026-01-01T00:00:00.000Z',
      },
      MAX_SHARDS,
    );
    expect(bytes(item.pk)).toBeLessThan(MAX_PARTITION_KEY_BYTES);
    expect(bytes(item.sk)).toBeLessThan(MAX_SORT_KEY_BYTES);
    expect(bytes(item.gsi1pk)).toBeLessThan(MAX_PARTITION_KEY_BYTES);
    expect(bytes(item.gsi1sk)).toBeLessThan(MAX_SORT_KEY_BYTES);
    // The full values stay in the item.
    expect([item.source, item.id, item.type]).toEqual([event.source, event.id, event.type]);
  });

  it.each(
    Object.entries(tenants).flatMap(([t, tenant]) =>
      Object.entries(worst).map(([v, type]) => ({ t, v, tenant, type })),
    ),
  )('schema key: $t tenant, $v type', ({ tenant, type }) => {
    const key = schemaKey(tenant, type);
    expect(bytes(key.pk)).toBeLessThan(MAX_PARTITION_KEY_BYTES);
    expect(bytes(key.sk)).toBeLessThan(MAX_SORT_KEY_BYTES);
  });

  it('types over the limit (from PUT /schemas paths) are hashed into the schema key', () => {
    const key = schemaKey('t', '漢'.repeat(512));
    expect(key.sk).toMatch(/^SCHEMA#sha256:[\w-]{43}$/);
    expect(schemaKey('t', '漢'.repeat(512))).toEqual(key);
    expect(schemaKey('t', '漢'.repeat(513))).not.toEqual(key);
  });
});

describe('short values keep the keys stored before the limits', () => {
  const enc = encodeURIComponent;
  const old = (tenant: string, e: { source: string; id: string; type: string }, time: string) => ({
    pk: `EVENT#${tenant}#${enc(e.source)}#${enc(e.id)}`,
    gsi1pk: `TYPE#${tenant}#${enc(e.type)}`,
    gsi1sk: `${time}#${enc(e.source)}#${enc(e.id)}`,
  });

  it.each([
    { source: 'https://example.com/orders#eu', id: 'id#1 2/3', type: 'com.example.order placed' },
    { source: 'urn:x', id: 'é漢😀', type: 't' },
    // Together exactly the identity budget (994 encoded characters): still the old form.
    { source: 'a'.repeat(494), id: 'b'.repeat(500), type: 'y'.repeat(1000) },
  ])('$id', (e) => {
    const event = { specversion: '1.0' as const, ...e, time: '2026-01-02T03:04:05Z' };
    const item = eventItem({
      tenant: tenants.uuid,
      event,
      serialized: JSON.stringify(event),
      jobId: 'J',
      idx: 0,
      ingestedAt: '2026-01-01T00:00:00.000Z',
    });
    const before = old(tenants.uuid, e, '2026-01-02T03:04:05.000Z');
    expect({ pk: item.pk, gsi1sk: item.gsi1sk }).toEqual({ pk: before.pk, gsi1sk: before.gsi1sk });
    // The type index is sharded: the old partition key and `#<shard>` (GET /events still reads the old one).
    expect(item.gsi1pk).toMatch(/^TYPE#[^#]+#[^#]+#(?:[0-9]|1[0-5])$/);
    expect(item.gsi1pk.slice(0, item.gsi1pk.lastIndexOf('#'))).toBe(before.gsi1pk);
    expect(schemaKey(tenants.uuid, e.type)).toEqual({ pk: `TENANT#${tenants.uuid}`, sk: `SCHEMA#${e.type}` });
  });

  it('one character over the budget hashes only the longer part', () => {
    const key = eventKey('t', 'a'.repeat(494), 'b'.repeat(501)).pk;
    expect(key).toMatch(new RegExp(`^EVENT#t#a{494}#sha256:[\\w-]{43}$`));
  });

  it('distinct identities keep distinct keys, also when hashed', () => {
    const long = '漢'.repeat(333);
    const keys = [
      eventKey('t', 'a#b', 'c'),
      eventKey('t', 'a', 'b#c'),
      eventKey('t', long, 'x'),
      eventKey('t', 'x', long),
      eventKey('t', long, long),
      eventKey('t', `${long}!`, long),
    ].map((k) => k.pk);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('never throws on a value that is not well-formed (a lookup with one finds nothing)', () => {
    expect(eventKey('t', 'urn:x', '\ud800').pk).toMatch(/^EVENT#t#urn%3Ax#sha256:/);
  });
});

describe('GET /events/{id}?source= reads long identities under the key they were stored with', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const events = eventStore(
    'sluice',
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  );
  beforeEach(() => ddb.reset());

  it.each(Object.entries(worst))('%s id and source', async (_name, value) => {
    const event = { specversion: '1.0' as const, id: value, source: value, type: 't' };
    const item = eventItem({
      tenant: 'alice',
      event,
      serialized: JSON.stringify(event),
      jobId: 'J',
      idx: 0,
      ingestedAt: '2026-01-01T00:00:00.000Z',
    });
    ddb.on(GetCommand, { Key: { pk: item.pk, sk: item.sk } }).resolves({ Item: item });
    expect(await events.get('alice', value, value)).toEqual(event);
  });
});
