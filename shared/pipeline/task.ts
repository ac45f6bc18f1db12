/** The wrapper of every workflow task handler: observability, job correlation keys, retryable errors named. */
import type { Context } from 'aws-lambda';
import { instrumented } from '../aws/handler';
import { logger } from '../aws/observability';
import { retryable } from './errors';

export function workflowTask<E extends { jobId?: string; executionArn?: string }, R>(
  name: string,
  fn: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return instrumented(name, async (event: E, context: Context) => {
    logger.appendKeys({ jobId: event.jobId, executionArn: event.executionArn });
    try {
      return await fn(event, context);
    } catch (error) {
      throw retryable(error);
    }
  });
}
