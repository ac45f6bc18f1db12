/**
 * Every function, bundled with the stack's settings (cdk/bundling.ts, through the local bundler that uses them),
 * stays under maxBundleBytes, and the packages left to Lambda's runtime still resolve from a bundle that lives
 * outside the repository (a /tmp data directory), as the local cloud needs.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildSettings, maxBundleBytes, runtimeProvidedModules } from '../../cdk/bundling';
import { bundling } from '../../cdk/constructs/node-function';
import { functionNames, functions } from '../../cdk/wiring';
import { bundleFunctions, type BundleResult } from '../../local/lambda/bundle';

let outdir: string;
let built: BundleResult;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'sluice-bundles-'));
  built = await bundleFunctions(
    Object.fromEntries(functionNames.map((name) => [name, functions[name].entry])),
    outdir,
  );
}, 240_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('function bundles', () => {
  it('every function builds', () => {
    expect(built.failures).toEqual({});
    expect(Object.keys(built.bundles).sort()).toEqual([...functionNames].sort());
  });

  it.each(functionNames)(`%s.mjs is at most ${maxBundleBytes} bytes`, (name) => {
    const file = built.bundles[name];
    expect(file).toBeDefined();
    expect(statSync(file ?? '').size).toBeLessThanOrEqual(maxBundleBytes);
  });

  it('the stack leaves exactly the runtime-provided packages out', () => {
    expect(bundling.externalModules).toEqual(runtimeProvidedModules);
    expect(runtimeProvidedModules).not.toContain('@smithy/*');
    expect(bundling.esbuildArgs).toEqual({ '--alias:semver': esbuildSettings.alias.semver });
  });

  it('a bundle outside the repository still loads the external SDK packages', async () => {
    const probe = join(outdir, 'probe.mjs');
    writeFileSync(
      probe,
      "export { S3Client } from '@aws-sdk/client-s3';\nexport { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';\n",
    );
    const loaded = (await import(pathToFileURL(probe).href)) as Record<string, unknown>;
    expect(typeof loaded.S3Client).toBe('function');
    expect(typeof loaded.DynamoDBDocumentClient).toBe('function');
  });
});
