/**
 * How the deployed stack logs and traces, read from the CDK constructs' source (the local cloud does not synth
 * the stack): Lambda's log format / system log level and tracing (cdk/constructs/node-function.ts), the state
 * machine's log level, includeExecutionData and tracing (cdk/constructs/workflow.ts). A construct that cannot
 * be read gives the CDK defaults (text logs with platform lines, no tracing, state machine logging OFF).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoggingConfig } from './meter';

const read = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

export function loggingConfigFromSource(nodeFunction: string, workflow: string): LoggingConfig {
  const jsonLogs = /loggingFormat:\s*lambda\.LoggingFormat\.JSON/.test(nodeFunction);
  const systemLevel = /systemLogLevel(?:V2)?:\s*lambda\.SystemLogLevel(?:V2)?\.(\w+)/.exec(nodeFunction)?.[1];
  const level = /level:\s*sfn\.LogLevel\.(\w+)/.exec(workflow)?.[1] ?? 'OFF';
  return {
    // In the JSON format, a system log level of WARN drops START/END/REPORT; the text format always writes them.
    lambdaPlatformLines: !jsonLogs || !systemLevel || /^(INFO|DEBUG)$/.test(systemLevel),
    lambdaTracing: /tracing:\s*lambda\.Tracing\.ACTIVE/.test(nodeFunction),
    stateMachineLogLevel: level,
    includeExecutionData: /includeExecutionData:\s*true/.test(workflow),
    stateMachineTracing: /tracingEnabled:\s*true/.test(workflow),
  };
}

export function loggingConfig(repoRoot: string): LoggingConfig {
  return loggingConfigFromSource(
    read(join(repoRoot, 'cdk/constructs/node-function.ts')),
    read(join(repoRoot, 'cdk/constructs/workflow.ts')),
  );
}
