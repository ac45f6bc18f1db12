import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, UsageError } from '../../cli/errors';
import { parseEventInput } from '../../cli/events/parse';
import { readEventInput } from '../../cli/events/read-input';
import type { CliIo, InputStream } from '../../cli/io';

describe('parseEventInput', () => {
  it('reads one JSON object as one event, even pretty-printed over several lines', () => {
    expect(parseEventInput('{\n  "id": "1",\n  "type": "t"\n}\n', 'f')).toEqual([{ id: '1', type: 't' }]);
  });

  it('reads a JSON array as a batch', () => {
    expect(parseEventInput('[{"id":"1"},{"id":"2"}]', 'f')).toEqual([{ id: '1' }, { id: '2' }]);
  });

  it('reads NDJSON, skipping blank lines and CRLF endings', () => {
    expect(parseEventInput('{"id":"1"}\r\n\r\n{"id":"2"}\n  \n{"id":"3"}', 'f')).toEqual([
      { id: '1' },
      { id: '2' },
      { id: '3' },
    ]);
  });

  it('ignores a UTF-8 byte order mark', () => {
    expect(parseEventInput('\uFEFF{"id":"1"}', 'f')).toEqual([{ id: '1' }]);
  });

  it('names the NDJSON line that is not JSON', () => {
    expect(() => parseEventInput('{"id":"1"}\n\n{"id":', 'events.ndjson')).toThrow(
      /^events\.ndjson line 3 is not JSON/,
    );
  });

  it('reports a broken array as invalid JSON rather than as NDJSON', () => {
    expect(() => parseEventInput('[{"id":"1"},', 'f')).toThrow(/^f is not valid JSON/);
  });

  it.each([
    ['', 'f holds no events'],
    ['  \n ', 'f holds no events'],
    ['[]', 'f holds an empty array'],
    ['42', 'f: expected a JSON object, a JSON array or NDJSON'],
  ])('rejects %j', (text, message) => {
    expect(() => parseEventInput(text, 'f')).toThrow(new CliError(message));
  });
});

describe('readEventInput', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-input-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const io = (stdin: InputStream): CliIo => ({
    stdin,
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    env: {},
    cwd: dir,
  });

  it('reads stdin for "-" and for no argument', async () => {
    const chunks = ['{"id"', ':"1"}\n{"id":"2"}'];
    expect(await readEventInput('-', io(Readable.from(chunks)))).toEqual({
      text: chunks.join(''),
      name: 'stdin',
    });
    expect(await readEventInput(undefined, io(Readable.from(chunks)))).toEqual({
      text: chunks.join(''),
      name: 'stdin',
    });
  });

  it('refuses to wait on a terminal when no input was given', async () => {
    const terminal = Object.assign(Readable.from([]), { isTTY: true });
    await expect(readEventInput(undefined, io(terminal))).rejects.toBeInstanceOf(UsageError);
  });

  it('reads a file relative to the working directory and un-gzips by magic bytes', async () => {
    await writeFile(path.join(dir, 'plain.json'), '[1]');
    await writeFile(path.join(dir, 'packed'), gzipSync('{"id":"z"}'));
    const empty = io(Readable.from([]));
    expect(await readEventInput('plain.json', empty)).toEqual({ text: '[1]', name: 'plain.json' });
    expect(await readEventInput('packed', empty)).toEqual({ text: '{"id":"z"}', name: 'packed' });
  });

  it('treats a missing file as a usage error', async () => {
    await expect(readEventInput('missing.json', io(Readable.from([])))).rejects.toThrow(
      new UsageError('cannot read missing.json'),
    );
  });
});
