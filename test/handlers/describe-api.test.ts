import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/describe-api/handler';
import { apiEvent, lambdaContext, parsed } from './api-event';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

describe('describe-api', () => {
  it('answers GET /openapi.json without a caller with the document in the repository', async () => {
    const result = parsed(await handler(apiEvent('GET /openapi.json', { tenant: null }), lambdaContext));
    expect(result.status).toBe(200);
    expect(result.headers['content-type']).toBe('application/json');
    expect(result.body).toEqual(JSON.parse(readFileSync('shared/api/openapi.json', 'utf8')));
    expect(result.body.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it('answers a route it does not serve with 404 in the error shape', async () => {
    const result = parsed(await handler(apiEvent('GET /health'), lambdaContext));
    expect(result).toMatchObject({ status: 404, body: { error: { code: 'NotFound' } } });
  });
});
