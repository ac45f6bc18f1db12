import { randomUUID } from 'node:crypto';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { settingsFromContext } from '../../cdk/stack';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  defaultSettings,
  functionEnvironment,
  functionNames,
  functions,
  MAX_REQUEST_CEILING,
  MAX_SHARDS,
  resolveSettings,
  routes,
  type FunctionName,
  type RefName,
} from '../../cdk/wiring';

const nodeWith = (context: Record<string, unknown>) => new App({ context }).node;

describe('settingsFromContext', () => {
  it('is the wiring defaults without context', () => {
    expect(settingsFromContext(nodeWith({}))).toEqual(defaultSettings);
  });

  it('applies sluice:<setting> context values (strings from -c, numbers from cdk.json)', () => {
    const settings = settingsFromContext(
      nodeWith({ 'sluice:maxRequestBytes': '1048576', 'sluice:writeConcurrency': 8, 'other:key': '1' }),
    );
    expect(settings).toEqual({ ...defaultSettings, maxRequestBytes: 1_048_576, writeConcurrency: 8 });
  });

  describe("maxRequestBytes against Lambda's 6,291,456-byte synchronous payload", () => {
    const lambdaPayload = 6_291_456;
    const context = 32 * 1024; // headers and request context
    const base64 = (bytes: number) => Math.ceil(bytes / 3) * 4;

    it('fits a binary body (base64 in the event) up to the ceiling, and synth refuses more', () => {
      expect(base64(defaultSettings.maxRequestBytes) + context).toBeLessThanOrEqual(lambdaPayload);
      expect(base64(MAX_REQUEST_CEILING) + context).toBeLessThanOrEqual(lambdaPayload);
      expect(base64(MAX_REQUEST_CEILING + 3) + context).toBeGreaterThan(lambdaPayload);
      expect(resolveSettings({ maxRequestBytes: MAX_REQUEST_CEILING }).maxRequestBytes).toBe(
        MAX_REQUEST_CEILING,
      );
      expect(() =>
        settingsFromContext(nodeWith({ 'sluice:maxRequestBytes': String(5 * 1024 * 1024) })),
      ).toThrow(`maxRequestBytes must be at most ${MAX_REQUEST_CEILING}`);
    });

    it('fits a text body of ordinary events at the default, escaped as API Gateway carries it', () => {
      const one = {
        specversion: '1.0',
        id: randomUUID(),
        source: 'urn:sluice:bench',
        type: 'com.example.order.created',
      };
      const events: unknown[] = [];
      let body = '[]';
      for (let i = 0; Buffer.byteLength(body) < defaultSettings.maxRequestBytes; i++) {
        events.push({
          ...one,
          time: new Date().toISOString(),
          data: { orderId: `order-${i}`, amount: i, note: 'x' },
        });
        if (i % 1000 === 0) body = JSON.stringify(events);
      }
      expect(Buffer.byteLength(JSON.stringify(body)) + context).toBeLessThanOrEqual(lambdaPayload);
    });
  });

  it('rejects a value that is not a positive integer', () => {
    expect(() => settingsFromContext(nodeWith({ 'sluice:maxChunksPerJob': 'many' }))).toThrow(
      /maxChunksPerJob/,
    );
  });
});

/** The repo's files a module reaches through relative imports (what its bundle holds of this repo). */
function reachable(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), spec!);
      const candidates = [`${target}.ts`, join(target, 'index.ts'), target];
      const found = candidates.find((candidate) => existsSync(candidate) && candidate.endsWith('.ts'));
      if (found) visit(found);
    }
  };
  visit(resolve(entry));
  return [...seen];
}

describe('shard counts', () => {
  it('reach every function that builds job keys or type-index keys, as its deployed environment', () => {
    const builds = (pattern: RegExp) => (name: FunctionName) =>
      reachable(functions[name].entry).some(
        (file) => !file.includes('/shared/aws/stores/') && pattern.test(readFileSync(file, 'utf8')),
      );
    const jobKeys = functionNames.filter(builds(/\bjobStore\(/));
    const typeKeys = functionNames.filter(builds(/\b(?:eventStore|eventItem)\(/));
    expect(jobKeys).toContain('read-jobs');
    expect(typeKeys).toContain('query-events');
    for (const name of functionNames) {
      const env = functionEnvironment(name, {} as Record<RefName, string>, defaultSettings);
      expect([name, env.JOB_SHARDS]).toEqual([name, jobKeys.includes(name) ? '8' : undefined]);
      expect([name, env.TYPE_SHARDS]).toEqual([name, typeKeys.includes(name) ? '16' : undefined]);
    }
  });

  it('are at most MAX_SHARDS', () => {
    expect(resolveSettings({ jobShards: 64, typeShards: '64' })).toMatchObject({
      jobShards: 64,
      typeShards: 64,
    });
    expect(() => resolveSettings({ typeShards: 65 })).toThrow(/typeShards/);
    expect(MAX_SHARDS).toBe(64);
  });
});

describe('tenant request rate', () => {
  it('reaches every function behind an authenticated route, with the table and the counter and limits access', () => {
    const counted = new Set(routes.filter((r) => r.auth).map((r) => r.function));
    expect([...counted].sort()).toEqual(
      ['create-upload', 'manage-schemas', 'query-events', 'read-jobs', 'submit-events'].sort(),
    );
    for (const name of functionNames) {
      const env = functionEnvironment(name, { tableName: 't' } as Record<RefName, string>, defaultSettings);
      expect([name, env.TENANT_REQUESTS_PER_SECOND]).toEqual([name, counted.has(name) ? '1000' : undefined]);
      if (!counted.has(name)) continue;
      expect(env.TABLE_NAME).toBe('t');
      const table = functions[name].access.table!;
      const allows = (action: string, key: string) =>
        table.actions.includes(action as never) ||
        (table.onKeys ?? []).some((k) => k.actions.includes(action as never) && k.leadingKeys.includes(key));
      expect([name, allows('UpdateItem', 'RATE#*'), allows('GetItem', 'TENANT#*')]).toEqual([
        name,
        true,
        true,
      ]);
    }
  });
});
