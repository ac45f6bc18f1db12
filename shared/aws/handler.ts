/**
 * The one wrapper every Lambda handler goes through: Lambda context on every log line, a tracer subsegment
 * per invocation, unexpected errors logged and counted, stored metrics published whatever the outcome.
 * (middy is not a dependency, so this uses Powertools' functional API.)
 */
import type { Context } from 'aws-lambda';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger, metrics, tracer } from './observability';

export function instrumented<E, R>(
  name: string,
  fn: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    // Keys appended during the previous invocation of this warm container must not leak into this one.
    logger.resetKeys();
    if (context) logger.addContext(context); // local runners may invoke without one
    const parent = tracer.getSegment();
    const subsegment = parent?.addNewSubsegment(`## ${name}`);
    if (subsegment) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      return await fn(event, context);
    } catch (error) {
      logger.error(`${name} failed`, error as Error);
      tracer.addErrorAsMetadata(error as Error);
      metrics.addMetric('UnhandledError', MetricUnit.Count, 1);
      throw error;
    } finally {
      subsegment?.close();
      if (parent) tracer.setSegment(parent);
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}
