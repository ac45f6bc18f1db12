/**
 * How the deployed stack logs and traces, from the wiring the stack itself applies (cdk/wiring.ts
 * `observability` and each function's `tracing`): whether Lambda writes its START/END/REPORT lines, which
 * functions start X-Ray traces, and the state machine's log level, execution data and tracing.
 */
import { functionNames, functions, observability } from '../../cdk/wiring';
import type { LoggingConfig } from './meter';

/** Lambda's platform lines are INFO: written in the text format always, in JSON unless the level is above INFO. */
export const writesPlatformLines = (format: string, systemLevel: string): boolean =>
  format !== 'JSON' || /^(DEBUG|INFO)$/.test(systemLevel);

export function loggingConfig(): LoggingConfig {
  return {
    lambdaPlatformLines: writesPlatformLines(
      observability.lambdaLogFormat,
      observability.lambdaSystemLogLevel,
    ),
    tracedFunctions: functionNames.filter((name) => (functions[name].tracing ?? 'Active') === 'Active'),
    stateMachineLogLevel: observability.stateMachineLogLevel,
    includeExecutionData: observability.stateMachineIncludeExecutionData,
    stateMachineTracing: observability.stateMachineTracing,
  };
}
