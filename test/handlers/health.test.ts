import { describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/health/handler';
import { apiEvent, lambdaContext, parsed } from './api-event';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

describe('health', () => {
  it('answers GET /health without a caller', async () => {
    const result = parsed(await handler(apiEvent('GET /health', { tenant: null }), lambdaContext));
    expect(result).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(result.headers['content-type']).toBe('application/json');
  });

  it('answers a route it does not serve with 404 in the error shape', async () => {
    const result = parsed(await handler(apiEvent('GET /nope'), lambdaContext));
    expect(result.status).toBe(404);
    expect(result.body.error).toMatchObject({ code: 'NotFound', details: [] });
  });
});
