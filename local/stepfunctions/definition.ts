/**
 * Reads a state machine definition once, at service start: validates it, refuses what the local engine
 * can't run faithfully, indexes its states (for history events) and derives the document the engine runs.
 */
import './polyfills';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

/** `lambda:invoke` = `arn:aws:states:::lambda:invoke`; `lambda:function` = a Lambda function ARN as Resource. */
export type TaskKind = 'lambda:invoke' | 'lambda:function';

export interface StateInfo {
  name: string;
  type: string;
  /** '' for top-level states; the Map's name for its ItemProcessor states; `<Parallel>[<i>]` for branch i. */
  container: string;
  task?: { kind: TaskKind; resource: string; timeoutSeconds?: number; heartbeatSeconds?: number };
  map?: { inputPath?: string | null; itemsPath?: string };
}

export interface CompiledDefinition {
  /** The definition as given (DescribeStateMachine returns it verbatim). */
  source: string;
  states: ReadonlyMap<string, StateInfo>;
  /** The top-level TimeoutSeconds; the service enforces it (the engine never sees it). */
  timeoutSeconds?: number;
  /** The document handed to the engine; `retryIntervalScale` multiplies every Retry interval (tests use < 1). */
  executable(retryIntervalScale?: number): StateMachineDefinition;
}

export class DefinitionError extends Error {
  override readonly name = 'DefinitionError';
}

type Json = Record<string, unknown>;

const lambdaInvoke = 'arn:aws:states:::lambda:invoke';
const lambdaFunctionArn = /^arn:[^:]+:lambda:[^:]+:\d{12}:function:[^:]+(:[^:]+)?$/;
// The engine races every task against a setTimeout; Node caps timers at 2^31-1 ms.
const maxTimerSeconds = Math.floor((2 ** 31 - 1) / 1000);

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function taskKind(state: Json): TaskKind | undefined {
  if (state.Resource === lambdaInvoke) return 'lambda:invoke';
  if (typeof state.Resource === 'string' && lambdaFunctionArn.test(state.Resource)) return 'lambda:function';
  return undefined;
}

function forEachMachine(
  machine: Json,
  container: string,
  visit: (state: Json, name: string, container: string) => void,
) {
  const states = isObject(machine.States) ? machine.States : {};
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state)) continue;
    visit(state, name, container);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (state.Type === 'Map' && isObject(processor)) forEachMachine(processor, name, visit);
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      state.Branches.forEach(
        (branch, i) => isObject(branch) && forEachMachine(branch, `${name}[${i}]`, visit),
      );
    }
  }
}

function stateProblems(state: Json, name: string): string[] {
  const problems: string[] = [];
  if (state.QueryLanguage === 'JSONata')
    problems.push(`state ${name} uses JSONata, which the local engine ignores`);
  if (state.Type === 'Task') {
    const kind = taskKind(state);
    if (!kind) {
      problems.push(
        `Task state ${name} uses ${String(state.Resource)}; locally only ${lambdaInvoke} and Lambda function ARNs are mapped to functions`,
      );
    }
    const parameters = isObject(state.Parameters) ? state.Parameters : {};
    if (kind === 'lambda:invoke' && !('FunctionName' in parameters) && !('FunctionName.$' in parameters)) {
      problems.push(`Task state ${name} has no Parameters.FunctionName`);
    }
  }
  if (state.Type === 'Map') {
    const mode =
      isObject(state.ItemProcessor) && isObject(state.ItemProcessor.ProcessorConfig)
        ? state.ItemProcessor.ProcessorConfig.Mode
        : undefined;
    if (mode === 'DISTRIBUTED' || state.ItemReader || state.ItemBatcher || state.ResultWriter) {
      problems.push(`Map state ${name} is a distributed Map, which the local engine can't run`);
    }
  }
  return problems;
}

function indexStates(definition: Json): { states: Map<string, StateInfo>; problems: string[] } {
  const states = new Map<string, StateInfo>();
  const problems: string[] = [];
  if (definition.QueryLanguage === 'JSONata') {
    problems.push('the definition uses JSONata, which the local engine ignores');
  }
  forEachMachine(definition, '', (state, name, container) => {
    if (states.has(name)) problems.push(`state name ${name} is used more than once`);
    problems.push(...stateProblems(state, name));
    const info: StateInfo = { name, type: String(state.Type), container };
    const kind = taskKind(state);
    if (kind) {
      info.task = {
        kind,
        resource: String(state.Resource),
        timeoutSeconds: typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined,
        heartbeatSeconds: typeof state.HeartbeatSeconds === 'number' ? state.HeartbeatSeconds : undefined,
      };
    }
    if (state.Type === 'Map') {
      info.map = {
        inputPath: state.InputPath as string | null | undefined,
        itemsPath: typeof state.ItemsPath === 'string' ? state.ItemsPath : undefined,
      };
    }
    states.set(name, info);
  });
  return { states, problems };
}

function scaleRetriers(state: Json, scale: number): void {
  if (!Array.isArray(state.Retry)) return;
  for (const retrier of state.Retry as Json[]) {
    retrier.IntervalSeconds =
      (typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1) * scale;
    if (typeof retrier.MaxDelaySeconds === 'number') retrier.MaxDelaySeconds *= scale;
  }
}

// asl-validator builds its JSON schemas on every call (most of a second); a document is validated once.
const validatedSources = new Set<string>();

/**
 * Checks `source` (ASL, JSONPath) and indexes it; throws DefinitionError listing every problem. `validate:
 * false` skips the asl-validator pass (not the local checks) for a document known to have passed it.
 */
export function compileDefinition(
  stateMachineName: string,
  source: string,
  { validate = true }: { validate?: boolean } = {},
): CompiledDefinition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    throw new DefinitionError(
      `state machine ${stateMachineName}: definition is not JSON: ${(error as Error).message}`,
    );
  }
  if (!isObject(parsed))
    throw new DefinitionError(`state machine ${stateMachineName}: definition is not an object`);
  const definition = parsed;
  const { states, problems } = indexStates(definition);
  if (validate && !validatedSources.has(source)) {
    try {
      // The library's constructor runs asl-validator (which adds QueryLanguage to every state it sees).
      new StateMachine(structuredClone(definition) as unknown as StateMachineDefinition);
      validatedSources.add(source);
    } catch (error) {
      problems.unshift((error as Error).message);
    }
  }
  if (problems.length > 0) {
    throw new DefinitionError(
      `state machine ${stateMachineName} can't run locally:\n- ${problems.join('\n- ')}`,
    );
  }

  return {
    source,
    states,
    timeoutSeconds: typeof definition.TimeoutSeconds === 'number' ? definition.TimeoutSeconds : undefined,
    executable(retryIntervalScale = 1) {
      const copy = structuredClone(definition);
      delete copy.TimeoutSeconds;
      forEachMachine(copy, '', (state) => {
        // Without TimeoutSeconds the engine would time tasks out after 60 s; AWS waits (99999999 s by default).
        if (state.Type === 'Task' && state.TimeoutSecondsPath === undefined) {
          state.TimeoutSeconds = Math.min(
            typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : maxTimerSeconds,
            maxTimerSeconds,
          );
        }
        if (retryIntervalScale !== 1) scaleRetriers(state, retryIntervalScale);
      });
      return copy as unknown as StateMachineDefinition;
    },
  };
}
