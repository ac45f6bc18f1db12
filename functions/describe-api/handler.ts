/** GET /openapi.json: the API's OpenAPI 3.1 document, bundled with the function (no auth, no AWS calls). */
import document from '../../shared/api/openapi.json';
import { json } from '../../shared/http/responses';
import { apiHandler } from '../../shared/api/router';

export const handler = apiHandler('describe-api', {
  'GET /openapi.json': async () => json(200, document, { 'cache-control': 'public, max-age=300' }),
});
