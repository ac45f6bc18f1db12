import { CloudEvent as SdkEvent, HTTP } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { parseHttpSubmission, type HttpSubmission } from '../../shared/cloudevents/http';
import { ApiError } from '../../shared/http/errors';

const limits = { maxRequestBytes: 4096, maxEventsPerRequest: 3 };
const minimal = { specversion: '1.0', id: '1', source: '/s', type: 't' };

const post = (
  headers: Record<string, string | undefined>,
  body?: string,
  isBase64Encoded = false,
): HttpSubmission => ({
  headers,
  body,
  isBase64Encoded,
});
const parse = (req: HttpSubmission, l = limits) => parseHttpSubmission(req, l);

function failure(req: HttpSubmission, l = limits): ApiError {
  try {
    parse(req, l);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('structured mode', () => {
  it('one event from application/cloudevents+json, charset parameter allowed', () => {
    const body = JSON.stringify(minimal);
    expect(parse(post({ 'content-type': 'application/cloudevents+json' }, body))).toEqual({
      mode: 'structured',
      candidates: [minimal],
    });
    expect(parse(post({ 'Content-Type': 'Application/CloudEvents+JSON; charset="UTF-8"' }, body)).mode).toBe(
      'structured',
    );
  });

  it('reads a base64-encoded body', () => {
    const body = Buffer.from(JSON.stringify(minimal)).toString('base64');
    expect(parse(post({ 'content-type': 'application/cloudevents+json' }, body, true)).candidates).toEqual([
      minimal,
    ]);
  });

  it.each([['[]'], ['"x"'], ['null'], ['1']])('400 InvalidRequest when the body is %s', (body) => {
    expect(failure(post({ 'content-type': 'application/cloudevents+json' }, body))).toMatchObject({
      status: 400,
      code: 'InvalidRequest',
    });
  });

  it('accepts what the cloudevents SDK sends in structured mode', () => {
    const event = new SdkEvent({ id: 'sdk-1', source: '/sdk', type: 'com.example', data: { a: 1 } });
    const message = HTTP.structured(event);
    const { mode, candidates } = parse(
      post(message.headers as Record<string, string>, message.body as string),
    );
    expect(mode).toBe('structured');
    expect(candidates[0]).toMatchObject({ id: 'sdk-1', source: '/sdk', type: 'com.example', data: { a: 1 } });
  });
});

describe('batch mode and plain JSON', () => {
  it('a batch keeps every element as sent, valid or not', () => {
    const batch = [minimal, 'not an object', { id: 2 }];
    expect(
      parse(post({ 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify(batch))),
    ).toEqual({
      mode: 'batch',
      candidates: batch,
    });
  });

  it('400 InvalidRequest when a batch is not an array', () => {
    expect(
      failure(post({ 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify(minimal))),
    ).toMatchObject({ status: 400, code: 'InvalidRequest' });
  });

  it('plain JSON: an object is one event, an array a batch', () => {
    expect(
      parse(post({ 'content-type': 'application/json; charset=utf-8' }, JSON.stringify(minimal))),
    ).toEqual({
      mode: 'json',
      candidates: [minimal],
    });
    expect(parse(post({ 'content-type': 'application/json' }, JSON.stringify([minimal, minimal])))).toEqual({
      mode: 'json',
      candidates: [minimal, minimal],
    });
  });

  it('a request without Content-Type is read as application/json', () => {
    expect(parse(post({}, JSON.stringify([minimal]))).candidates).toEqual([minimal]);
  });

  it.each([['"x"'], ['42'], ['null'], ['true']])('400 InvalidRequest for a plain JSON %s', (body) => {
    expect(failure(post({ 'content-type': 'application/json' }, body))).toMatchObject({
      code: 'InvalidRequest',
    });
  });

  it.each(['application/cloudevents-batch+json', 'application/json'])(
    '400 EmptyBatch for [] as %s',
    (type) => {
      expect(failure(post({ 'content-type': type }, '[]'))).toMatchObject({
        status: 400,
        code: 'EmptyBatch',
      });
    },
  );

  it('413 TooManyEvents above maxEventsPerRequest, exactly the limit is fine', () => {
    const four = JSON.stringify([minimal, minimal, minimal, minimal]);
    expect(failure(post({ 'content-type': 'application/json' }, four))).toMatchObject({
      status: 413,
      code: 'TooManyEvents',
      details: [{ limit: 3, count: 4 }],
    });
    const three = JSON.stringify([minimal, minimal, minimal]);
    expect(
      parse(post({ 'content-type': 'application/cloudevents-batch+json' }, three)).candidates,
    ).toHaveLength(3);
  });
});

describe('request-level errors', () => {
  it('400 InvalidJson with the parser message and the position', () => {
    const body = '{"specversion":\n  }';
    const err = failure(post({ 'content-type': 'application/json' }, body));
    expect(err).toMatchObject({ status: 400, code: 'InvalidJson' });
    expect(err.message).toMatch(/not valid JSON/);
    expect(err.details).toEqual([
      { message: expect.any(String), position: body.indexOf('}'), line: 2, column: 3 },
    ]);
  });

  it('400 InvalidJson for an empty body and for bytes that are not UTF-8', () => {
    expect(failure(post({ 'content-type': 'application/json' }, ''))).toMatchObject({ code: 'InvalidJson' });
    const latin1 = Buffer.from([0x22, 0xe9, 0x22]).toString('base64');
    expect(failure(post({ 'content-type': 'application/json' }, latin1, true))).toMatchObject({
      code: 'InvalidJson',
    });
  });

  it('413 PayloadTooLarge counts decoded bytes, not characters', () => {
    const body = JSON.stringify({ ...minimal, data: 'é'.repeat(30) });
    const small = { maxRequestBytes: Buffer.byteLength(body), maxEventsPerRequest: 3 };
    expect(parse(post({ 'content-type': 'application/json' }, body), small).candidates).toHaveLength(1);
    expect(
      failure(post({ 'content-type': 'application/json' }, body), { ...small, maxRequestBytes: body.length }),
    ).toMatchObject({ status: 413, code: 'PayloadTooLarge' });
  });

  it('the size limit applies before anything else, in every mode', () => {
    const big = 'x'.repeat(5000);
    expect(failure(post({ 'content-type': 'text/xml' }, big))).toMatchObject({ code: 'PayloadTooLarge' });
    expect(failure(post({ 'ce-specversion': '1.0' }, big))).toMatchObject({ code: 'PayloadTooLarge' });
  });

  it.each([
    'text/xml',
    'text/plain',
    'application/cloudevents+avro',
    'multipart/form-data; boundary=x',
    'xyz',
  ])('415 UnsupportedMediaType for %s', (type) => {
    expect(failure(post({ 'content-type': type }, '{}'))).toMatchObject({
      status: 415,
      code: 'UnsupportedMediaType',
    });
  });

  it('415 for a JSON body in a charset other than UTF-8', () => {
    expect(failure(post({ 'content-type': 'application/json; charset=iso-8859-1' }, '{}'))).toMatchObject({
      code: 'UnsupportedMediaType',
    });
  });
});

describe('binary mode', () => {
  const ce = { 'ce-specversion': '1.0', 'ce-id': 'b-1', 'ce-source': '/bin', 'ce-type': 'com.example.bin' };

  it('builds the event from ce-* headers with JSON data, whatever the content type says', () => {
    const { mode, candidates } = parse(post({ ...ce, 'content-type': 'application/json' }, '{"amount":5}'));
    expect(mode).toBe('binary');
    expect(candidates).toEqual([
      {
        specversion: '1.0',
        id: 'b-1',
        source: '/bin',
        type: 'com.example.bin',
        datacontenttype: 'application/json',
        data: { amount: 5 },
      },
    ]);
  });

  it('is recognised by ce-specversion even with a structured content type', () => {
    expect(parse(post({ ...ce, 'content-type': 'application/cloudevents+json' }, '{"a":1}')).mode).toBe(
      'binary',
    );
  });

  it('lowercases attribute names and percent-decodes values', () => {
    const { candidates } = parse(
      post({ ...ce, 'CE-Subject': 'caf%C3%A9%20%22q%22', 'ce-myext': '100% sure', 'ce-bad': '%E9%FF' }, ''),
    );
    expect(candidates[0]).toMatchObject({ subject: 'café "q"', myext: '100% sure', bad: '%E9%FF' });
  });

  it('+json media types are JSON; a parse failure is 400 InvalidJson', () => {
    const data = parse(post({ ...ce, 'content-type': 'application/vnd.example+json' }, '[1,2]'))
      .candidates[0];
    expect(data).toMatchObject({ datacontenttype: 'application/vnd.example+json', data: [1, 2] });
    expect(failure(post({ ...ce, 'content-type': 'application/json' }, '{oops'))).toMatchObject({
      code: 'InvalidJson',
    });
  });

  it('text and XML bodies become string data, honouring the charset', () => {
    expect(
      parse(post({ ...ce, 'content-type': 'text/plain; charset=utf-8' }, 'héllo')).candidates[0],
    ).toMatchObject({
      datacontenttype: 'text/plain; charset=utf-8',
      data: 'héllo',
    });
    expect(parse(post({ ...ce, 'content-type': 'application/xml' }, '<a/>')).candidates[0]).toMatchObject({
      data: '<a/>',
    });
    const latin1 = Buffer.from('caf\u00e9', 'latin1').toString('base64');
    expect(
      parse(post({ ...ce, 'content-type': 'text/plain; charset=iso-8859-1' }, latin1, true)).candidates[0],
    ).toMatchObject({
      data: 'café',
    });
  });

  it('other media types become data_base64 of the exact bytes', () => {
    const bytes = Buffer.from([0, 1, 2, 254, 255]);
    const [event] = parse(
      post({ ...ce, 'content-type': 'application/octet-stream' }, bytes.toString('base64'), true),
    ).candidates;
    expect(event).toMatchObject({ datacontenttype: 'application/octet-stream', data_base64: 'AAEC/v8=' });
    expect(event).not.toHaveProperty('data');
  });

  it('an empty body means no data; no content type means JSON without datacontenttype', () => {
    const attributes = { specversion: '1.0', id: 'b-1', source: '/bin', type: 'com.example.bin' };
    expect(parse(post(ce, '')).candidates[0]).toEqual(attributes);
    expect(parse(post(ce, '"x"')).candidates[0]).toEqual({ ...attributes, data: 'x' });
  });

  it('ignores ce-data headers: data travels in the body', () => {
    expect(parse(post({ ...ce, 'ce-data': 'smuggled' }, '')).candidates[0]).not.toHaveProperty('data');
  });

  it('accepts what the cloudevents SDK sends in binary mode', () => {
    const event = new SdkEvent({
      id: 'sdk-2',
      source: '/sdk',
      type: 'com.example',
      subject: 's',
      myext: 'v',
      data: { a: 1 },
    });
    const message = HTTP.binary(event);
    const [candidate] = parse(
      post(message.headers as Record<string, string>, message.body as string),
    ).candidates;
    expect(candidate).toMatchObject({
      id: 'sdk-2',
      source: '/sdk',
      type: 'com.example',
      subject: 's',
      myext: 'v',
      data: { a: 1 },
    });
    expect(candidate).toHaveProperty('time', event.time);
  });
});
