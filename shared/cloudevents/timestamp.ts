/**
 * RFC 3339 `date-time` (the CloudEvents Timestamp type): full date, time with seconds, optional fraction,
 * and a `Z` or `±hh:mm` offset. Hand-written because common validators also accept `±hh` offsets.
 */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/** The instant `value` denotes (milliseconds since the epoch), or null when it is not an RFC 3339 timestamp. */
export function parseRfc3339(value: string): number | null {
  const m = RFC3339.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const offsetHours = m[10] === undefined ? 0 : Number(m[10]);
  const offsetMinutes = m[11] === undefined ? 0 : Number(m[11]);
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 60 && // 60 = leap second
    offsetHours <= 23 &&
    offsetMinutes <= 59;
  if (!valid) return null;

  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // not Date.UTC: it maps years 0-99 to 1900-1999
  date.setUTCHours(hour, minute, Math.min(second, 59), second === 60 ? 999 : millis);
  const sign = m[9] === '-' ? -1 : 1;
  return date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

/** The first and last instants whose UTC form has a four-digit year. */
const FIRST_INSTANT = new Date(0).setUTCFullYear(0, 0, 1); // not Date.UTC: it maps year 0 to 1900
const LAST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * `value` as UTC `YYYY-MM-DDTHH:mm:ss.sssZ` (sub-millisecond digits truncated), or null when invalid. An offset
 * can carry a four-digit year out of range in UTC (`9999-12-31T23:59:59-23:59` is in year 10000, whose ISO
 * form `+010000-…` sorts before `0000-…`; `0000-01-01T00:00:00+01:00` is in year -1): such an instant is
 * clamped to 0000-01-01T00:00:00.000Z or 9999-12-31T23:59:59.999Z, so the text always sorts as the instant
 * does (it is an index key and a query bound; the event keeps its `time` as sent).
 */
export function normalizeTimestamp(value: string): string | null {
  const instant = parseRfc3339(value);
  if (instant === null) return null;
  return new Date(Math.min(Math.max(instant, FIRST_INSTANT), LAST_INSTANT)).toISOString();
}
