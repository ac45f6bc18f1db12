/**
 * DynamoDB: dynalite (the DynamoDB JSON protocol over LevelDB) persisted under <dataDir>/dynamodb, with the
 * one table declared in wiring.table created on first start (PAY_PER_REQUEST, as in the stack). It runs in a
 * child process: every write goes through it, and on a two-core machine it should not share an event loop with
 * the gateway, the poller and the Step Functions engine. DynamoDB's key and item size limits are enforced in it
 * (dynalite-limits.ts), so nothing is stored locally that AWS would refuse.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChildProcess } from 'node:child_process';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { table } from '../../cdk/wiring';
import { freePort, host } from './network';
import { childStartTimeoutMs, spawnNodeChild, stopChild } from './child-process';
import { localCredentials } from './credentials';
import { dynaliteLimitsScript } from './dynalite-limits';
import { dynaliteMeterScript } from '../meter/dynamodb-child';
import { childMeterSource } from '../meter/child-source';
import type { MeterSource } from '../meter/meter';

export interface DynamoDbService {
  endpoint: string;
  /** dynalite's child process. */
  pid: number;
  /** The cost meter's counts kept in dynalite's process (meter/dynamodb-child.ts). */
  meter: MeterSource;
  stop(): Promise<void>;
}

export async function startDynamoDb(opts: {
  dir: string;
  port: { port: number; fixed: boolean };
  region: string;
  tableName: string;
  log?: (line: string) => void;
}): Promise<DynamoDbService> {
  mkdirSync(opts.dir, { recursive: true });
  const port = await freePort(opts.port);
  const endpoint = `http://${host}:${port}`;
  const child = spawnNodeChild({
    script: dynaliteScript,
    args: [dynaliteModule, opts.dir, String(port), host],
    cwd: opts.dir,
    env: {},
    label: 'dynamodb',
    log: opts.log ?? (() => {}),
    ipc: true,
  });
  const stop = () => stopChild(child);
  const client = new DynamoDBClient({ endpoint, region: opts.region, credentials: localCredentials });
  try {
    await waitForReady(child);
    await ensureTable(client, opts.tableName);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, pid: child.pid!, meter: childMeterSource(child), stop };
}

const dynaliteModule = createRequire(import.meta.url).resolve('dynalite');

const dynaliteScript = `
const [dynaliteModule, path, port, host] = process.argv.slice(1);
${dynaliteLimitsScript}
${dynaliteMeterScript}
meterDynaliteServer(require(dynaliteModule)({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }))
  .listen(Number(port), host, () => process.stdout.write('dynalite ready\\n'));
`;

function waitForReady(child: ChildProcess, timeoutMs = childStartTimeoutMs): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('dynalite did not start in time')), timeoutMs);
    child.stdout!.on('data', (data: Buffer) => {
      if (data.toString().includes('dynalite ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dynalite exited with code ${code}`));
    });
  });
}

/** The table the stack declares (cdk/wiring.ts `table`): keys, indexes, on-demand. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const keys = [
    table.partitionKey,
    table.sortKey,
    ...table.indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ];
  return {
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
  };
}

async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  await waitUntilTableExists(
    { client, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.2 },
    { TableName: tableName },
  );
}
