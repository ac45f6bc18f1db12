/**
 * The per-window request counters of the tenant rate limiter (shared/tenants/rate-limiter.ts): item pk
 * `RATE#<tenant>`, sk `W#<epoch second>`, number `taken`, and `ttl` (epoch seconds) so that DynamoDB's TTL
 * deletes the item a minute after its window (the table's TTL attribute, cdk/wiring.ts `table`). The pk prefix
 * never meets a job, event, schema or limits key (`TENANT#`, `EVENT#`, `TYPE#`), and IAM lets the read-only
 * API functions UpdateItem only on `RATE#*` partition keys (dynamodb:LeadingKeys).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../clients';

export const RATE_KEY_PREFIX = 'RATE#';
/** Counter items outlive their window by this long before TTL may delete them. */
export const RATE_COUNTER_TTL_SECONDS = 60;

export const rateCounterKey = (tenant: string, window: number) => ({
  pk: `${RATE_KEY_PREFIX}${tenant}`,
  sk: `W#${window}`,
});

/** `lease(tenant, window, n)`: one UpdateItem ADD (≈ 1 WRU, the item is ~100 bytes), the new total back. */
export function rateCounterStore(tableName: string, db = dynamoDb()) {
  return {
    async lease(tenant: string, window: number, n: number): Promise<number> {
      const { Attributes } = await db.send(
        new UpdateCommand({
          TableName: tableName,
          Key: rateCounterKey(tenant, window),
          UpdateExpression: 'ADD #taken :n SET #ttl = :ttl',
          ExpressionAttributeNames: { '#taken': 'taken', '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':n': n, ':ttl': window + RATE_COUNTER_TTL_SECONDS },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const taken = Attributes?.taken;
      if (typeof taken !== 'number') throw new Error('the rate counter update returned no total');
      return taken;
    },
  };
}
