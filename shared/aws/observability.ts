/**
 * Powertools Logger, Tracer and Metrics shared by every function. The service name comes from
 * POWERTOOLS_SERVICE_NAME (set per function by the stack and the local cloud); correlation keys (jobId,
 * executionArn) are appended by the handlers with `logger.appendKeys`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { Metrics } from '@aws-lambda-powertools/metrics';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'sluice';

export const logger = new Logger({ serviceName });
export const tracer = new Tracer({ serviceName });
export const metrics = new Metrics({
  serviceName,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Sluice',
});
