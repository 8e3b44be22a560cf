/**
 * Apps on the route map. The engine gives every app a route named NAME.localhost (match
 * host NAME.localhost, path /, on every listener) to a balancer of the instances that
 * serve (src/engine/apps/app-routes.ts). Those routes live only while Switchyard runs and
 * are never in the routing file, so the map draws them apart from the draft's: above the
 * file's routes (the engine tries them first), read-only, with the instances as the
 * members they are, or, when nothing serves, an end node saying what the 503 page says.
 *
 * Pure data like route-map-graph.ts; RouteMap.vue adds these nodes to the draft's graph.
 */
import type { BalancerStatus } from '../../../../shared/api';
import type { AppInstanceStatus, AppState, AppStatus } from '../../../../shared/apps';
import type { MemberState, RoutingConfig } from '../../../../shared/config';
import { appSentence, appTag, instanceTag, type TagType } from '../apps/app-state';
import { MAP_LAYOUT, nodeId, type MapEdge, type MapGraph, type MapNode } from './route-map-graph';

export type AppMapNodeData =
  /** The route NAME.localhost the engine adds for an app. */
  | {
      kind: 'app-route';
      name: string;
      host: string;
      /** Where it is reached, HTTPS first (absent without listeners). */
      url?: string;
      state: AppState;
      tone: TagType;
      /** Why the engine leaves it out: the routing file routes the host itself. */
      shadowed?: string;
    }
  /** One instance of an app: a member of its balancer while it serves. */
  | {
      kind: 'app-instance';
      app: string;
      id: string;
      source: AppInstanceStatus['source'];
      port?: number;
      pid?: number;
      state: AppState;
      /** The state as the Apps view names it ("Up", "Exited (code 1)"). */
      label: string;
      tone: TagType;
      /** A member now (up, unhealthy, alias); starting and restarting ones are not yet. */
      serving: boolean;
      /** Set from the balancer's live status when not enabled (balancer-manager). */
      memberState?: MemberState;
      elected?: number;
    }
  /** No instance serves: the route answers 503, for this reason. */
  | { kind: 'app-down'; app: string; state: AppState; label: string; tone: TagType; text: string };

export const appNodeId = {
  route: (name: string) => `app:${name}`,
  instance: (name: string, id: string) => `app-instance:${name}:${id}`,
  down: (name: string) => `app-down:${name}`,
};

/** Whether a map node is one of the apps' (read-only: not in the routing file). */
export function isAppNode(id: string | null | undefined): boolean {
  return id?.startsWith('app:') === true || id?.startsWith('app-') === true;
}

/** Instances still coming up are drawn beside the serving ones, on a dashed line. */
const COMING: readonly AppState[] = ['starting', 'restarting'];

/**
 * Why the engine would leave the app's route out: a route of the file matches its host,
 * or a route or balancer already bears its name (withAppRoutes). Judged on the draft, so
 * the map shows what applying it would do.
 */
function shadowedBy(config: RoutingConfig, host: string): string | undefined {
  const index = config.routes.findIndex((r) => r.match.host === host);
  if (index >= 0) {
    const route = config.routes[index]!;
    return `Route ${index + 1} ${route.name} routes ${host} itself, so the app's route is left out`;
  }
  if (config.routes.some((r) => r.name === host) || config.balancers.some((b) => b.name === host)) {
    return `The routing file has a route or balancer named ${host}, so the app's route is left out`;
  }
  return undefined;
}

function instanceWords(i: AppInstanceStatus): string {
  const parts = [
    i.port === undefined ? undefined : `port ${i.port}`,
    i.pid === undefined ? undefined : `pid ${i.pid}`,
  ].filter((p) => p !== undefined);
  return parts.length > 0 ? parts.join(', ') : i.id;
}

/**
 * The apps' nodes and lines: listeners → NAME.localhost → its instances, or → why nothing
 * serves. Placed in rows above y = 0, where the draft's first route sits.
 */
export function buildAppGraph(
  config: RoutingConfig,
  apps: readonly AppStatus[],
  options: { live?: readonly BalancerStatus[] } = {},
): MapGraph {
  const { COLUMN, ROW } = MAP_LAYOUT;
  const nodes: MapNode[] = [];
  const edges: MapEdge[] = [];
  const listeners = config.listeners.map((l) => l.name);

  type Placed = { app: AppStatus; shadowed?: string; shown: AppInstanceStatus[] };
  const placed: Placed[] = apps.map((app) => {
    const shadowed = shadowedBy(config, app.host);
    if (shadowed !== undefined) return { app, shadowed, shown: [] };
    const serving = app.instances.some((i) => i.member !== undefined);
    const shown = serving
      ? app.instances.filter((i) => i.member !== undefined || COMING.includes(i.state))
      : [];
    return { app, shown };
  });
  const rows = placed.reduce((sum, p) => sum + Math.max(1, p.shown.length), 0);
  // A row's worth of space between the apps and the draft's first route.
  let row = -rows - 1;

  for (const { app, shadowed, shown } of placed) {
    const rid = appNodeId.route(app.name);
    const tag = appTag(app);
    const url = app.urls[0];
    nodes.push({
      id: rid,
      type: 'app-route',
      position: { x: COLUMN.route, y: row * ROW },
      data: {
        kind: 'app-route',
        name: app.name,
        host: app.host,
        state: app.state,
        tone: shadowed === undefined ? tag.type : 'warning',
        ...(url === undefined ? {} : { url }),
        ...(shadowed === undefined ? {} : { shadowed }),
      },
      deletable: false,
      ariaLabel: `App route ${app.host}: app ${app.name}, ${tag.label.toLowerCase()}${shadowed === undefined ? '' : `. ${shadowed}`}. Not in the routing file; Enter opens Apps.`,
    });

    if (shadowed !== undefined) {
      row++;
      continue;
    }

    for (const l of listeners) {
      edges.push({
        id: `${nodeId.listener(l)}->${rid}`,
        source: nodeId.listener(l),
        target: rid,
        deletable: false,
        // Like a route that names no listeners: it serves every one.
        implicit: true,
        ariaLabel: `Listener ${l} serves app ${app.name} at ${app.host}`,
      });
    }

    if (shown.length === 0) {
      const did = appNodeId.down(app.name);
      const text = appSentence(app) || `No instance serves ${app.host}.`;
      nodes.push({
        id: did,
        type: 'app-down',
        position: { x: COLUMN.target, y: row * ROW },
        data: {
          kind: 'app-down',
          app: app.name,
          state: app.state,
          label: tag.label,
          tone: tag.type,
          text,
        },
        deletable: false,
        ariaLabel: `App ${app.name} answers 503: ${tag.label.toLowerCase()}. ${text}`,
      });
      edges.push({
        id: `${rid}->${did}`,
        source: rid,
        target: did,
        deletable: false,
        implicit: false,
        ariaLabel: `App route ${app.host} answers 503: no instance serves`,
      });
      row++;
      continue;
    }

    const balancer = options.live?.find((b) => b.name === app.host);
    for (const instance of shown) {
      const iid = appNodeId.instance(app.name, instance.id);
      const itag = instanceTag(instance);
      const live = balancer?.members.find((m) => m.url === instance.member);
      const memberState = live !== undefined && live.state !== 'enabled' ? live.state : undefined;
      const serving = instance.member !== undefined;
      const words = instanceWords(instance);
      nodes.push({
        id: iid,
        type: 'app-instance',
        position: { x: COLUMN.target, y: row * ROW },
        data: {
          kind: 'app-instance',
          app: app.name,
          id: instance.id,
          source: instance.source,
          state: instance.state,
          label: itag.label,
          tone: itag.type,
          serving,
          ...(instance.port === undefined ? {} : { port: instance.port }),
          ...(instance.pid === undefined ? {} : { pid: instance.pid }),
          ...(memberState === undefined ? {} : { memberState }),
          ...(live?.stats ? { elected: live.stats.elected } : {}),
        },
        deletable: false,
        ariaLabel: `Instance of ${app.name}, ${words}: ${itag.label.toLowerCase()}${memberState ? `, ${memberState}` : ''}${serving ? '' : ', not serving yet'}`,
      });
      edges.push({
        id: `${rid}->${iid}`,
        source: rid,
        target: iid,
        deletable: false,
        // Not a member yet: drawn dashed, like a line that is not quite there.
        implicit: !serving,
        ariaLabel: serving
          ? `${app.host} balances to ${instance.member}`
          : `${app.host} will balance to ${words} once it serves`,
      });
      row++;
    }
  }

  return { nodes, edges };
}

/** The draft's graph with the apps added (lines from listeners the draft has only). */
export function withApps(
  graph: MapGraph,
  config: RoutingConfig,
  apps: readonly AppStatus[],
  options: { live?: readonly BalancerStatus[] } = {},
): MapGraph {
  if (apps.length === 0) return graph;
  const extra = buildAppGraph(config, apps, options);
  return { nodes: [...extra.nodes, ...graph.nodes], edges: [...extra.edges, ...graph.edges] };
}
