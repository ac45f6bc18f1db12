/**
 * Memory footprint of each function's deployed bundle: each is bundled as the stack bundles it (cdk/bundling.ts),
 * then loaded in a fresh Node process with its wiring environment (no AWS calls: module init only, which is what
 * every invocation pays before its own work), and the process's peak resident set (maxRSS, what Lambda's REPORT
 * "Max Memory Used" measures for the whole sandbox) is printed next to the memory the wiring gives it.
 * Also prints each bundle's size (the .mjs Lambda loads; its source map is a separate file).
 * Run: npx tsx bench/memory.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultSettings, functionEnvironment, functionNames, functions, type RefName } from '../cdk/wiring';
import { bundleFunctions } from '../local/lambda/bundle';

const refs: Record<RefName, string> = {
  tableName: 'sluice',
  bucketName: 'sluice',
  queueUrl: 'http://127.0.0.1:1/000000000000/ingest',
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:ingest',
  cdnUrl: 'https://cdn.example',
  signingKeySecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:key',
  signingKeyPairId: 'K000',
  maxReceiveCount: '5',
};

const outdir = mkdtempSync(join(tmpdir(), 'sluice-memory-'));
try {
  const { bundles } = await bundleFunctions(
    Object.fromEntries(functionNames.map((name) => [name, functions[name].entry])),
    outdir,
  );
  const baseline = Number(
    execFileSync(process.execPath, ['-e', 'console.log(process.resourceUsage().maxRSS)']).toString(),
  );
  console.log(`node ${process.version}, empty process: ${(baseline / 1024).toFixed(0)} MiB maxRSS`);
  console.log(
    'function'.padEnd(22),
    'bundle KB'.padStart(10),
    'init maxRSS MiB'.padStart(16),
    'memoryMb'.padStart(10),
  );
  for (const name of functionNames) {
    const script = `await import(${JSON.stringify(pathToFileURL(bundles[name]!).href)}); console.log(process.resourceUsage().maxRSS)`;
    const env = {
      PATH: process.env.PATH,
      ...functionEnvironment(name, refs, defaultSettings),
      POWERTOOLS_TRACE_ENABLED: 'false',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
    };
    const rss = Number(
      execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { env })
        .toString()
        .trim()
        .split('\n')
        .pop(),
    );
    console.log(
      name.padEnd(22),
      (statSync(bundles[name]!).size / 1000).toFixed(0).padStart(10),
      (rss / 1024).toFixed(0).padStart(16),
      String(functions[name].memoryMb).padStart(10),
    );
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
