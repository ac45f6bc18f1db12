/** PUT/GET /schemas/{type}, GET /schemas: the caller's JSON Schemas for the `data` of each event type. */
import { readEnv, textVar } from '../../shared/config';
import { schemaStore } from '../../shared/aws/stores/schemas';
import { ApiError } from '../../shared/http/errors';
import { parseLimit, tenantOf } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { compileSchemaWithin } from '../../shared/schemas/validator';
import { apiHandler, jsonBody, pathParam, type ApiEvent } from '../../shared/api/router';

const env = readEnv({ TABLE_NAME: textVar });
const schemas = schemaStore(env.TABLE_NAME);

/** The largest PUT /schemas body (the schema is stored as its JSON, far under DynamoDB's 400 KB items). */
const MAX_SCHEMA_BYTES = 64 * 1024;

/** `{type}`: at most MAX_ATTRIBUTE_BYTES (an event's type can be no longer), so `SCHEMA#<type>` fits a sort key. */
const schemaType = (event: ApiEvent): string => pathParam(event, 'type');

async function putSchema(event: ApiEvent) {
  const tenant = tenantOf(event);
  const type = schemaType(event);
  // Size and depth are checked on the bytes and the parsed value, before anything serializes the schema.
  const schema = jsonBody(event, { maxBytes: MAX_SCHEMA_BYTES });
  const compiled = compileSchemaWithin(schema);
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
