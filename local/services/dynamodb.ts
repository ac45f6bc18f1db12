/**
 * DynamoDB: dynalite (the DynamoDB JSON protocol over LevelDB) persisted under <dataDir>/dynamodb, with the
 * one table declared in wiring.table created on first start (PAY_PER_REQUEST, as in the stack).
 */
import { mkdirSync } from 'node:fs';
import dynalite from 'dynalite';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { table } from '../../cdk/wiring';
import { closeServer, host, listen } from './network';
import { localCredentials } from './credentials';

export interface DynamoDbService {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startDynamoDb(opts: {
  dir: string;
  port: { port: number; fixed: boolean };
  region: string;
  tableName: string;
}): Promise<DynamoDbService> {
  mkdirSync(opts.dir, { recursive: true });
  const server = dynalite({ path: opts.dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listen(server, opts.port);
  const endpoint = `http://${host}:${port}`;
  const client = new DynamoDBClient({ endpoint, region: opts.region, credentials: localCredentials });
  try {
    await ensureTable(client, opts.tableName);
  } catch (error) {
    await closeServer(server);
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, stop: () => closeServer(server) };
}

async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const keys = [
    table.partitionKey,
    table.sortKey,
    ...table.indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ];
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: keys.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: table.partitionKey, KeyType: 'HASH' },
        { AttributeName: table.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: table.indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    }),
  );
  await waitUntilTableExists(
    { client, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.2 },
    { TableName: tableName },
  );
}
