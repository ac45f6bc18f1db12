/**
 * JSON Schema (draft 2020-12 or draft-07) for the `data` of one event type, compiled with ajv 8 and
 * ajv-formats. One ajv per dialect, emptied after every compile, so one tenant's `$id`s can neither clash
 * with nor be `$ref`erenced by another's; remote `$ref`s are never fetched (they fail to compile). Unknown keywords are
 * ignored, as the JSON Schema spec says, rather than rejected (ajv's strict mode).
 */
import Ajv, { type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { RE2JS } from 're2js';
import { isJsonMediaType, parseMediaType } from '../cloudevents/media-type';
import type { CloudEvent } from '../cloudevents/types';
import { runChecksBounded, VALIDATION_TIME_LIMITS } from './time-bound';

/** null = valid, else a reason starting `data: `. */
export type DataValidator = (data: unknown) => string | null;
export type Dialect = '2020-12' | 'draft-07';

export type CompileResult =
  { ok: true; validate: DataValidator; dialect: Dialect } | { ok: false; message: string };

const DIALECTS: Record<string, Dialect> = {
  'https://json-schema.org/draft/2020-12/schema': '2020-12',
  'http://json-schema.org/draft-07/schema': 'draft-07',
};

/**
 * `pattern` and `patternProperties` run on RE2 (re2js): linear in the input, whatever the pattern. RE2 has no
 * backreferences or lookaround; a pattern using them does not compile, so the schema is refused when stored.
 * Patterns are ECMA-262 (JSON Schema); translateRegExp maps the syntax that differs (named groups, `\/`).
 */
export const re2RegExp: RegExpEngine = Object.assign(
  (pattern: string) => {
    let compiled: RE2JS;
    try {
      compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
    } catch (err) {
      throw new Error(
        `pattern ${JSON.stringify(pattern)} is not supported: patterns run on a linear-time engine (RE2), without backreferences or lookaround (${(err as Error).message})`,
        { cause: err },
      );
    }
    // ajv caches compiled patterns by toString() across schemas: it must name the pattern.
    return { test: (input: string) => compiled.test(input), toString: () => `re2:${pattern}` };
  },
  { code: 're2js' },
);

const AJV_OPTIONS: Options = {
  strict: false,
  allErrors: false,
  logger: false,
  loadSchema: undefined,
  code: { regExp: re2RegExp },
};

const compilers = new Map<Dialect, Ajv>();

function compilerFor(dialect: Dialect): Ajv {
  let ajv = compilers.get(dialect);
  if (!ajv) {
    ajv = dialect === '2020-12' ? new Ajv2020(AJV_OPTIONS) : new Ajv(AJV_OPTIONS);
    addFormats(ajv);
    compilers.set(dialect, ajv);
  }
  return ajv;
}

/** True while a compile runs: still true after V8 stopped one half-way (no `finally` runs then). */
let compiling = false;

/**
 * After a time-bounded check was stopped: if it was compiling, its cleanup (`removeSchema`) never ran and its
 * ajv may hold its half-added schema, so the compilers are rebuilt.
 */
export function resetCompilers(): void {
  if (!compiling) return;
  compilers.clear();
  compiling = false;
}

/** Which dialect a schema's `$schema` names; absent = 2020-12. http/https and a trailing `#` are tolerated. */
export function dialectOf(schema: Record<string, unknown> | boolean): Dialect | undefined {
  if (typeof schema === 'boolean' || schema.$schema === undefined) return '2020-12';
  if (typeof schema.$schema !== 'string') return undefined;
  const uri = schema.$schema.replace(/^https?:/, '').replace(/#$/, '');
  return Object.entries(DIALECTS).find(([known]) => known.replace(/^https?:/, '') === uri)?.[1];
}

/** ajv only knows each meta-schema by its canonical URI. */
function withCanonicalSchemaUri(schema: Record<string, unknown> | boolean, dialect: Dialect) {
  if (typeof schema === 'boolean' || schema.$schema === undefined) return schema;
  const canonical = Object.keys(DIALECTS).find((uri) => DIALECTS[uri] === dialect);
  return { ...schema, $schema: canonical };
}

export function compileSchema(schema: unknown): CompileResult {
  if (
    typeof schema !== 'boolean' &&
    (typeof schema !== 'object' || schema === null || Array.isArray(schema))
  ) {
    return { ok: false, message: 'a schema must be a JSON object (or a boolean)' };
  }
  const dialect = dialectOf(schema as Record<string, unknown> | boolean);
  if (dialect === undefined) {
    return {
      ok: false,
      message: `unsupported $schema ${JSON.stringify((schema as Record<string, unknown>).$schema)}: use ${Object.keys(DIALECTS).join(' or ')}`,
    };
  }
  const ajv = compilerFor(dialect);
  let compiled: ValidateFunction;
  compiling = true;
  try {
    compiled = ajv.compile(withCanonicalSchemaUri(schema as Record<string, unknown> | boolean, dialect));
  } catch (err) {
    // ajv recurses through `$ref`s while compiling: a reference that resolves to itself never ends.
    // ajv builds JSON Pointers and URIs with encodeURIComponent, which throws on a lone surrogate.
    const message =
      err instanceof RangeError
        ? 'the schema could not be compiled: a $ref resolves to itself, or it nests too deep to compile'
        : err instanceof URIError
          ? `the schema holds a property name, $id or $ref that is not well-formed UTF-16 (a lone surrogate): ${err.message}`
          : (err as Error).message;
    return { ok: false, message };
  } finally {
    ajv.removeSchema(); // forget this schema and its $ids; the compiled function keeps working
    compiling = false;
  }
  if (overflowsOnAnything(compiled)) {
    return {
      ok: false,
      message:
        'the schema cannot validate any data: its validator overflows the stack (a $ref or $dynamicRef that reaches itself without going into the data, or a schema too large to run, such as thousands of patternProperties)',
    };
  }
  return { ok: true, dialect, validate: (data) => (compiled(data) ? null : describe(compiled.errors)) };
}

/**
 * compileSchema within `ms` (V8 stops it there; the compilers are then rebuilt): where a schema is stored, so
 * that one which compiles too slowly is refused rather than accepted and then stopped at every chunk (the
 * pipeline compiles inside each event's `perEventMs`, VALIDATION_TIME_LIMITS) or holding the API's function.
 */
export function compileSchemaWithin(schema: unknown, ms = VALIDATION_TIME_LIMITS.perEventMs): CompileResult {
  let result: CompileResult | undefined;
  runChecksBounded(
    [
      () => {
        result = compileSchema(schema);
        return null;
      },
    ],
    { perEventMs: ms, perChunkMs: ms },
    resetCompilers,
  );
  return (
    result ?? {
      ok: false,
      message: `the schema takes longer than ${ms} ms to compile: make it smaller or simpler`,
    }
  );
}

/** The smallest value of each JSON type: a validator that overflows the stack on one of them does on any data. */
const PROBES: readonly unknown[] = [null, true, 0, '', [], {}];

/**
 * `{"$ref":"#"}` and its kin (`allOf`/`anyOf` through a reference back to where they stand) compile, then
 * overflow the stack on every event (≈ 7 ms each, until the chunk's validation budget is spent); so does a
 * validator whose generated code is too large for one call (2,000 `patternProperties`: 0.9 MB of code). Found by
 * validating the smallest values: recursion that goes into the data stops at their depth (0 or 1).
 */
function overflowsOnAnything(validate: ValidateFunction): boolean {
  for (const probe of PROBES) {
    try {
      validate(probe);
    } catch (err) {
      if (err instanceof RangeError) return true;
    }
  }
  return false;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (!first) return 'data: does not match the schema';
  return `data: ${first.message ?? 'does not match the schema'} (at ${first.instancePath || '/'})`;
}

/**
 * Validates the event's `data` against its type's schema. Only JSON data can be validated: base64 data or
 * a non-JSON datacontenttype fail, and so does an event without data (the schema asks for some).
 */
export function checkEventData(event: CloudEvent, validate: DataValidator): string | null {
  const contentType = typeof event.datacontenttype === 'string' ? event.datacontenttype : undefined;
  if (event.data_base64 !== undefined && event.data_base64 !== null) {
    return `data: schema requires JSON data, got ${contentType ?? 'base64'}`;
  }
  const essence = contentType === undefined ? undefined : parseMediaType(contentType)?.essence;
  if (essence !== undefined && !isJsonMediaType(essence)) {
    return `data: schema requires JSON data, got ${contentType}`;
  }
  if (!('data' in event)) return 'data: required by the schema for this type';
  return validate(event.data);
}
