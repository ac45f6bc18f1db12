/** Just enough RFC 2045/9110 media type handling for Content-Type and `datacontenttype`. */

export interface MediaType {
  /** `type/subtype`, lowercased. */
  essence: string;
  /** Parameter names lowercased, values unquoted. */
  params: Record<string, string>;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[^"\\\\]|\\\\.)*"';
const PARAM_CAPTURE = new RegExp(`[ \\t]*;[ \\t]*(${TOKEN})=(${TOKEN}|${QUOTED})`, 'g');
const MEDIA_TYPE = new RegExp(
  `^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|${QUOTED}))*[ \\t]*;?$`,
);

/** True when `value` is a syntactically valid media type (`type/subtype` with optional parameters). */
export function isMediaType(value: string): boolean {
  return MEDIA_TYPE.test(value.trim());
}

/** Parses a Content-Type value; undefined when it is absent or not a media type. */
export function parseMediaType(value: string | undefined): MediaType | undefined {
  if (value === undefined || !isMediaType(value)) return undefined;
  const trimmed = value.trim();
  const essence = trimmed.slice(0, trimmed.search(/[ \t;]|$/));
  const params: Record<string, string> = {};
  for (const [, name = '', raw = ''] of trimmed.slice(essence.length).matchAll(PARAM_CAPTURE)) {
    params[name.toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return { essence: essence.toLowerCase(), params };
}

/** The first parameter name a media type gives twice (RFC 6838 §4.3 calls that an error), if any. */
export function repeatedParameter(value: string): string | undefined {
  const seen = new Set<string>();
  for (const [, name = ''] of value.trim().matchAll(PARAM_CAPTURE)) {
    const lower = name.toLowerCase();
    if (seen.has(lower)) return lower;
    seen.add(lower);
  }
  return undefined;
}

/** application/json, any `+json` suffix, and text/json. */
export const isJsonMediaType = (essence: string): boolean =>
  essence === 'application/json' || essence === 'text/json' || essence.endsWith('+json');

/** text/*, application/xml and any `+xml` suffix: data carried as a string. */
export const isTextMediaType = (essence: string): boolean =>
  essence.startsWith('text/') || essence === 'application/xml' || essence.endsWith('+xml');
