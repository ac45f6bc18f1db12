/**
 * The line format of chunk objects (`work/<jobId>/chunks/<n>.ndjson`): one line per event candidate, either the
 * candidate's JSON or, for a candidate the submission reader already had to reject (too large to hold, invalid
 * UTF-8, nested too deep to serialize), `!` followed by the reason. No JSON text starts with `!`, so the two
 * cannot be confused; the reader turns a source line that itself starts with `!` into a rejected line.
 */
const PRE_REJECTED = '!';

export const rejectedLine = (reason: string): string => PRE_REJECTED + reason.replace(/[\r\n]+/g, ' ');

/** The reason of a line the reader rejected, or undefined for a candidate's JSON text. */
export const rejectedReason = (line: string): string | undefined =>
  line.startsWith(PRE_REJECTED) ? line.slice(PRE_REJECTED.length) : undefined;
