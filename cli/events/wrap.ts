import { randomUUID } from 'node:crypto';

export interface WrapAttributes {
  type: string;
  source: string;
}

export interface WrapDeps {
  newId: () => string;
  now: () => Date;
}

const defaultDeps: WrapDeps = { newId: randomUUID, now: () => new Date() };

/** A value that already carries `specversion` is taken to be a CloudEvent and sent as it is. */
export function isCloudEvent(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'specversion' in value;
}

/** Makes a raw JSON value the `data` of a new CloudEvent. */
export function wrapAsCloudEvent(data: unknown, attributes: WrapAttributes, deps: WrapDeps = defaultDeps) {
  return {
    specversion: '1.0',
    id: deps.newId(),
    source: attributes.source,
    type: attributes.type,
    time: deps.now().toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}

/** Wraps every value that is not already a CloudEvent. */
export function wrapRawValues(
  values: unknown[],
  attributes: WrapAttributes,
  deps: WrapDeps = defaultDeps,
): unknown[] {
  return values.map((value) => (isCloudEvent(value) ? value : wrapAsCloudEvent(value, attributes, deps)));
}
