/**
 * A tenant's JSON Schemas for event data: pk `TENANT#<tenant>`, sk `SCHEMA#<type>`, the schema kept as a JSON
 * string so DynamoDB never rewrites it (docs/design.md).
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../clients';
import { decodeKeyCursor, encodeCursor, MAX_SORT_KEY_BYTES } from '../../http/request';
import {
  MAX_ATTRIBUTE_BYTES,
  hashedKeyPart,
  isHashedKeyPart,
  wellFormedBytes,
} from '../../cloudevents/limits';

export interface StoredSchema {
  type: string;
  schema: unknown;
  createdAt: string;
  updatedAt: string;
}

export interface SchemaStore {
  put(
    tenant: string,
    type: string,
    schema: unknown,
  ): Promise<{ type: string; createdAt: string; updatedAt: string }>;
  get(tenant: string, type: string): Promise<StoredSchema | undefined>;
  list(
    tenant: string,
    opts: { limit: number; cursor?: string },
  ): Promise<{ items: { type: string; updatedAt: string }[]; nextCursor: string | null }>;
}

const partition = (tenant: string) => `TENANT#${tenant}`;

/**
 * The type in the sort key: as it is (the keys schemas always had) when it is well-formed and at most
 * MAX_ATTRIBUTE_BYTES, so every type an event may carry; else hashed, so `SCHEMA#…` stays ≤ 7 + 1,000 bytes
 * (< 1,024). A type that itself looks hashed is hashed too, so no two types share a key.
 */
function schemaTypePart(type: string): string {
  const bytes = wellFormedBytes(type);
  const raw = bytes !== undefined && bytes <= MAX_ATTRIBUTE_BYTES && !isHashedKeyPart(type);
  return raw ? type : hashedKeyPart(type);
}

export const schemaKey = (tenant: string, type: string) => ({
  pk: partition(tenant),
  sk: `SCHEMA#${schemaTypePart(type)}`,
});

/** A schema's sort key (what a GET /schemas cursor may hold). */
const SCHEMA_SORT_KEY = { pattern: /^SCHEMA#./s, maxBytes: MAX_SORT_KEY_BYTES };

export function schemaStore(tableName: string, db = dynamoDb()): SchemaStore {
  return {
    async put(tenant, type, schema) {
      const now = new Date().toISOString();
      const { Attributes = {} } = await db.send(
        new UpdateCommand({
          TableName: tableName,
          Key: schemaKey(tenant, type),
          // A replaced schema keeps the time it was first created.
          UpdateExpression:
            'SET #type = :type, #schema = :schema, #updatedAt = :now, #createdAt = if_not_exists(#createdAt, :now)',
          ExpressionAttributeNames: {
            '#type': 'type',
            '#schema': 'schema',
            '#createdAt': 'createdAt',
            '#updatedAt': 'updatedAt',
          },
          ExpressionAttributeValues: { ':type': type, ':schema': JSON.stringify(schema), ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { type, createdAt: String(Attributes.createdAt ?? now), updatedAt: now };
    },

    async get(tenant, type) {
      const { Item } = await db.send(
        new GetCommand({ TableName: tableName, Key: schemaKey(tenant, type), ConsistentRead: true }),
      );
      if (!Item) return undefined;
      return {
        type: Item.type as string,
        schema: JSON.parse(Item.schema as string),
        createdAt: Item.createdAt as string,
        updatedAt: Item.updatedAt as string,
      };
    },

    async list(tenant, { limit, cursor }) {
      const pk = partition(tenant);
      const { Items = [], LastEvaluatedKey } = await db.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeNames: { '#type': 'type', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':pk': pk, ':prefix': 'SCHEMA#' },
          ProjectionExpression: '#type, #updatedAt',
          Limit: limit,
          ExclusiveStartKey: decodeKeyCursor(cursor, { pk, sk: SCHEMA_SORT_KEY }),
        }),
      );
      return {
        items: Items.map((item) => ({ type: item.type as string, updatedAt: item.updatedAt as string })),
        nextCursor: LastEvaluatedKey ? encodeCursor(LastEvaluatedKey) : null,
      };
    },
  };
}
