/**
 * A failed Lambda invocation, as the Lambda Invoke API reports it (`X-Amz-Function-Error` with the payload
 * `{errorType, errorMessage, trace}`). Step Functions matches its `Retry`/`Catch` rules on `errorType`.
 */
export class LambdaInvokeError extends Error {
  override readonly name = 'LambdaInvokeError';

  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: string[] = [],
  ) {
    super(`${errorType}: ${errorMessage}`);
  }

  /** The function error payload Lambda returns to the caller. */
  toPayload(): { errorType: string; errorMessage: string; trace: string[] } {
    return { errorType: this.errorType, errorMessage: this.errorMessage, trace: this.trace };
  }
}
