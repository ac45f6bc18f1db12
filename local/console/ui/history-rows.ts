/** The event history table's rows: each event with its step, time since the start and its data fields. */
import type { StateRun } from './outcomes';
import type { HistoryEvent } from './types';

export interface HistoryRow {
  id: number;
  type: string;
  /** The state the event belongs to ("IngestChunk #3" inside a Map iteration), or '' for the execution. */
  step: string;
  /** Milliseconds since the first event. */
  elapsedMs: number;
  timestamp: number;
  /** JSON documents (input, output, parameters) by field name, as sent. */
  data: Record<string, string>;
  error?: string;
  cause?: string;
  /** Other scalar details (resource, index, length, ...). */
  facts: Record<string, string | number | boolean>;
  outcome: 'failed' | 'succeeded' | 'neutral';
}

const dataFields = ['input', 'parameters', 'output'];
const skippedFacts = new Set([...dataFields, 'error', 'cause', 'name', 'inputDetails', 'outputDetails']);

export function stepName(run: StateRun | undefined): string {
  if (!run) return '';
  return run.iteration === undefined ? run.name : `${run.name} #${run.iteration}`;
}

function outcomeOf(type: string): HistoryRow['outcome'] {
  if (/(Failed|TimedOut|Aborted)$/.test(type)) return 'failed';
  if (/Succeeded$/.test(type)) return 'succeeded';
  return 'neutral';
}

export function historyRows(events: HistoryEvent[], runOfEvent: ReadonlyMap<number, StateRun>): HistoryRow[] {
  const start = events[0]?.timestamp ?? 0;
  return events.map((event) => {
    const detailsKey = Object.keys(event).find((key) => key.endsWith('EventDetails'));
    const details = (detailsKey ? event[detailsKey] : {}) as Record<string, unknown>;
    const data: Record<string, string> = {};
    const facts: HistoryRow['facts'] = {};
    for (const [field, value] of Object.entries(details)) {
      if (dataFields.includes(field) && typeof value === 'string') data[field] = value;
      else if (!skippedFacts.has(field) && ['string', 'number', 'boolean'].includes(typeof value)) {
        facts[field] = value as string | number | boolean;
      }
    }
    return {
      id: event.id,
      type: event.type,
      step: stepName(runOfEvent.get(event.id)),
      elapsedMs: Math.round((event.timestamp - start) * 1000),
      timestamp: event.timestamp,
      data,
      ...(typeof details.error === 'string' ? { error: details.error } : {}),
      ...(typeof details.cause === 'string' ? { cause: details.cause } : {}),
      facts,
      outcome: outcomeOf(event.type),
    };
  });
}
