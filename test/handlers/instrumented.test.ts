import { afterEach, describe, expect, it, vi } from 'vitest';
import { instrumented } from '../../shared/aws/handler';
import { logger, metrics } from '../../shared/aws/observability';
import { lambdaContext } from './api-event';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('instrumented', () => {
  it('hands the event and context through and returns the result', async () => {
    const addContext = vi.spyOn(logger, 'addContext');
    const fn = vi.fn(async (event: { n: number }) => event.n * 2);
    expect(await instrumented('double', fn)({ n: 21 }, lambdaContext)).toBe(42);
    expect(fn).toHaveBeenCalledWith({ n: 21 }, lambdaContext);
    expect(addContext).toHaveBeenCalledWith(lambdaContext);
  });

  it('drops keys appended by the previous invocation', async () => {
    logger.setLogLevel('INFO');
    const written = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const handler = instrumented('keys', async (jobId: string | undefined) => {
      if (jobId) logger.appendKeys({ jobId });
      logger.info('working');
    });
    try {
      await handler('job-1', lambdaContext);
      await handler(undefined, lambdaContext);
    } finally {
      logger.setLogLevel('SILENT');
    }
    const lines = written.mock.calls.map(([chunk]) => JSON.parse(String(chunk)));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      message: 'working',
      jobId: 'job-1',
      function_request_id: 'aws-request-1',
    });
    expect(lines[1]).not.toHaveProperty('jobId');
  });

  it('logs, counts and rethrows an unexpected error, publishing metrics anyway', async () => {
    const logged = vi.spyOn(logger, 'error');
    const published = vi.spyOn(metrics, 'publishStoredMetrics');
    const boom = new Error('boom');
    await expect(instrumented('failing', () => Promise.reject(boom))({}, lambdaContext)).rejects.toBe(boom);
    expect(logged).toHaveBeenCalledWith('failing failed', boom);
    expect(published).toHaveBeenCalledTimes(1);
  });
});
