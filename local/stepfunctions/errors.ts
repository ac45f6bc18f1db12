/** An error the service answers with, in the AWS JSON protocol: `{"__type": code, "message"}`. */
export class SfnError extends Error {
  override readonly name = 'SfnError';

  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
  }
}
