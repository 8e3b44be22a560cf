/**
 * Routing file → Kubernetes Gateway API v1 manifests (standard channel): one Gateway, an
 * HTTPRoute (or GRPCRoute) per site, and a Service per backend, as one multi-document YAML
 * stream for `kubectl apply -f`.
 *
 * Order. Switchyard takes the first route in file order; the Gateway API takes the most
 * specific listener hostname, then (across every rule attached there) an Exact path, the
 * longest PathPrefix, the most header matches, and only then the first rule. The two
 * agree because:
 * 1. each listener × Host (a plan site) gets its own Gateway listener, with that hostname,
 *    and its own route holding every routing-file route that applies to that Host
 *    (host-less ones too, repeated), so Host precedence never mixes sites;
 * 2. within a site the plan has dropped what an earlier route covers, and
 *    kubernetes-site.ts adds what the Gateway API's matching needs on top (an Exact match
 *    for `/app` where a route is written `/app/`; conditional routes repeated at later
 *    routes' paths), so the longest match is the first match;
 * 3. RegularExpression matches are the exception: their precedence is
 *    implementation-specific, which the rule's comment says.
 *
 * What the Gateway API cannot express is written as a comment next to the rule concerned.
 */
import { isIP } from '../../shared/ip.js';
import { Services } from './kubernetes-backends.js';
import { grpcRules, isGrpcSite } from './kubernetes-grpc.js';
import { httpRules, type NotedRule } from './kubernetes-http.js';
import { NameSet, dnsLabel } from './kubernetes-names.js';
import { analyseSite } from './kubernetes-site.js';
import { manifest, renderManifests, type Manifest } from './kubernetes-yaml.js';
import { allowsEveryone, type ExportPlan, type ListenerPlan, type SitePlan } from './plan.js';

const GATEWAY = 'switchyard';
const GATEWAY_CLASS = 'replace-with-your-gateway-class';
const API = 'gateway.networking.k8s.io/v1';
/** The CRD's limits: 16 rules per route, fewer than 128 matches across them. */
const MAX_RULES = 16;
const MAX_MATCHES = 128;

function hostSlug(host: string | undefined): string {
  return host === undefined ? 'default' : host.replace(/^\*\./, 'wildcard.');
}

/** Rules in order, cut where a route would exceed the CRD's limits. */
function routeChunks(rules: NotedRule[]): NotedRule[][] {
  const out: NotedRule[][] = [];
  let current: NotedRule[] = [];
  let matches = 0;
  for (const r of rules) {
    const n = ((r.rule.matches as unknown[] | undefined) ?? [{}]).length;
    if (current.length === MAX_RULES || matches + n > MAX_MATCHES) {
      out.push(current);
      current = [];
      matches = 0;
    }
    current.push(r);
    matches += n;
  }
  if (current.length > 0) out.push(current);
  return out;
}

interface Built {
  listeners: Record<string, unknown>[];
  listenerNotes: string[][];
  routes: Manifest[];
  notes: string[];
}

function tlsFor(
  site: SitePlan,
  secrets: NameSet,
): { tls: Record<string, unknown>; notes: string[] } {
  const secret = secrets.unique(dnsLabel(`${GATEWAY}-tls-${hostSlug(site.host)}`, 253), 253);
  const c = site.certificate;
  return {
    tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: secret }] },
    notes: [
      `Secret ${secret} (not included): a certificate for ${site.host ?? 'the names this listener serves'}, e.g. cert-manager's, or for a test`,
      `  kubectl create secret tls ${secret} --cert=${c?.cert ?? 'CERT.pem'} --key=${c?.key ?? 'KEY.pem'}`,
      '(Switchyard’s local CA leaf there is trusted only where its CA is).',
    ],
  };
}

function buildSite(
  l: ListenerPlan,
  site: SitePlan,
  port: number,
  names: { listeners: NameSet; routes: NameSet; secrets: NameSet },
  services: Services,
  out: Built,
): void {
  const tls = l.listener.tls;
  const sectionName = names.listeners.unique(
    dnsLabel(site.host ? `${l.listener.name}-${hostSlug(site.host)}` : l.listener.name),
  );
  const listenerNotes = [
    `listener ${l.listener.name} (${l.listener.address}:${l.listener.port}${tls ? ', TLS' : ''}): ${site.host ? `Host ${site.host}` : 'any other Host'}`,
  ];
  const gl: Record<string, unknown> = {
    name: sectionName,
    protocol: tls ? 'HTTPS' : 'HTTP',
    port,
    ...(site.host ? { hostname: site.host } : {}),
  };
  if (tls) {
    const t = tlsFor(site, names.secrets);
    gl.tls = t.tls;
    listenerNotes.push(...t.notes);
  }
  const analysis = analyseSite(site, l);
  const grpc = isGrpcSite(analysis);
  const ruleNames = new NameSet();
  const rules = grpc
    ? grpcRules(analysis, services, ruleNames)
    : httpRules(analysis, services, ruleNames);
  if (rules.length === 0) {
    listenerNotes.push('No route serves this site: the Gateway answers 404, as Switchyard does.');
    listenerNotes.push(...analysis.notes);
  }
  out.listeners.push(gl);
  out.listenerNotes.push(listenerNotes);
  const base = dnsLabel(`${l.listener.name}-${hostSlug(site.host)}`, 240);
  routeChunks(rules).forEach((list, i) => {
    // Zero-padded, so that the name order (the Gateway API's last tie-break) is the file order.
    const name = names.routes.unique(
      i === 0 ? base : `${base}-${String(i + 1).padStart(2, '0')}`,
      253,
    );
    const m = manifest(
      {
        apiVersion: API,
        kind: grpc ? 'GRPCRoute' : 'HTTPRoute',
        metadata: { name },
        spec: {
          parentRefs: [{ name: GATEWAY, sectionName }],
          ...(site.host ? { hostnames: [site.host] } : {}),
          rules: list.map((r) => r.rule),
        },
      },
      [
        `${listenerNotes[0] ?? ''}${i > 0 ? ` (continued: a route holds at most ${MAX_RULES} rules)` : ''}`,
        ...(grpc
          ? ['Every route here is gRPC-shaped: a GRPCRoute (see kubernetes-grpc.ts in Switchyard).']
          : []),
        ...(i === 0 ? analysis.notes : []),
      ],
    );
    m.itemNotes = list.map((r, j) => ({ path: ['spec', 'rules', j], notes: r.notes }));
    out.routes.push(m);
  });
}

function header(plan: ExportPlan): string[] {
  const lines = [
    `Kubernetes Gateway API v1 manifests generated by \`switchyard export kubernetes\` from ${plan.options.source}.`,
    'Apply them into one namespace (they name none, so routes, Gateway and Services meet there',
    'and no ReferenceGrant is needed):',
    '  kubectl apply -n NAMESPACE -f gateway.yaml',
    'The cluster needs the Gateway API CRDs (v1.x standard channel) and an implementation: set',
    `the Gateway's gatewayClassName (${GATEWAY_CLASS}) to one of \`kubectl get gatewayclass\`.`,
    '',
    'Order: Switchyard takes the first matching route; the Gateway API the most specific match.',
    'Each listener × Host is a Gateway listener with its own route, listing in file order every',
    'route that applies to that Host; paths an earlier route covers are left out, Exact and',
    'segment-based PathPrefix matches mirror Switchyard’s prefixes, and routes with conditions',
    'are repeated at later routes’ paths, so the most specific match is the first match.',
    '',
    'Not carried over (no Gateway API equivalent): listener addresses (the Gateway’s address comes',
    'from its implementation), HTTP/2 settings of listeners (h2c on HTTP listeners is',
    'implementation-specific), clientTimeouts, and the X-Forwarded-Server and Via headers',
    '(Gateways set X-Forwarded-For and -Proto themselves).',
    'Timeouts: timeouts.request (Extended support) bounds a whole exchange, where Switchyard’s',
    'timeout bounds each wait for the backend; raise it (or use 0s) for long streams.',
  ];
  if (!allowsEveryone(plan.access))
    lines.push(
      `access.allow [${plan.access.join(', ')}]: the Gateway API has no client address rule; use the`,
      'load balancer’s source ranges or an implementation policy. A Gateway is reachable by anyone',
      'who can reach its address.',
    );
  return lines;
}

export function exportKubernetes(plan: ExportPlan): string {
  const names = { listeners: new NameSet(), routes: new NameSet(), secrets: new NameSet() };
  const services = new Services(new NameSet());
  const out: Built = { listeners: [], listenerNotes: [], routes: [], notes: [] };
  const ports = new Map<string, string>();
  for (const l of plan.listeners) {
    const tls = l.listener.tls;
    const port = l.listener.port === 0 ? (tls ? 443 : 80) : l.listener.port;
    if (l.listener.port === 0)
      out.notes.push(
        `listener ${l.listener.name} has port 0 (any free port): it listens on ${port} here.`,
      );
    const key = `${tls ? 'HTTPS' : 'HTTP'}:${port}`;
    const same = ports.get(key);
    if (same !== undefined) {
      out.notes.push(
        `listener ${l.listener.name} (${l.listener.address}:${l.listener.port}) is left out: a Gateway listens on every address, so it would be listener ${same} again.`,
      );
      continue;
    }
    ports.set(key, l.listener.name);
    for (const site of l.sites) {
      if (site.host !== undefined && isIP(site.host)) {
        out.notes.push(
          `listener ${l.listener.name}, Host ${site.host}: the Gateway API matches hostnames, not IP addresses; left out.`,
        );
        continue;
      }
      buildSite(l, site, port, names, services, out);
    }
  }
  const manifests: Manifest[] = [];
  if (out.listeners.length > 0) {
    const gateway = manifest(
      {
        apiVersion: API,
        kind: 'Gateway',
        metadata: { name: GATEWAY },
        spec: { gatewayClassName: GATEWAY_CLASS, listeners: out.listeners.slice(0, 64) },
      },
      out.notes,
    );
    gateway.itemNotes = out.listenerNotes.map((notes, i) => ({
      path: ['spec', 'listeners', i],
      notes,
    }));
    if (out.listeners.length > 64) out.notes.push('Only 64 listeners fit in one Gateway.');
    manifests.push(gateway);
  }
  manifests.push(...out.routes, ...services.manifests());
  const top = header(plan);
  if (out.listeners.length === 0)
    top.push('', 'The routing file has no listeners: no Gateway.', ...out.notes);
  return renderManifests(top, manifests);
}
