/**
 * The meter's unit rules (local/meter/units.ts) against AWS's documented rules and examples:
 * - DynamoDB (developer guide, "read and write operations" / on-demand pricing): a write of up to 1 KB is 1 WRU,
 *   larger items need 1 more per KB; a strongly consistent read of up to 4 KB is 1 RRU (an 8 KB item: 2),
 *   eventually consistent half (8 KB: 1); PutItem/UpdateItem/DeleteItem are sized by the larger of the item
 *   before and after; each index write is counted on its own, a key change being a delete plus a put.
 * - SQS pricing: each 64 KB chunk of a payload is billed as one request (a 256 KB payload = 4 requests).
 * - API Gateway HTTP APIs are metered in 512 KB increments.
 * - Lambda rounds billed duration up to the nearest millisecond.
 */
import { describe, expect, it } from 'vitest';
import { dynamoItemSize } from '../../local/services/dynalite-limits';
import {
  apiGatewayRequestUnits,
  billedDurationMs,
  gbSeconds,
  indexWrites,
  readUnits,
  s3Operation,
  s3Tier,
  sqsRequestUnits,
  writeUnits,
  writeUnitsOf,
  type DynamoItem,
} from '../../local/meter/units';
import { loggingConfig, writesPlatformLines } from '../../local/meter/logging-config';
import { observability } from '../../cdk/wiring';
import { Meter } from '../../local/meter/meter';

const KB = 1024;
const gsi1 = { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' };

/** An item of exactly `bytes` bytes as DynamoDB sizes it: attribute name "d" (1 byte) + a string. */
const itemOf = (bytes: number, extra: DynamoItem = {}): DynamoItem => {
  const base = { ...extra, d: { S: '' } };
  const padding = bytes - dynamoItemSize(base);
  return { ...extra, d: { S: 'x'.repeat(padding) } };
};

describe('DynamoDB write request units', () => {
  it('is 1 WRU up to 1 KB and one more per started KB', () => {
    expect(writeUnits(1)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(writeUnits(2048)).toBe(2);
    expect(writeUnits(3.5 * KB)).toBe(4);
    expect(writeUnits(400 * KB)).toBe(400);
  });

  it('sizes items as DynamoDB does (names + UTF-8 values), so a 1,024-byte item is 1 WRU and 1,025 is 2', () => {
    expect(dynamoItemSize({ pk: { S: 'abc' } })).toBe(5);
    expect(dynamoItemSize({ n: { N: '123' } })).toBe(1 + 3);
    expect(dynamoItemSize({ é: { S: 'é' } })).toBe(4);
    expect(writeUnits(dynamoItemSize(itemOf(1024)))).toBe(1);
    expect(writeUnits(dynamoItemSize(itemOf(1025)))).toBe(2);
  });

  it('takes the larger of the item before and after a write', () => {
    expect(writeUnitsOf(undefined, 500)).toBe(1);
    expect(writeUnitsOf(3000, 500)).toBe(3); // an update that shrinks a 3 KB item
    expect(writeUnitsOf(500, undefined)).toBe(1); // a delete
    expect(writeUnitsOf(undefined, undefined)).toBe(1); // deleting nothing still costs 1
  });

  it('counts each index write on its own: put, update, delete, and a key change as delete + put', () => {
    const key = { gsi1pk: { S: 'TYPE#t#a' }, gsi1sk: { S: '1' } };
    const small = itemOf(900, key);
    const large = itemOf(1500, key);
    expect(indexWrites(gsi1, undefined, small, dynamoItemSize)).toEqual([
      { partitionKey: 'TYPE#t#a', units: 1 },
    ]);
    expect(indexWrites(gsi1, small, large, dynamoItemSize)).toEqual([{ partitionKey: 'TYPE#t#a', units: 2 }]);
    expect(indexWrites(gsi1, large, undefined, dynamoItemSize)).toEqual([
      { partitionKey: 'TYPE#t#a', units: 2 },
    ]);
    const moved = itemOf(900, { gsi1pk: { S: 'TYPE#t#b' }, gsi1sk: { S: '1' } });
    expect(indexWrites(gsi1, small, moved, dynamoItemSize)).toEqual([
      { partitionKey: 'TYPE#t#a', units: 1 },
      { partitionKey: 'TYPE#t#b', units: 1 },
    ]);
    // An item without the index's key attributes (a job item) writes nothing to the index.
    expect(indexWrites(gsi1, undefined, itemOf(900, { pk: { S: 'TENANT#t' } }), dynamoItemSize)).toEqual([]);
  });
});

describe('DynamoDB read request units', () => {
  it('is 1 RRU per started 4 KB, strongly consistent, half that eventually consistent', () => {
    expect(readUnits(0, true)).toBe(1);
    expect(readUnits(3500, true)).toBe(1);
    expect(readUnits(4 * KB, true)).toBe(1);
    expect(readUnits(4 * KB + 1, true)).toBe(2);
    expect(readUnits(8 * KB, true)).toBe(2);
    expect(readUnits(8 * KB, false)).toBe(1);
    expect(readUnits(100, false)).toBe(0.5);
  });
});

describe('SQS request units', () => {
  it('bills each 64 KB chunk of a payload as one request', () => {
    expect(sqsRequestUnits(1)).toBe(1);
    expect(sqsRequestUnits(64 * KB)).toBe(1);
    expect(sqsRequestUnits(65 * KB)).toBe(2);
    expect(sqsRequestUnits(256 * KB)).toBe(4);
    expect(sqsRequestUnits(0)).toBe(1); // an empty receive is still a request
  });
});

describe('API Gateway request units', () => {
  it('meters HTTP API requests in 512 KB increments', () => {
    expect(apiGatewayRequestUnits(0)).toBe(1);
    expect(apiGatewayRequestUnits(512 * KB)).toBe(1);
    expect(apiGatewayRequestUnits(512 * KB + 1)).toBe(2);
    expect(apiGatewayRequestUnits(1.5 * 1024 * KB)).toBe(3);
    expect(apiGatewayRequestUnits(5 * 1024 * KB)).toBe(10);
  });
});

describe('Lambda billed duration', () => {
  it('rounds up to the next millisecond and bills GB-seconds at the configured memory', () => {
    expect(billedDurationMs(0.2)).toBe(1);
    expect(billedDurationMs(12)).toBe(12);
    expect(billedDurationMs(12.01)).toBe(13);
    expect(gbSeconds(1000, 1024)).toBe(1);
    expect(gbSeconds(100, 256)).toBe(0.025);
  });
});

describe('S3 operations and tiers', () => {
  it('names the operation of a path-style request and its price tier', () => {
    expect(s3Operation('PUT', '/b/k/x.json', {}, false)).toBe('PutObject');
    expect(s3Operation('PUT', '/b/k', {}, true)).toBe('CopyObject');
    expect(s3Operation('GET', '/b', { 'list-type': '' }, false)).toBe('ListObjectsV2');
    expect(s3Operation('GET', '/b/k', {}, false)).toBe('GetObject');
    expect(s3Operation('HEAD', '/b/k', {}, false)).toBe('HeadObject');
    expect(s3Tier('PutObject')).toBe('putCopyPostList');
    expect(s3Tier('ListObjectsV2')).toBe('putCopyPostList');
    expect(s3Tier('GetObject')).toBe('getAndOther');
    expect(s3Tier('HeadObject')).toBe('getAndOther');
    expect(s3Tier('DeleteObject')).toBe('free');
  });
});

describe('logs and transitions', () => {
  it('takes the stack logging configuration from the wiring the stack applies', () => {
    const config = loggingConfig();
    expect(config).toMatchObject({
      lambdaPlatformLines: writesPlatformLines(
        observability.lambdaLogFormat,
        observability.lambdaSystemLogLevel,
      ),
      stateMachineLogLevel: observability.stateMachineLogLevel,
      includeExecutionData: observability.stateMachineIncludeExecutionData,
      stateMachineTracing: observability.stateMachineTracing,
    });
    // The API's hot path passes traces through; the others start them.
    expect(config.tracedFunctions).not.toContain('submit-events');
    expect(config.tracedFunctions).toContain('start-execution');
    // Lambda's START/END/REPORT lines are INFO: written in text format always, in JSON unless filtered out.
    expect(writesPlatformLines('Text', 'WARN')).toBe(true);
    expect(writesPlatformLines('JSON', 'INFO')).toBe(true);
    expect(writesPlatformLines('JSON', 'WARN')).toBe(false);
  });

  it('counts a transition per state entered and per task retry, and logs only what the level keeps', async () => {
    const meter = new Meter({ ...loggingConfig(), stateMachineLogLevel: 'ERROR' });
    const arn = 'arn:aws:states:us-east-1:0:execution:m:e';
    for (const type of [
      'ExecutionStarted',
      'ChoiceStateEntered',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled', // a retry
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'SucceedStateEntered',
      'ExecutionSucceeded',
    ])
      meter.stateMachineEvent({ type }, arn);
    const { stepFunctions } = await meter.snapshot();
    expect(stepFunctions.executionsStarted).toBe(1);
    expect(stepFunctions.transitions).toBe(4);
    expect(stepFunctions.logEvents).toBe(1);
  });
});
