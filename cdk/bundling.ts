import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How every Lambda function is bundled, as plain data: the stack's NodejsFunction (cdk/constructs/node-function.ts)
 * and the local runtime's esbuild (local/lambda/bundle.ts) both read this, so a function is the same code in
 * both places. No aws-cdk-lib imports here.
 */

/**
 * Packages the nodejs22.x runtime provides in /var/runtime/node_modules (on NODE_PATH, which its ES module
 * loader searches): every AWS SDK v3 service client and the DynamoDB document client (with util-dynamodb, which
 * it imports). They are left out of the bundles and loaded from the runtime. Not externalized: `@smithy/*` (the
 * runtime nests it under @aws-sdk/node_modules, where a bare import from /var/task does not resolve; only the
 * externalized packages themselves import it) and `@aws-sdk/cloudfront-signer` (a standalone helper the
 * runtime's documentation does not promise; bundled, about 5 KB).
 */
export const runtimeProvidedModules = ['@aws-sdk/client-*', '@aws-sdk/lib-dynamodb'];

/** The ceiling every deployed bundle (.mjs, minified, source map apart) must stay under (test/cdk/bundle-size.test.ts). */
export const maxBundleBytes = 500_000;

/** esbuild settings shared by the stack and the local runtime (target aside: node22 in AWS, the local Node here). */
export const esbuildSettings = {
  format: 'esm' as const,
  platform: 'node' as const,
  minify: true,
  sourcemap: true,
  mainFields: ['module', 'main'],
  external: runtimeProvidedModules,
  /** Packages replaced by a stub because no code path of Sluice's can use them (see each stub). */
  alias: { semver: path.join(path.dirname(fileURLToPath(import.meta.url)), 'stubs', 'semver.ts') },
  // CommonJS dependencies inlined into an ESM bundle (aws-xray-sdk-core) still call require().
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
};
