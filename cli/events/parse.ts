import { CliError } from '../errors';

/**
 * Turns `sluice send` input into a list of values: one JSON value (an object is one event, an array is a
 * batch) or NDJSON (one value per non-blank line). `name` labels error messages ("stdin", a file name).
 */
export function parseEventInput(text: string, name: string): unknown[] {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') throw new CliError(`${name} holds no events`);
  const whole = tryParse(body);
  if (whole.ok) return asEventList(whole.value, name);
  // A broken array is a broken document, not NDJSON: report JSON.parse's own message.
  if (body.startsWith('[')) throw new CliError(`${name} is not valid JSON: ${whole.message}`);
  return parseNdjson(body, name);
}

function asEventList(value: unknown, name: string): unknown[] {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new CliError(`${name} holds an empty array`);
    return value;
  }
  if (value !== null && typeof value === 'object') return [value];
  throw new CliError(`${name}: expected a JSON object, a JSON array or NDJSON`);
}

function parseNdjson(body: string, name: string): unknown[] {
  const events: unknown[] = [];
  body.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const parsed = tryParse(line);
    if (!parsed.ok) throw new CliError(`${name} line ${index + 1} is not JSON: ${parsed.message}`);
    events.push(parsed.value);
  });
  return events;
}

type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

function tryParse(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}
