import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { startDynamoDb, type DynamoDbService } from '../../local/services/dynamodb';
import { localCredentials } from '../../local/services/credentials';

const region = 'us-east-1';
const TableName = 'sluice-limits';
let dataDir: string;
let service: DynamoDbService;
let client: DynamoDBClient;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sluice-dynamodb-'));
  service = await startDynamoDb({
    dir: dataDir,
    port: { port: 0, fixed: false },
    region,
    tableName: TableName,
  });
  client = new DynamoDBClient({ endpoint: service.endpoint, region, credentials: localCredentials });
});

afterAll(async () => {
  client?.destroy();
  await service?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const s = (value: string): AttributeValue => ({ S: value });
/** A string of `bytes` UTF-8 bytes made of 3-byte CJK characters (and ASCII for the rest): a third of its length. */
const cjk = (bytes: number) => '漢'.repeat(Math.floor(bytes / 3)) + 'a'.repeat(bytes % 3);
const hashKeyMessage =
  'One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes';
const rangeKeyMessage =
  'One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes';
const indexKeyMessage = (attr: string, bytes: number, max: number) =>
  `One or more parameter values were invalid: Size limit exceeded for Index Key ${attr} Actual Size: ${bytes} bytes Max Size: ${max} bytes IndexName: gsi1`;

async function refusal(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (caught: Error) => caught,
  );
  if (!error) throw new Error('the request was accepted');
  return { name: error.name, message: error.message };
}

const put = (item: Record<string, AttributeValue>) =>
  client.send(new PutItemCommand({ TableName, Item: item }));
const get = async (pk: string, sk: string) =>
  (await client.send(new GetItemCommand({ TableName, Key: { pk: s(pk), sk: s(sk) } }))).Item;

describe('local DynamoDB enforces the AWS size limits', () => {
  it('measures table keys in UTF-8 bytes: 2,048 for the partition key, 1,024 for the sort key', async () => {
    await put({ pk: s(cjk(2048)), sk: s(cjk(1024)) });
    expect(await get(cjk(2048), cjk(1024))).toBeDefined();
    // 683 characters: under dynalite's UTF-16 count, over AWS's byte count.
    expect(await refusal(put({ pk: s(cjk(2049)), sk: s('x') }))).toEqual({
      name: 'ValidationException',
      message: hashKeyMessage,
    });
    expect(await refusal(put({ pk: s('x'), sk: s(cjk(1025)) }))).toEqual({
      name: 'ValidationException',
      message: rangeKeyMessage,
    });
  });

  it('checks the keys of GetItem, DeleteItem, UpdateItem and Query (key conditions, on the table and the index)', async () => {
    const longHash = { pk: s(cjk(2049)), sk: s('x') };
    expect((await refusal(client.send(new GetItemCommand({ TableName, Key: longHash })))).message).toBe(
      hashKeyMessage,
    );
    expect((await refusal(client.send(new DeleteItemCommand({ TableName, Key: longHash })))).message).toBe(
      hashKeyMessage,
    );
    const update = new UpdateItemCommand({
      TableName,
      Key: { pk: s('x'), sk: s(cjk(1025)) },
      UpdateExpression: 'SET a = :a',
      ExpressionAttributeValues: { ':a': s('b') },
    });
    expect((await refusal(client.send(update))).message).toBe(rangeKeyMessage);
    const query = (IndexName: string | undefined, hash: string, range: string) =>
      client.send(
        new QueryCommand({
          TableName,
          IndexName,
          KeyConditionExpression: '#h = :h AND begins_with(#r, :r)',
          ExpressionAttributeNames: IndexName
            ? { '#h': 'gsi1pk', '#r': 'gsi1sk' }
            : { '#h': 'pk', '#r': 'sk' },
          ExpressionAttributeValues: { ':h': s(hash), ':r': s(range) },
        }),
      );
    expect((await refusal(query(undefined, cjk(2049), 'a'))).message).toBe(hashKeyMessage);
    expect((await refusal(query(undefined, 'a', cjk(1025)))).message).toBe(rangeKeyMessage);
    expect((await refusal(query('gsi1', cjk(2049), 'a'))).message).toBe(hashKeyMessage);
    expect((await query('gsi1', cjk(2048), cjk(1024))).Items).toEqual([]);
  });

  it('checks the index keys an item holds (PutItem, BatchWriteItem, the item an UpdateItem produces)', async () => {
    const item = { pk: s('gsi'), sk: s('item'), gsi1pk: s(cjk(2048)), gsi1sk: s(cjk(1024)) };
    await put(item);
    expect(await refusal(put({ ...item, gsi1pk: s(cjk(2049)) }))).toEqual({
      name: 'ValidationException',
      message: indexKeyMessage('gsi1pk', 2049, 2048),
    });
    expect((await refusal(put({ ...item, gsi1sk: s(cjk(1025)) }))).message).toBe(
      indexKeyMessage('gsi1sk', 1025, 1024),
    );

    // A batch with one bad item writes none of them.
    const batch = new BatchWriteItemCommand({
      RequestItems: {
        [TableName]: [
          { PutRequest: { Item: { pk: s('batch'), sk: s('good') } } },
          { PutRequest: { Item: { pk: s('batch'), sk: s('bad'), gsi1pk: s(cjk(3000)), gsi1sk: s('x') } } },
        ],
      },
    });
    expect((await refusal(client.send(batch))).message).toBe(indexKeyMessage('gsi1pk', 3000, 2048));
    expect(await get('batch', 'good')).toBeUndefined();

    const update = new UpdateItemCommand({
      TableName,
      Key: { pk: s('gsi'), sk: s('item') },
      UpdateExpression: 'SET gsi1pk = :long',
      ExpressionAttributeValues: { ':long': s(`TYPE#${encodeURIComponent('型'.repeat(1000))}`) },
    });
    expect((await refusal(client.send(update))).message).toBe(indexKeyMessage('gsi1pk', 9005, 2048));
    expect((await get('gsi', 'item'))?.gsi1pk).toEqual(s(cjk(2048)));
  });

  it('sizes items as DynamoDB does (UTF-8 names and strings, numbers, maps and lists) against 400 KB', async () => {
    const limit = 400 * 1024;
    // pk + 'a' (3) + sk + 'b' (3) + the name 'd' (1) + the value.
    const fits = { pk: s('a'), sk: s('b'), d: s('x'.repeat(limit - 7)) };
    await put(fits);
    const itemTooLarge = {
      name: 'ValidationException',
      message: 'Item size has exceeded the maximum allowed size',
    };
    expect(await refusal(put({ ...fits, d: s('x'.repeat(limit - 6)) }))).toEqual(itemTooLarge);
    // 140,000 characters: 140,000 UTF-16 code units (dynalite's measure), 420,000 bytes.
    expect(await refusal(put({ pk: s('a'), sk: s('c'), d: s('漢'.repeat(140_000)) }))).toEqual(itemTooLarge);
    // Names count in UTF-8 bytes too, map keys included: 7 keys of 63,001 bytes (21,001 UTF-16 code units).
    const names = Array.from({ length: 7 }, (_, i) => '名'.repeat(21_000) + String(i));
    const map = { M: Object.fromEntries(names.map((name) => [name, { NULL: true }])) };
    expect(await refusal(put({ pk: s('a'), sk: s('d'), m: map }))).toEqual(itemTooLarge);
    // Maps and lists: 3 bytes plus 1 per element; numbers by digits (38 digits: 21 bytes).
    const list = { L: Array.from({ length: 200 }, () => ({ N: '1'.repeat(38) })) };
    await put({ pk: s('a'), sk: s('e'), l: list, m: { M: { k: list } } });

    const grow = new UpdateItemCommand({
      TableName,
      Key: { pk: s('a'), sk: s('b') },
      UpdateExpression: 'SET e = :e',
      ExpressionAttributeValues: { ':e': s('é') },
    });
    expect(await refusal(client.send(grow))).toEqual({
      name: 'ValidationException',
      message: 'Item size to update has exceeded the maximum allowed size',
    });
    const batch = new BatchWriteItemCommand({
      RequestItems: {
        [TableName]: [{ PutRequest: { Item: { pk: s('a'), sk: s('f'), d: s('ü'.repeat(205_000)) } } }],
      },
    });
    expect(await refusal(client.send(batch))).toEqual(itemTooLarge);
  });
});
