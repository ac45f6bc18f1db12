/** Dates, durations and JSON for display. */

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** Epoch seconds → `2025-01-31 14:05:09.123` in the viewer's time zone. */
export function formatDate(epochSeconds: number | undefined): string {
  if (epochSeconds === undefined) return '–';
  const date = new Date(epochSeconds * 1000);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
  );
}

/** `850 ms`, `12.345 s`, `3 min 4 s`, `2 h 5 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(3)} s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

/** From start to stop, or to `now` while still running (epoch seconds in, milliseconds out). */
export function durationMs(startDate: number, stopDate: number | undefined, nowMs: number): number {
  return (stopDate === undefined ? nowMs : stopDate * 1000) - startDate * 1000;
}

/** Pretty JSON when the text is JSON (a Lambda cause often is); the text itself otherwise. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** `FAILED` → `Failed`, `TIMED_OUT` → `Timed out`. */
export function statusText(status: string): string {
  const words = status.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
