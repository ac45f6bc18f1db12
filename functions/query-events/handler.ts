/** GET /events?type=&since=&until=&limit=&cursor= and GET /events/{id}?source=: the caller's stored events. */
import { readEnv, textVar } from '../../shared/config';
import { apiHandler, pathParam, type ApiEvent } from '../../shared/api/router';
import { eventStore } from '../../shared/aws/stores/events';
import { ApiError } from '../../shared/http/errors';
import { checkParam, parseLimit, parseTimeParam, tenantOf } from '../../shared/http/request';
import { json } from '../../shared/http/responses';

const events = () => eventStore(readEnv({ TABLE_NAME: textVar }).TABLE_NAME);

/** A required query parameter that is compared with an event attribute, so bounded like one. */
function requiredQuery(event: ApiEvent, name: string): string {
  const value = event.queryStringParameters?.[name];
  if (!value) throw new ApiError(400, 'InvalidRequest', `${name} is required`, [{ parameter: name }]);
  return checkParam(name, value);
}

export const handler = apiHandler('query-events', {
  'GET /events': async (event) => {
    const tenant = tenantOf(event);
    const query = event.queryStringParameters ?? {};
    const type = requiredQuery(event, 'type');
    const since = parseTimeParam('since', query.since);
    const until = parseTimeParam('until', query.until);
    if (since !== undefined && until !== undefined && since > until) {
      throw new ApiError(400, 'InvalidRequest', 'since must not be later than until', [
        { parameter: 'since', since, until },
      ]);
    }
    const limit = parseLimit(query.limit, { min: 1, max: 100, fallback: 20 });
    return json(200, await events().queryByType(tenant, type, { since, until, limit, cursor: query.cursor }));
  },

  'GET /events/{id}': async (event) => {
    const tenant = tenantOf(event);
    const id = pathParam(event, 'id');
    const source = requiredQuery(event, 'source');
    const stored = await events().get(tenant, source, id);
    if (stored === undefined) {
      throw new ApiError(404, 'NotFound', 'No event with this source and id', [{ source, id }]);
    }
    return json(200, stored);
  },
});
