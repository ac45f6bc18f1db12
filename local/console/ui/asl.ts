/** An Amazon States Language document as a graph: states, their transitions, and nested graphs. */

export type EdgeKind = 'next' | 'default' | 'choice' | 'catch';

export interface Edge {
  to: string;
  kind: EdgeKind;
  /** What takes this edge: the caught errors, or the choice rule. */
  label?: string;
}

export interface GraphState {
  name: string;
  type: string;
  /** Transitions, the main one (Next / first choice) first. */
  edges: Edge[];
  /** Ends its graph (End: true, Succeed, Fail). */
  terminal: boolean;
  /** A Map's item processor, or a Parallel's branches. */
  children: Graph[];
}

export interface Graph {
  startAt: string;
  /** In declaration order. */
  states: GraphState[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** A short description of a Choice rule: `$.x == "a"`, `And(2 rules)`, ... */
export function describeChoiceRule(rule: Json): string {
  if (typeof rule.Condition === 'string') return rule.Condition;
  for (const combinator of ['And', 'Or'] as const) {
    if (Array.isArray(rule[combinator])) return `${combinator}(${rule[combinator].length} rules)`;
  }
  if (isObject(rule.Not)) return `Not(${describeChoiceRule(rule.Not)})`;
  const comparison = Object.keys(rule).find((key) => key !== 'Variable' && key !== 'Next');
  if (!comparison) return 'rule';
  return `${String(rule.Variable ?? '')} ${comparison} ${JSON.stringify(rule[comparison])}`.trim();
}

function edgesOf(state: Json): Edge[] {
  const edges: Edge[] = [];
  if (typeof state.Next === 'string') edges.push({ to: state.Next, kind: 'next' });
  for (const rule of asArray(state.Choices).filter(isObject)) {
    if (typeof rule.Next === 'string') {
      edges.push({ to: rule.Next, kind: 'choice', label: describeChoiceRule(rule) });
    }
  }
  if (typeof state.Default === 'string') edges.push({ to: state.Default, kind: 'default', label: 'Default' });
  for (const catcher of asArray(state.Catch).filter(isObject)) {
    if (typeof catcher.Next === 'string') {
      edges.push({ to: catcher.Next, kind: 'catch', label: asArray(catcher.ErrorEquals).join(', ') });
    }
  }
  return edges;
}

function childrenOf(state: Json): Graph[] {
  if (state.Type === 'Map') {
    const processor = state.ItemProcessor ?? state.Iterator;
    return isObject(processor) ? [toGraph(processor)] : [];
  }
  if (state.Type === 'Parallel') return asArray(state.Branches).filter(isObject).map(toGraph);
  return [];
}

function toGraph(document: Json): Graph {
  const states = isObject(document.States) ? document.States : {};
  return {
    startAt: typeof document.StartAt === 'string' ? document.StartAt : '',
    states: Object.entries(states)
      .filter((entry): entry is [string, Json] => isObject(entry[1]))
      .map(([name, state]) => ({
        name,
        type: typeof state.Type === 'string' ? state.Type : 'Unknown',
        edges: edgesOf(state),
        terminal: state.End === true || state.Type === 'Succeed' || state.Type === 'Fail',
        children: childrenOf(state),
      })),
  };
}

/** Parses an ASL document (JSON text or object); throws on text that is not a JSON object. */
export function parseDefinition(definition: string | object): Graph {
  const document: unknown = typeof definition === 'string' ? JSON.parse(definition) : definition;
  if (!isObject(document)) throw new Error('The state machine definition is not a JSON object');
  return toGraph(document);
}

/** Every state of the graph and of its nested graphs, by name (ASL names are unique machine-wide). */
export function allStates(graph: Graph): Map<string, GraphState> {
  const found = new Map<string, GraphState>();
  const visit = (g: Graph) => {
    for (const state of g.states) {
      found.set(state.name, state);
      state.children.forEach(visit);
    }
  };
  visit(graph);
  return found;
}
