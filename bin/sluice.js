#!/usr/bin/env node
// Runs the TypeScript CLI straight from the repository: tsx compiles cli/ on the fly, no build step.
import { register } from 'tsx/esm/api';

// The AWS SDK's notice about its future Node.js requirement is noise in a CLI's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { run } = await import('../cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
