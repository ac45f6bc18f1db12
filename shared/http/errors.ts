/** The API's error type and body shape: `{"error":{"code","message","details":[...]}}` (docs/design.md). */

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details: unknown[] };
}

export function errorBody(code: string, message: string, details: unknown[] = []): ErrorBody {
  return { error: { code, message, details } };
}
