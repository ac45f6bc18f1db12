import { describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../shared/cloudevents/types';
import { checkEventData, compileSchema, type DataValidator } from '../../shared/schemas/validator';

const payment = {
  type: 'object',
  required: ['amount'],
  properties: { amount: { type: 'number', minimum: 0 }, email: { type: 'string', format: 'email' } },
};

function compiled(schema: unknown): DataValidator {
  const result = compileSchema(schema);
  if (!result.ok) throw new Error(result.message);
  return result.validate;
}

describe('compileSchema', () => {
  it('refuses a $ref that resolves to itself with a message that says so (not a stack overflow)', () => {
    const result = compileSchema({ type: 'object', properties: { a: { $ref: '#/properties/a' } } });
    expect(result).toEqual({
      ok: false,
      message: 'the schema could not be compiled: a $ref resolves to itself, or it nests too deep to compile',
    });
  });

  it('refuses a schema that recurses without going into the data ({"$ref":"#"} and kin), keeps one that does', () => {
    const endless = {
      ok: false,
      message: expect.stringMatching(
        /^the schema cannot validate any data: its validator overflows the stack/,
      ) as unknown,
    };
    expect(compileSchema({ $ref: '#' })).toEqual(endless);
    expect(compileSchema({ if: { type: 'object' }, then: { allOf: [{ $ref: '#' }] } })).toEqual(endless);
    expect(compileSchema({ $defs: { a: { anyOf: [{ $ref: '#/$defs/a' }] } }, $ref: '#/$defs/a' })).toEqual(
      endless,
    );
    const tree = compileSchema({
      type: 'object',
      properties: { kids: { type: 'array', items: { $ref: '#' } } },
    });
    expect(tree.ok && tree.validate({ kids: [{ kids: [] }] })).toBeNull();
  });

  it('no $schema means draft 2020-12', () => {
    expect(compileSchema(payment)).toMatchObject({ ok: true, dialect: '2020-12' });
  });

  it('2020-12 keywords work when named', () => {
    const result = compileSchema({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      prefixItems: [{ type: 'string' }],
      items: false,
    });
    expect(result).toMatchObject({ ok: true, dialect: '2020-12' });
    const validate = compiled({ prefixItems: [{ type: 'string' }], items: false });
    expect(validate(['a'])).toBeNull();
    expect(validate(['a', 1])).toBe('data: must NOT have more than 1 items (at /)');
  });

  it.each([
    'http://json-schema.org/draft-07/schema#',
    'http://json-schema.org/draft-07/schema',
    'https://json-schema.org/draft-07/schema#',
  ])('draft-07 as %s', ($schema) => {
    const result = compileSchema({ $schema, items: [{ type: 'string' }], additionalItems: false });
    expect(result).toMatchObject({ ok: true, dialect: 'draft-07' });
    expect(result.ok && result.validate(['a', 'b'])).toBe('data: must NOT have more than 1 items (at /)');
  });

  it.each([
    ['another draft', { $schema: 'http://json-schema.org/draft-04/schema#' }, /unsupported \$schema/],
    ['a non-string $schema', { $schema: 7 }, /unsupported \$schema/],
    ['not an object', [payment], /must be a JSON object/],
    [
      'a broken keyword',
      { type: 'object', properties: { a: { type: 12 } } },
      /^schema is invalid: data\/properties\/a\/type/,
    ],
    [
      'a remote $ref',
      { $ref: 'https://example.com/schemas/a.json' },
      /can't resolve reference https:\/\/example.com/,
    ],
  ])('ok:false with the compiler message for %s', (_label, schema, message) => {
    const result = compileSchema(schema);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(message);
  });

  it('ignores unknown keywords instead of failing', () => {
    expect(compileSchema({ ...payment, 'x-owner': 'billing' }).ok).toBe(true);
  });

  it("keeps tenants' schemas apart: the same $id compiles twice and cannot be referenced later", () => {
    const first = compiled({
      $id: 'https://x.io/a',
      $defs: { n: { $id: 'https://x.io/n', type: 'number' } },
      properties: { v: { $ref: 'https://x.io/n' } },
    });
    expect(compileSchema({ $id: 'https://x.io/a', type: 'string' }).ok).toBe(true);
    expect(compileSchema({ $ref: 'https://x.io/n' }).ok).toBe(false);
    expect(first({ v: 'x' })).toBe('data: must be number (at /v)');
  });
});

describe('data validation', () => {
  const validate = compiled(payment);

  it('null for valid data, else the first ajv message and where', () => {
    expect(validate({ amount: 5 })).toBeNull();
    expect(validate({})).toBe("data: must have required property 'amount' (at /)");
    expect(validate({ amount: -1 })).toBe('data: must be >= 0 (at /amount)');
    expect(validate({ amount: 1, email: 'nope' })).toBe('data: must match format "email" (at /email)');
  });
});

describe('checkEventData', () => {
  const validate = compiled(payment);
  const base = { specversion: '1.0', id: '1', source: '/s', type: 'payment' } as CloudEvent;

  it('validates JSON data (no datacontenttype, application/json or +json)', () => {
    expect(checkEventData({ ...base, data: { amount: 1 } }, validate)).toBeNull();
    expect(
      checkEventData(
        { ...base, datacontenttype: 'application/json; charset=utf-8', data: { amount: 1 } },
        validate,
      ),
    ).toBeNull();
    expect(checkEventData({ ...base, datacontenttype: 'application/vnd.pay+json', data: {} }, validate)).toBe(
      "data: must have required property 'amount' (at /)",
    );
  });

  it('fails non-JSON data', () => {
    expect(checkEventData({ ...base, data_base64: 'TWE=' }, validate)).toBe(
      'data: schema requires JSON data, got base64',
    );
    expect(
      checkEventData({ ...base, datacontenttype: 'application/octet-stream', data_base64: 'TWE=' }, validate),
    ).toBe('data: schema requires JSON data, got application/octet-stream');
    expect(checkEventData({ ...base, datacontenttype: 'text/plain', data: 'amount=1' }, validate)).toBe(
      'data: schema requires JSON data, got text/plain',
    );
  });

  it('fails an event without data; JSON null is data and is validated', () => {
    expect(checkEventData(base, validate)).toBe('data: required by the schema for this type');
    expect(checkEventData({ ...base, data: null }, validate)).toBe('data: must be object (at /)');
  });
});

describe('patterns run on RE2 (linear time)', () => {
  it('`^(a+)+$` on 40 a’s and a ! is a plain mismatch', () => {
    const validate = compiled({ type: 'string', pattern: '^(a+)+$' });
    expect(validate(`${'a'.repeat(40)}!`)).toBe('data: must match pattern "^(a+)+$" (at /)');
    expect(validate('a'.repeat(100_000))).toBeNull();
  });

  it('keeps JSON Schema’s unanchored, Unicode semantics, for pattern and patternProperties', () => {
    const validate = compiled({
      type: 'object',
      properties: { s: { type: 'string', pattern: '\\p{L}+-\\d' }, u: { type: 'string', pattern: '^.$' } },
      patternProperties: { '^x-': { type: 'number' } },
    });
    expect(validate({ s: '!é-1!', u: '😀', 'x-a': 1, other: 'y' })).toBeNull();
    expect(validate({ s: 'a1' })).toBe('data: must match pattern "\\p{L}+-\\d" (at /s)');
    expect(validate({ 'x-a': 'no' })).toBe('data: must be number (at /x-a)');
  });

  it('each schema keeps its own patterns (ajv caches them by name)', () => {
    const a = compiled({ type: 'string', pattern: '^a$' });
    const b = compiled({ type: 'string', pattern: '^b$' });
    expect([a('a'), b('b')]).toEqual([null, null]);
    expect(a('b')).not.toBeNull();
  });

  it.each([
    ['a backreference', '(a)\\1'],
    ['a lookahead', 'x(?=y)'],
    ['a lookbehind', '(?<=a)b'],
    ['a repeat count over 1000', 'a{1001}'],
    ['invalid syntax', '['],
  ])('refuses %s, naming the pattern', (_label, pattern) => {
    const result = compileSchema({ properties: { a: { patternProperties: { [pattern]: {} } } } });
    expect(result).toEqual({
      ok: false,
      message: expect.stringContaining(`pattern ${JSON.stringify(pattern)} is not supported`),
    });
  });
});
