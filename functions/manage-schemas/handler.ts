/** PUT/GET /schemas/{type}, GET /schemas: the caller's JSON Schemas for the `data` of each event type. */
import { z } from 'zod';
import { readEnv } from '../../shared/config';
import { schemaStore } from '../../shared/aws/stores/schemas';
import { ApiError } from '../../shared/http/errors';
import { parseLimit, tenantOf } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { compileSchema } from '../../shared/schemas/validator';
import { apiHandler, jsonBody, pathParam, type ApiEvent } from '../../shared/api/router';

const env = readEnv({ TABLE_NAME: z.string().min(1) });
const schemas = schemaStore(env.TABLE_NAME);

/** DynamoDB's sort key holds at most 1 KiB; a CloudEvents type has no business being longer. */
const MAX_TYPE_LENGTH = 512;
/** Leaves room under DynamoDB's 400 KB item limit. */
const MAX_SCHEMA_BYTES = 300 * 1024;

function schemaType(event: ApiEvent): string {
  const type = pathParam(event, 'type');
  if (type.length > MAX_TYPE_LENGTH) {
    throw new ApiError(400, 'InvalidRequest', `type must be at most ${MAX_TYPE_LENGTH} characters`, [
      { parameter: 'type' },
    ]);
  }
  return type;
}

async function putSchema(event: ApiEvent) {
  const tenant = tenantOf(event);
  const type = schemaType(event);
  const schema = jsonBody(event);
  const size = Buffer.byteLength(JSON.stringify(schema));
  if (size > MAX_SCHEMA_BYTES) {
    throw new ApiError(413, 'PayloadTooLarge', `A schema may be at most ${MAX_SCHEMA_BYTES} bytes`, [
      { limit: MAX_SCHEMA_BYTES, size },
    ]);
  }
  const compiled = compileSchema(schema);
  if (!compiled.ok)
    throw new ApiError(400, 'InvalidSchema', compiled.message, [{ message: compiled.message }]);
  return json(200, await schemas.put(tenant, type, schema));
}

export const handler = apiHandler('manage-schemas', {
  'PUT /schemas/{type}': putSchema,

  'GET /schemas/{type}': async (event) => {
    const type = schemaType(event);
    const stored = await schemas.get(tenantOf(event), type);
    if (!stored) throw new ApiError(404, 'NotFound', `No schema for type ${type}`);
    return json(200, stored);
  },

  'GET /schemas': async (event) => {
    const query = event.queryStringParameters ?? {};
    return json(
      200,
      await schemas.list(tenantOf(event), { limit: parseLimit(query.limit), cursor: query.cursor }),
    );
  },
});
