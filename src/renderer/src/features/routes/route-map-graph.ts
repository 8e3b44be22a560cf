/**
 * The route map as plain nodes and edges: listeners → routes (in order) → balancers,
 * backend URLs or the answer a route gives itself (a redirect, a fixed response) →
 * members, laid out in four columns. Built from the draft (what the user
 * is editing) plus live balancer statistics (what the engine sees), so the map shows the
 * same configuration as the table and the current health of every member.
 *
 * Kept free of Vue Flow's runtime so it can be tested as data; RouteMap.vue renders it.
 * The apps' routes, which are not in the draft, are added by route-map-apps.ts.
 */
import type { BalancerStatus, EngineStatus } from '../../../../shared/api';
import type { MemberState, RoutingConfig } from '../../../../shared/config';
import type { FieldProblem } from './config-problems';
import { problemsUnder } from './config-problems';
import type { AppMapNodeData } from './route-map-apps';
import { describeAction, describeMatch, http2Label } from './route-describe';
import { balancerOf } from './route-edits';

export type MapNodeData =
  | { kind: 'listener'; name: string; url?: string; tls: boolean }
  | {
      kind: 'route';
      index: number;
      name: string;
      match: string;
      problems: number;
    }
  | { kind: 'target'; url: string; protocol?: string }
  /** What a redirect or respond route answers itself: an end of the line, one per route. */
  | { kind: 'answer'; action: 'redirect' | 'respond'; title: string; text: string }
  | { kind: 'balancer'; name: string; method: string; missing: boolean }
  | {
      kind: 'member';
      balancer: string;
      url: string;
      state: MemberState;
      health: 'unknown' | 'healthy' | 'unhealthy';
      elected?: number;
      busy?: number;
      inError: boolean;
    }
  | AppMapNodeData;

export type MapNodeKind = MapNodeData['kind'];

export interface MapNode {
  id: string;
  type: MapNodeKind;
  position: { x: number; y: number };
  data: MapNodeData;
  /** Only routes can be deleted from the map (Delete key); the rest is edited elsewhere. */
  deletable: boolean;
  ariaLabel: string;
}

export interface MapEdge {
  id: string;
  source: string;
  target: string;
  /** An edge the user can remove from the map (a listener the route names). */
  deletable: boolean;
  /** The route names no listeners, so it serves all of them: drawn dashed. */
  implicit: boolean;
  /** Written on the line: the backend protocol when it is HTTP/2 (h2c, h2). */
  label?: string;
  ariaLabel: string;
}

export interface MapGraph {
  nodes: MapNode[];
  edges: MapEdge[];
}

const COLUMN = { listener: 0, route: 280, target: 600, member: 900 } as const;
const ROW = 84;
const MEMBER_ROW = 72;

/** The columns and row heights, for the nodes route-map-apps.ts adds. */
export const MAP_LAYOUT = { COLUMN, ROW, MEMBER_ROW } as const;

export const nodeId = {
  listener: (name: string) => `listener:${name}`,
  route: (index: number) => `route:${index}`,
  balancer: (name: string) => `balancer:${name}`,
  target: (url: string) => `target:${url}`,
  answer: (index: number) => `answer:${index}`,
  member: (balancer: string, url: string) => `member:${balancer}:${url}`,
};

/** A member's live status, when the engine reported one for it. */
function liveMember(
  live: readonly BalancerStatus[],
  balancer: string,
  url: string,
): BalancerStatus['members'][number] | undefined {
  return live.find((b) => b.name === balancer)?.members.find((m) => m.url === url);
}

export function buildRouteGraph(
  config: RoutingConfig,
  options: {
    live?: readonly BalancerStatus[];
    listeners?: EngineStatus['listeners'];
    problems?: readonly FieldProblem[];
    now?: number;
  } = {},
): MapGraph {
  const live = options.live ?? [];
  const problems = options.problems ?? [];
  const now = options.now ?? Date.now();
  const nodes: MapNode[] = [];
  const edges: MapEdge[] = [];

  config.listeners.forEach((l, i) => {
    const url = options.listeners?.find((s) => s.name === l.name)?.url;
    nodes.push({
      id: nodeId.listener(l.name),
      type: 'listener',
      position: { x: COLUMN.listener, y: i * ROW },
      data: { kind: 'listener', name: l.name, tls: l.tls, ...(url ? { url } : {}) },
      deletable: false,
      ariaLabel: `Listener ${l.name}${url ? ` at ${url}` : ''}`,
    });
  });

  // Targets and balancers share the third column, in the order routes first use them.
  let targetRow = 0;
  let memberRow = 0;
  const placed = new Set<string>();
  const placeBalancer = (name: string): void => {
    const id = nodeId.balancer(name);
    if (placed.has(id)) return;
    placed.add(id);
    const balancer = config.balancers.find((b) => b.name === name);
    // Members start level with their balancer, or below the previous balancer's members.
    memberRow = Math.max(memberRow, (targetRow * ROW) / MEMBER_ROW);
    nodes.push({
      id,
      type: 'balancer',
      position: { x: COLUMN.target, y: targetRow * ROW },
      data: {
        kind: 'balancer',
        name,
        method: balancer?.method ?? 'unknown',
        missing: balancer === undefined,
      },
      deletable: false,
      ariaLabel: `Balancer ${name}${balancer ? `, ${balancer.method}` : ', not defined'}`,
    });
    targetRow++;
    for (const m of balancer?.members ?? []) {
      const status = liveMember(live, name, m.url);
      const stats = status?.stats;
      const state = status?.state ?? m.state;
      const health = stats?.health ?? 'unknown';
      const inError = stats ? stats.errorUntil === null || stats.errorUntil > now : false;
      const mid = nodeId.member(name, m.url);
      nodes.push({
        id: mid,
        type: 'member',
        position: { x: COLUMN.member, y: memberRow * MEMBER_ROW },
        data: {
          kind: 'member',
          balancer: name,
          url: m.url,
          state,
          health,
          inError,
          ...(stats ? { elected: stats.elected, busy: stats.busy } : {}),
        },
        deletable: false,
        ariaLabel: `Member ${m.url} of ${name}: ${state}, health ${health}${inError ? ', in error' : ''}`,
      });
      const protocol = http2Label(m.url);
      edges.push({
        id: `${id}->${mid}`,
        source: id,
        target: mid,
        deletable: false,
        implicit: false,
        ...(protocol ? { label: protocol } : {}),
        ariaLabel: `${name} balances to ${m.url}${protocol ? ` over ${protocol}` : ''}`,
      });
      memberRow++;
    }
  };

  config.routes.forEach((route, index) => {
    const rid = nodeId.route(index);
    const count = problemsUnder(problems, `routes[${index}]`).length;
    nodes.push({
      id: rid,
      type: 'route',
      position: { x: COLUMN.route, y: index * ROW },
      data: {
        kind: 'route',
        index,
        name: route.name,
        match: describeMatch(route),
        problems: count,
      },
      deletable: true,
      ariaLabel: `Route ${index + 1} ${route.name}: ${describeMatch(route)}${route.to === undefined ? ', ' : ' to '}${describeAction(route)}${count > 0 ? `, ${count} problem(s)` : ''}. Enter edits it, Delete removes it.`,
    });

    const named = route.match.listeners;
    for (const l of named ?? config.listeners.map((x) => x.name)) {
      edges.push({
        id: `${nodeId.listener(l)}->${rid}`,
        source: nodeId.listener(l),
        target: rid,
        deletable: named !== undefined,
        implicit: named === undefined,
        ariaLabel: `Listener ${l} serves route ${route.name}`,
      });
    }

    const balancer = balancerOf(route);
    if (balancer !== undefined) {
      placeBalancer(balancer);
      edges.push({
        id: `${rid}->${nodeId.balancer(balancer)}`,
        source: rid,
        target: nodeId.balancer(balancer),
        deletable: false,
        implicit: false,
        ariaLabel: `Route ${route.name} sends to balancer ${balancer}`,
      });
      return;
    }
    // A redirect or an answer of Switchyard's own reaches no backend: the line ends at a
    // small node saying what the client gets.
    if (route.to === undefined) {
      const action = route.redirect ? 'redirect' : 'respond';
      const aid = nodeId.answer(index);
      const text = describeAction(route);
      const title = route.redirect ? `Redirect ${route.redirect.status}` : 'Answers itself';
      const shown = route.redirect
        ? route.redirect.to
        : route.respond?.page === 'balancers'
          ? 'balancers view'
          : `status ${route.respond?.status ?? ''}`;
      nodes.push({
        id: aid,
        type: 'answer',
        position: { x: COLUMN.target, y: targetRow * ROW },
        data: { kind: 'answer', action, title, text: shown },
        deletable: false,
        ariaLabel: `Route ${route.name} answers itself: ${text}`,
      });
      targetRow++;
      edges.push({
        id: `${rid}->${aid}`,
        source: rid,
        target: aid,
        deletable: false,
        implicit: false,
        ariaLabel: `Route ${route.name}: ${text}`,
      });
      return;
    }
    const tid = nodeId.target(route.to);
    const protocol = http2Label(route.to);
    if (!placed.has(tid)) {
      placed.add(tid);
      nodes.push({
        id: tid,
        type: 'target',
        position: { x: COLUMN.target, y: targetRow * ROW },
        data: { kind: 'target', url: route.to, ...(protocol ? { protocol } : {}) },
        deletable: false,
        ariaLabel: `Backend ${route.to}${protocol ? `, ${protocol}` : ''}`,
      });
      targetRow++;
    }
    edges.push({
      id: `${rid}->${tid}`,
      source: rid,
      target: tid,
      deletable: false,
      implicit: false,
      ...(protocol ? { label: protocol } : {}),
      ariaLabel: `Route ${route.name} sends to ${route.to}${protocol ? ` over ${protocol}` : ''}`,
    });
  });

  // Balancers no route uses yet still belong on the map: a route can be connected to them.
  for (const b of config.balancers) placeBalancer(b.name);

  // Listener edges may name a listener that does not exist (a problem the table shows);
  // an edge to a missing node would only confuse Vue Flow.
  const ids = new Set(nodes.map((n) => n.id));
  return { nodes, edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
}
