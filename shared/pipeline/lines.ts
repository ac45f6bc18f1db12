/**
 * The line format of chunk objects (`work/<jobId>/chunks/<n>.ndjson`): one line per event candidate, either the
 * candidate's JSON or, for a candidate the submission reader already had to reject (too large to hold, invalid
 * UTF-8, nested too deep to serialize), `!` followed by the reason, or by `{"id","reason"}` JSON when the reader
 * saw the candidate's `id` (reasons start with an attribute name, never `{`). No JSON text starts with `!`, so
 * the two cannot be confused; the reader turns a source line that itself starts with `!` into a rejected line.
 */
const PRE_REJECTED = '!';

export interface PreRejected {
  id: string | null;
  reason: string;
}

export const rejectedLine = (reason: string, id?: string): string =>
  PRE_REJECTED + (id === undefined ? reason.replace(/[\r\n]+/g, ' ') : JSON.stringify({ id, reason }));

/** What the reader found wrong with a line it rejected, or undefined for a candidate's JSON text. */
export function preRejection(line: string): PreRejected | undefined {
  if (!line.startsWith(PRE_REJECTED)) return undefined;
  const rest = line.slice(PRE_REJECTED.length);
  if (!rest.startsWith('{')) return { id: null, reason: rest };
  const { id, reason } = JSON.parse(rest) as PreRejected;
  return { id, reason };
}
