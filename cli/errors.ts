/** Exit codes: 0 success, 1 failure (API error, failed job, not signed in), 2 bad arguments. */
export const ExitCode = { ok: 0, failure: 1, usage: 2 } as const;

/** An error the CLI reports as one clear line on stderr, with its exit code. */
export class CliError extends Error {
  readonly exitCode: number = ExitCode.failure;
}

export class UsageError extends CliError {
  override readonly exitCode: number = ExitCode.usage;
}

export class NotSignedInError extends CliError {
  constructor(reason = 'not signed in, run sluice login') {
    super(reason);
  }
}

/** An error response of the Sluice API (`{"error":{"code","message","details"}}`). */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(`${code} (HTTP ${status}): ${message}`);
  }
}

export function exitCodeFor(error: unknown): number {
  return error instanceof CliError ? error.exitCode : ExitCode.failure;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
