import { json } from '../../shared/http/responses';
import { apiHandler } from '../../shared/api/router';

export const handler = apiHandler('health', {
  'GET /health': async () => json(200, { status: 'ok' }),
});
