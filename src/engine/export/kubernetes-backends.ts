/**
 * Backends for `switchyard export kubernetes`: one Service per backend host:port, and the
 * weighted `backendRefs` of a route (a URL target, or a balancer's members).
 *
 * A Service stands for each backend, in one of three forms:
 * - a DNS name → `type: ExternalName`. Many Gateway implementations refuse ExternalName
 *   backends (the Gateway API leaves them implementation-specific), so the comment says so;
 * - another IP address → a Service without selector and an EndpointSlice holding that
 *   address, so the Gateway reaches it as on the laptop (if the cluster can route to it);
 * - a loopback address or `localhost` → a Service with a selector for the workload that
 *   will run the backend in the cluster. Loopback is never reachable from a cluster (the
 *   Gateway's own 127.0.0.1 is not the laptop's), and the API server refuses loopback
 *   endpoint addresses, so an EndpointSlice would either be rejected or point nowhere; a
 *   selector is what a backend moved into the cluster needs anyway. The comment names the
 *   label the pods must carry.
 */
import type { MemberConfig } from '../../shared/config.js';
import { isIP, isIPv6, isLoopbackAddress } from '../../shared/ip.js';
import { dnsLabel, type NameSet } from './kubernetes-names.js';
import { manifest, type Manifest } from './kubernetes-yaml.js';
import type { Backend, RoutePlan } from './plan.js';

export interface ServiceRef {
  name: string;
  port: number;
  /** The backend's host as Switchyard reached it. */
  hostname: string;
  kind: 'external' | 'address' | 'loopback';
}

export interface BackendRef {
  name: string;
  port: number;
  weight?: number;
  filters?: Record<string, unknown>[];
}

/** Label a loopback backend's pods carry, so its Service selects them. */
export const SELECTOR_LABEL = 'app.kubernetes.io/name';

function kindOf(hostname: string): ServiceRef['kind'] {
  if (isLoopbackAddress(hostname) || hostname === 'localhost' || hostname.endsWith('.localhost'))
    return 'loopback';
  return isIP(hostname) ? 'address' : 'external';
}

function portOf(b: Backend): number {
  return Number(b.hostport.slice(b.hostport.lastIndexOf(':') + 1));
}

export class Services {
  readonly #names: NameSet;
  readonly #byHostport = new Map<string, { ref: ServiceRef; backend: Backend }>();

  constructor(names: NameSet) {
    this.#names = names;
  }

  ref(b: Backend): ServiceRef {
    const known = this.#byHostport.get(b.hostport);
    if (known) return known.ref;
    const port = portOf(b);
    const kind = kindOf(b.hostname);
    const base = `${kind === 'external' ? '' : 'backend-'}${b.hostname}-${port}`;
    const ref: ServiceRef = {
      name: this.#names.unique(dnsLabel(base, 63, true)),
      port,
      hostname: b.hostname,
      kind,
    };
    this.#byHostport.set(b.hostport, { ref, backend: b });
    return ref;
  }

  manifests(): Manifest[] {
    return [...this.#byHostport.values()].flatMap(({ ref, backend }) =>
      serviceManifests(ref, backend),
    );
  }
}

function servicePort(ref: ServiceRef, b: Backend, targetPort: boolean): Record<string, unknown> {
  return {
    name: b.scheme,
    protocol: 'TCP',
    port: ref.port,
    ...(targetPort ? { targetPort: ref.port } : {}),
    // GEP-1911: the one appProtocol the Gateway API names for HTTP/2 without TLS.
    ...(b.scheme === 'h2c' ? { appProtocol: 'kubernetes.io/h2c' } : {}),
  };
}

function protocolNotes(b: Backend): string[] {
  if (!b.secure) return [];
  return [
    `Switchyard speaks TLS to this backend (${b.scheme}://). A Gateway does so only with a`,
    'BackendTLSPolicy (gateway.networking.k8s.io, standard channel since v1.4) naming this',
    'Service, its CA certificate and the hostname to verify; without it, plain text is sent.',
    ...(b.http2
      ? [
          'HTTP/2 over TLS (h2://) is negotiated by ALPN; the Gateway API has no appProtocol for it.',
        ]
      : []),
  ];
}

function serviceManifests(ref: ServiceRef, b: Backend): Manifest[] {
  const metadata = { name: ref.name, labels: { 'app.kubernetes.io/managed-by': 'switchyard' } };
  const was = `Backend ${b.scheme}://${b.hostport} in the routing file.`;
  if (ref.kind === 'external') {
    return [
      manifest(
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata,
          spec: {
            type: 'ExternalName',
            externalName: ref.hostname,
            ports: [servicePort(ref, b, false)],
          },
        },
        [
          was,
          'ExternalName: the cluster resolves it by DNS. Gateway implementations differ on',
          'ExternalName backends (several refuse them); if yours does, replace this Service.',
          ...protocolNotes(b),
        ],
      ),
    ];
  }
  if (ref.kind === 'address') {
    return [
      manifest(
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata,
          spec: { ports: [servicePort(ref, b, false)] },
        },
        [
          was,
          'No selector: the EndpointSlice below holds its address. The cluster must be able to',
          'route to it.',
          ...protocolNotes(b),
        ],
      ),
      manifest({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: ref.name,
          labels: { 'kubernetes.io/service-name': ref.name, ...metadata.labels },
        },
        addressType: isIPv6(ref.hostname) ? 'IPv6' : 'IPv4',
        ports: [
          {
            name: b.scheme,
            protocol: 'TCP',
            port: ref.port,
            ...(b.scheme === 'h2c' ? { appProtocol: 'kubernetes.io/h2c' } : {}),
          },
        ],
        endpoints: [{ addresses: [ref.hostname] }],
      }),
    ];
  }
  return [
    manifest(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata,
        spec: {
          selector: { [SELECTOR_LABEL]: ref.name },
          ports: [servicePort(ref, b, true)],
        },
      },
      [
        was,
        'A loopback address is not reachable from a cluster: run this backend in the cluster',
        `with its pods labelled ${SELECTOR_LABEL}: ${ref.name} (or change the selector), listening`,
        `on port ${ref.port}.`,
        ...protocolNotes(b),
      ],
    ),
  ];
}

function memberList(members: readonly MemberConfig[]): string {
  return members.map((m) => `${m.url} (${m.state}, loadFactor ${m.loadFactor})`).join(', ');
}

/**
 * The route's backendRefs: a balancer's enabled members weighted by loadFactor; disabled and
 * draining members kept at weight 0 (so turning one on is one number); standby members
 * left out unless no member is enabled (Switchyard's hot standby), with comments for what
 * has no Gateway API equivalent.
 */
export function backendRefsFor(
  r: RoutePlan,
  services: Services,
): { refs: BackendRef[]; refsServices: ServiceRef[]; notes: string[] } {
  const notes: string[] = [];
  const b = r.balancer;
  if (!b) {
    const first = r.backends[0];
    if (!first) return { refs: [], refsServices: [], notes };
    const ref = services.ref(first);
    return { refs: [{ name: ref.name, port: ref.port }], refsServices: [ref], notes };
  }
  const enabled = b.members.filter((m) => m.state === 'enabled');
  const standby = b.members.filter((m) => m.state === 'standby');
  const serving = enabled.length > 0 ? enabled : standby;
  const members = b.members.filter((m) => m.state !== 'standby' || enabled.length === 0);
  notes.push(`balancer ${b.name} (${b.method}): ${memberList(b.members)}.`);
  if (b.method !== 'byrequests')
    notes.push(
      `${b.method} has no Gateway API field: implementations balance by their own policy (often weighted round robin or least request).`,
    );
  if (standby.length > 0)
    notes.push(
      enabled.length > 0
        ? `standby members (${standby.map((m) => m.url).join(', ')}) are left out: the Gateway API has no hot standby (implementation policies such as priority/failover groups do).`
        : 'No member is enabled, so the standby members serve, as Switchyard does.',
    );
  if (members.some((m) => m.state === 'draining'))
    notes.push(
      'draining members get weight 0: the Gateway API cannot keep only their existing sessions.',
    );
  if (b.stickySession !== undefined)
    notes.push(
      `stickySession ${b.stickySession}: no standard-channel equivalent. The experimental channel's rule field`,
      `  sessionPersistence: { type: Cookie, sessionName: ${b.stickySession} }`,
      'makes the Gateway set its own cookie; Switchyard instead reads the member route id after the',
      `'.' of the application's ${b.stickySession} (cookie, ;jsessionid= or ?jsessionid=)${b.stickyCookie ? `, and sets ${b.stickySession}=.ROUTE itself (stickyCookie), which sessionPersistence comes closest to` : ''}.`,
    );
  if (b.healthCheck)
    notes.push(
      `healthCheck ${b.healthCheck.method} ${b.healthCheck.path} every ${b.healthCheck.interval}: no Gateway API equivalent; use readiness probes on the pods or an implementation policy.`,
    );
  if (!b.failover || b.maxAttempts !== undefined)
    notes.push(
      `failover ${b.failover ? 'on' : 'off'}${b.maxAttempts === undefined ? '' : `, maxAttempts ${b.maxAttempts}`}: retries are implementation-specific (the experimental channel has a rule field retry: { attempts: N }).`,
    );
  if (new Set(b.members.map((m) => new URL(m.url).pathname)).size > 1)
    notes.push(
      'Members have different paths; a rule has one path rewrite, so the first member’s is used.',
    );
  const refs: BackendRef[] = [];
  const refsServices: ServiceRef[] = [];
  for (const m of members.slice(0, 16)) {
    const backend = r.backends[b.members.indexOf(m)];
    if (!backend) continue;
    const ref = services.ref(backend);
    refs.push({ name: ref.name, port: ref.port, weight: serving.includes(m) ? m.loadFactor : 0 });
    refsServices.push(ref);
  }
  if (members.length > 16) notes.push('Only the first 16 members fit in a rule’s backendRefs.');
  return { refs, refsServices, notes };
}
