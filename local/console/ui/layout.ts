/**
 * Lays a state machine graph out top to bottom, the way the AWS console draws it: each state on the row after
 * the longest path that reaches it, the main path (Next, first choice) straight down its column, branches
 * (other choices, Catch) in columns to the right, loops routed around the right side. A Map's item processor
 * and a Parallel's branches are laid out the same way inside their state's box.
 */
import type { EdgeKind, Graph, GraphState } from './asl';

export const startMarker = '\u0000start';
export const endMarker = '\u0000end';

export interface PositionedGraph {
  x: number;
  y: number;
  layout: GraphLayout;
}

export interface LaidOutNode {
  /** The state name, or startMarker / endMarker. */
  id: string;
  state?: GraphState;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Nested graphs, positioned relative to this node. */
  children: PositionedGraph[];
}

export interface LaidOutEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
  /** Goes back up (a loop): drawn around the right side. */
  back: boolean;
  points: [number, number][];
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
}

export const metrics = {
  nodeHeight: 52,
  minNodeWidth: 150,
  charWidth: 7.4,
  labelPadding: 44,
  markerWidth: 64,
  markerHeight: 28,
  containerHeader: 52,
  containerPadding: 14,
  containerMinWidth: 280,
  branchGap: 24,
  gapX: 56,
  gapY: 44,
  margin: 16,
  laneGap: 14,
};

interface Link {
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
  /** Position among the source's links (0 = its main transition). */
  order: number;
}

export function labelWidth(text: string): number {
  return Math.ceil(text.length * metrics.charWidth + metrics.labelPadding);
}

function sizeOf(state: GraphState): { width: number; height: number; children: PositionedGraph[] } {
  const ownWidth = Math.max(metrics.minNodeWidth, labelWidth(state.name));
  if (state.children.length === 0) return { width: ownWidth, height: metrics.nodeHeight, children: [] };
  const { containerPadding: pad, containerHeader: header, branchGap } = metrics;
  const children: PositionedGraph[] = [];
  let x = pad;
  for (const child of state.children) {
    const layout = layoutGraph(child, { markers: false });
    children.push({ x, y: header, layout });
    x += layout.width + branchGap;
  }
  const innerWidth = x - branchGap + pad;
  const width = Math.max(innerWidth, ownWidth, metrics.containerMinWidth);
  // Centre the branches in a box made wider by its label.
  const shift = (width - innerWidth) / 2;
  for (const child of children) child.x += shift;
  const height = header + Math.max(0, ...children.map((child) => child.layout.height)) + pad;
  return { width, height, children };
}

/** Depth-first from the roots, main transitions first: discovery order, discovering links, back links. */
function explore(ids: string[], roots: string[], links: Map<string, Link[]>) {
  const order: string[] = [];
  const via = new Map<string, Link>();
  const back = new Set<Link>();
  const onStack = new Set<string>();
  const seen = new Set<string>();
  const visit = (id: string) => {
    seen.add(id);
    onStack.add(id);
    order.push(id);
    for (const link of links.get(id) ?? []) {
      if (onStack.has(link.to)) back.add(link);
      else if (!seen.has(link.to)) {
        via.set(link.to, link);
        visit(link.to);
      }
    }
    onStack.delete(id);
  };
  for (const root of [...roots, ...ids]) if (!seen.has(root)) visit(root);
  return { order, via, back };
}

/** Row of each node: the longest path to it, loops left out. */
function rankNodes(order: string[], links: Map<string, Link[]>, back: Set<Link>): Map<string, number> {
  const rank = new Map<string, number>(order.map((id) => [id, 0]));
  // Without the back links the graph is acyclic, so relaxing every link until nothing changes ends within
  // as many rounds as there are nodes (state machines are small).
  for (let changed = true, rounds = 0; changed && rounds <= order.length; rounds++) {
    changed = false;
    for (const id of order) {
      for (const link of links.get(id) ?? []) {
        if (back.has(link)) continue;
        const candidate = (rank.get(id) ?? 0) + 1;
        if (candidate > (rank.get(link.to) ?? 0)) {
          rank.set(link.to, candidate);
          changed = true;
        }
      }
    }
  }
  return rank;
}

/** Column of each node: under its discoverer for a main transition, else the first clear column right of it. */
function assignColumns(
  order: string[],
  via: Map<string, Link>,
  rank: Map<string, number>,
): Map<string, number> {
  const column = new Map<string, number>();
  const nodesAt = new Set<string>();
  const passages = new Set<string>();
  const cell = (c: number, r: number) => `${c},${r}`;
  const clear = (c: number, from: number, to: number, sameColumn: boolean) => {
    if (nodesAt.has(cell(c, to)) || passages.has(cell(c, to))) return false;
    for (let r = sameColumn ? from + 1 : from; r < to; r++) if (nodesAt.has(cell(c, r))) return false;
    return true;
  };
  for (const id of order) {
    const r = rank.get(id) ?? 0;
    const link = via.get(id);
    const parentColumn = link ? (column.get(link.from) ?? 0) : 0;
    const parentRank = link ? (rank.get(link.from) ?? 0) : r;
    let c = link && link.order > 0 ? parentColumn + 1 : parentColumn;
    while (!clear(c, parentRank, r, c === parentColumn)) c++;
    column.set(id, c);
    nodesAt.add(cell(c, r));
    for (let k = parentRank + 1; k < r; k++) passages.add(cell(c, k));
  }
  return column;
}

/** Positions; sizes of each column and row are their largest node's. */
export function layoutGraph(graph: Graph, options: { markers?: boolean } = {}): GraphLayout {
  const markers = options.markers ?? true;
  const { gapX, gapY, margin, laneGap } = metrics;
  const states = new Map(graph.states.map((state) => [state.name, state]));
  const ids = [...(markers ? [startMarker] : []), ...states.keys(), ...(markers ? [endMarker] : [])];
  const links = new Map<string, Link[]>();
  const addLinks = (from: string, targets: Omit<Link, 'from' | 'order'>[]) =>
    links.set(
      from,
      targets
        .filter((link) => states.has(link.to) || link.to === endMarker)
        .map((link, order) => ({ ...link, from, order })),
    );
  if (markers) addLinks(startMarker, [{ to: graph.startAt, kind: 'next' }]);
  for (const state of graph.states) {
    addLinks(state.name, [
      ...state.edges,
      ...(markers && state.terminal ? [{ to: endMarker, kind: 'next' as const }] : []),
    ]);
  }

  const roots = [markers ? startMarker : graph.startAt].filter((id) => ids.includes(id));
  const { order, via, back } = explore(ids, roots, links);
  const rank = rankNodes(order, links, back);
  const column = assignColumns(order, via, rank);

  const boxes = new Map<string, { width: number; height: number; children: PositionedGraph[] }>();
  for (const id of ids) {
    const state = states.get(id);
    boxes.set(
      id,
      state ? sizeOf(state) : { width: metrics.markerWidth, height: metrics.markerHeight, children: [] },
    );
  }
  const columnCount = Math.max(0, ...column.values()) + 1;
  const rowCount = Math.max(0, ...rank.values()) + 1;
  const columnWidths = Array.from({ length: columnCount }, () => 24);
  const rowHeights = Array.from({ length: rowCount }, () => 0);
  for (const id of ids) {
    const box = boxes.get(id)!;
    const c = column.get(id) ?? 0;
    const r = rank.get(id) ?? 0;
    columnWidths[c] = Math.max(columnWidths[c] ?? 0, box.width);
    rowHeights[r] = Math.max(rowHeights[r] ?? 0, box.height);
  }
  const offsets = (sizes: number[], gap: number) => {
    const starts: number[] = [];
    let at = margin;
    for (const size of sizes) {
      starts.push(at);
      at += size + gap;
    }
    return { starts, end: at - gap + margin };
  };
  const columns = offsets(columnWidths, gapX);
  const rows = offsets(rowHeights, gapY);

  const nodes: LaidOutNode[] = ids.map((id) => {
    const box = boxes.get(id)!;
    const c = column.get(id) ?? 0;
    const r = rank.get(id) ?? 0;
    return {
      id,
      state: states.get(id),
      x: columns.starts[c]! + (columnWidths[c]! - box.width) / 2,
      y: rows.starts[r]! + (rowHeights[r]! - box.height) / 2,
      width: box.width,
      height: box.height,
      children: box.children,
    };
  });
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const contentRight = columns.end - margin;

  let lanes = 0;
  const edges: LaidOutEdge[] = [];
  for (const from of order) {
    for (const link of links.get(from) ?? []) {
      const a = byId.get(from)!;
      const b = byId.get(link.to)!;
      const isBack = back.has(link) || (rank.get(link.to) ?? 0) <= (rank.get(from) ?? 0);
      const ax = a.x + a.width / 2;
      const bx = b.x + b.width / 2;
      const ay = a.y + a.height / 2;
      const by = b.y + b.height / 2;
      const rankGap = (rank.get(link.to) ?? 0) - (rank.get(from) ?? 0);
      let points: [number, number][];
      if (isBack) {
        const lane = contentRight + laneGap * ++lanes;
        points = [
          [a.x + a.width, ay],
          [lane, ay],
          [lane, by],
          [b.x + b.width, by],
        ];
      } else if (column.get(from) === column.get(link.to)) {
        points = [
          [ax, a.y + a.height],
          [bx, b.y],
        ];
      } else if (rankGap === 1) {
        const middle = b.y - (b.y - (a.y + a.height)) / 2;
        points = [
          [ax, a.y + a.height],
          [ax, middle],
          [bx, middle],
          [bx, b.y],
        ];
      } else {
        const side = bx > ax ? a.x + a.width : a.x;
        points = [
          [side, ay],
          [bx, ay],
          [bx, b.y],
        ];
      }
      edges.push({ from, to: link.to, kind: link.kind, label: link.label, back: isBack, points });
    }
  }
  return { width: columns.end + laneGap * lanes, height: rows.end, nodes, edges };
}
