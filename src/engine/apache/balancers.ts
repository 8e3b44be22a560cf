/**
 * `<Proxy balancer://NAME>` with BalancerMember and ProxySet (and balancer parameters
 * given on a ProxyPass line) → a routing-file balancer. Apache sets some things per member
 * that Switchyard sets per balancer (retry, health checks) or per route (timeout); those
 * are carried over when the members agree, and reported when they do not.
 */
import type { BalancerMethod, RoutingConfigInput } from '../../shared/config.js';
import type { Findings } from './findings.js';
import type { StickyCookieRecipe } from './headers.js';
import type { BalancerDraft, MemberDraft, Source } from './model.js';
import { duration, onOff, seconds } from './values.js';

type BalancerInput = NonNullable<RoutingConfigInput['balancers']>[number];
type MemberInput = BalancerInput['members'][number];
type MemberState = NonNullable<MemberInput['state']>;

export interface BalancerResult {
  balancer: BalancerInput;
  /** Source lines: the balancer's (section, ProxySet) and each member's. */
  comments: { balancer: Source[]; members: Source[][] };
  /** Longest member timeout=, for the routes that use this balancer (seconds). */
  memberTimeout?: number;
  /** Members asked for WebSocket tunnelling (upgrade=websocket). */
  websocket: boolean;
}

const METHODS: readonly string[] = ['byrequests', 'bytraffic', 'bybusyness'];

/** Worker parameters with no counterpart, reported once per member line. */
const TUNING = new Set([
  'connectiontimeout',
  'keepalive',
  'ttl',
  'max',
  'smax',
  'min',
  'acquire',
  'disablereuse',
  'enablereuse',
  'flushpackets',
  'flushwait',
  'iobuffersize',
  'receivebuffersize',
  'ping',
  'secret',
  'responsefieldsize',
  'addressttl',
]);

function stateOf(status: string, member: MemberDraft, findings: Findings): MemberState | undefined {
  // `+D-H`, `D`, `+H`: flags after an optional sign; only set flags count here.
  const set = new Set<string>();
  for (const m of status.toUpperCase().matchAll(/([+-]?)([A-Z])/g)) {
    if (m[1] === '-') set.delete(m[2] as string);
    else set.add(m[2] as string);
  }
  for (const flag of set) {
    if (flag === 'E')
      findings.warn(
        member.source.line,
        'status +E (in error): Switchyard decides errors itself (failed connections and health checks); the member starts enabled',
      );
    else if (flag === 'I')
      findings.warn(member.source.line, 'status +I (ignore errors) is not supported; ignored');
    else if (flag === 'C')
      findings.warn(
        member.source.line,
        'status +C (health check failed) is decided at run time; ignored',
      );
    else if (!'DSHN'.includes(flag))
      findings.warn(member.source.line, `status flag ${flag} is unknown; ignored`);
  }
  if (set.has('D') || set.has('S')) return 'disabled';
  if (set.has('N')) return 'draining';
  if (set.has('H')) return 'standby';
  return undefined;
}

function memberOf(
  m: MemberDraft,
  findings: Findings,
): { member: MemberInput; retry?: number; timeout?: number; websocket: boolean } {
  const member: MemberInput = { url: m.url };
  const out: { member: MemberInput; retry?: number; timeout?: number; websocket: boolean } = {
    member,
    websocket: false,
  };
  const ws = /^(ws|wss):\/\//i.exec(m.url);
  if (ws) {
    member.url = m.url.replace(/^ws/i, 'http');
    out.websocket = true;
  }
  for (const [key, value] of m.params) {
    const line = m.source.line;
    switch (key) {
      case 'route':
        member.route = value;
        break;
      case 'loadfactor': {
        const n = Number(value);
        if (!Number.isFinite(n)) {
          findings.warn(line, `loadfactor=${value} is not a number; ignored`);
          break;
        }
        const lf = Math.min(100, Math.max(1, Math.round(n)));
        if (lf !== n)
          findings.warn(line, `loadfactor=${value} becomes ${lf} (a whole number from 1 to 100)`);
        member.loadFactor = lf;
        break;
      }
      case 'status': {
        const state = stateOf(value, m, findings);
        if (state) member.state = state;
        break;
      }
      case 'retry': {
        const s = seconds(value);
        if (s === undefined)
          findings.warn(line, `retry=${value} is not a number of seconds; ignored`);
        else out.retry = s;
        break;
      }
      case 'timeout': {
        const s = seconds(value);
        if (s === undefined)
          findings.warn(line, `timeout=${value} is not a number of seconds; ignored`);
        else out.timeout = s;
        break;
      }
      case 'upgrade':
        if (/^(websocket|any)$/i.test(value)) out.websocket = true;
        break;
      case 'hcmethod':
      case 'hcuri':
      case 'hcinterval':
      case 'hcpasses':
      case 'hcfails':
        break; // read by healthCheckOf, for the balancer as a whole
      default:
        findings.warn(
          line,
          TUNING.has(key)
            ? `${key}=${value}: connection tuning is Switchyard's own; ignored`
            : `BalancerMember parameter ${key}=${value} is not supported; ignored`,
        );
    }
  }
  return out;
}

function healthCheckOf(draft: BalancerDraft, findings: Findings): BalancerInput['healthCheck'] {
  const checked = draft.members.filter((m) => [...m.params.keys()].some((k) => k.startsWith('hc')));
  const first = checked[0];
  if (!first) return undefined;
  const p = first.params;
  const method = (p.get('hcmethod') ?? 'OPTIONS').toUpperCase().replace(/11$/, '');
  if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') {
    findings.warn(
      first.source.line,
      `hcmethod=${p.get('hcmethod') ?? ''}: health checks are HTTP GET, HEAD or OPTIONS here; no health check for balancer ${draft.name}`,
    );
    return undefined;
  }
  const keys = ['hcmethod', 'hcuri', 'hcinterval', 'hcpasses', 'hcfails'];
  const differs = draft.members.some((m) => keys.some((k) => m.params.get(k) !== p.get(k)));
  if (differs) {
    findings.warn(
      first.source.line,
      `members of balancer ${draft.name} have different health checks; the routing file has one per balancer, taken from this line`,
    );
  }
  const check: NonNullable<BalancerInput['healthCheck']> = { method };
  const uri = p.get('hcuri');
  if (uri) check.path = uri.startsWith('/') ? uri : `/${uri}`;
  const interval = seconds(p.get('hcinterval'));
  // mod_proxy_hcheck checks every 60 s unless told otherwise.
  check.interval = duration(interval ?? 60);
  const passes = Number(p.get('hcpasses'));
  if (Number.isInteger(passes) && passes >= 1) check.passes = Math.min(passes, 100);
  const fails = Number(p.get('hcfails'));
  if (Number.isInteger(fails) && fails >= 1) check.fails = Math.min(fails, 100);
  return check;
}

function applyParam(
  b: BalancerInput,
  key: string,
  value: string,
  line: number,
  findings: Findings,
): void {
  switch (key) {
    case 'lbmethod': {
      const m = value.toLowerCase();
      if (METHODS.includes(m)) b.method = m as BalancerMethod;
      else if (m === 'heartbeat')
        findings.warn(
          line,
          'lbmethod=heartbeat needs mod_heartmonitor reports from the backends, which Switchyard does not receive; byrequests is used instead',
        );
      else findings.warn(line, `lbmethod=${value} is unknown; byrequests is used instead`);
      return;
    }
    case 'stickysession': {
      // `JSESSIONID|jsessionid`: cookie name, then URL parameter name. Switchyard reads the
      // one name from both the cookie and (case-insensitively) the URL.
      const [cookie = '', urlName] = value.split('|');
      b.stickySession = cookie;
      if (urlName !== undefined && urlName.toLowerCase() !== cookie.toLowerCase()) {
        findings.warn(
          line,
          `stickysession=${value}: the URL parameter is looked up under '${cookie}' (any case), not '${urlName}'`,
        );
      }
      return;
    }
    case 'nofailover': {
      const on = onOff(value);
      if (on === undefined) findings.warn(line, `nofailover=${value} needs On or Off; ignored`);
      else b.failover = !on;
      return;
    }
    case 'maxattempts': {
      const n = Number(value);
      // Apache counts failover attempts after the first; the routing file counts them all.
      if (Number.isInteger(n) && n >= 0) b.maxAttempts = Math.min(n + 1, 100);
      else findings.warn(line, `maxattempts=${value} is not a whole number; ignored`);
      return;
    }
    case 'scolonpathdelim':
      return; // ;jsessionid= in the path is always recognised
    case 'stickysessionsep':
      if (value !== '.')
        findings.warn(
          line,
          `stickysessionsep=${value}: route ids always follow a '.' here; ignored`,
        );
      return;
    case 'timeout':
      findings.warn(
        line,
        `balancer timeout=${value} waits for a free member in Apache; Switchyard does not queue requests (no usable member answers 503 at once); ignored`,
      );
      return;
    case 'growth':
      findings.warn(
        line,
        'growth: members can be added at any time in the Balancers view; ignored',
      );
      return;
    case 'nonce':
      return; // protects Apache's balancer-manager page, which Switchyard does not serve
    default:
      findings.warn(line, `balancer parameter ${key}=${value} is not supported; ignored`);
  }
}

export function balancerOf(draft: BalancerDraft, findings: Findings): BalancerResult | undefined {
  if (draft.members.length === 0) {
    findings.error(
      draft.source.line,
      `balancer://${draft.name} has no BalancerMember; add at least one backend URL`,
    );
    return undefined;
  }
  const members = draft.members.map((m) => memberOf(m, findings));
  const balancer: BalancerInput = {
    name: draft.name,
    members: members.map((m) => m.member),
  };
  for (const p of draft.params) applyParam(balancer, p.key, p.value, p.source.line, findings);

  const retries = [...new Set(members.map((m) => m.retry ?? 60))];
  // Apache's default retry is 60 s, as is Switchyard's.
  const retry = Math.max(...retries);
  if (retries.length > 1) {
    findings.warn(
      draft.source.line,
      `members of balancer ${draft.name} have different retry= values; the routing file has one per balancer: ${retry} s`,
    );
  }
  if (retry !== 60) balancer.retry = duration(retry);
  const health = healthCheckOf(draft, findings);
  if (health) balancer.healthCheck = health;

  if (balancer.stickySession !== undefined) {
    const taken = new Set(members.map((m) => m.member.route).filter((r) => r !== undefined));
    members.forEach((m, i) => {
      if (m.member.route !== undefined) return;
      let id = `m${i + 1}`;
      while (taken.has(id)) id += 'x';
      taken.add(id);
      m.member.route = id;
      findings.warn(
        draft.members[i]?.source.line,
        `BalancerMember ${m.member.url} has no route= but the balancer has stickysession; it gets route '${id}' (no session names it, so none sticks to it — as in Apache)`,
      );
    });
  }

  // The routing file reads best with the balancer's own settings before its members.
  const { members: list, ...settings } = balancer;
  const ordered: BalancerInput = { ...settings, members: list };
  const timeouts = members.map((m) => m.timeout).filter((t): t is number => t !== undefined);
  const result: BalancerResult = {
    balancer: ordered,
    comments: {
      balancer: [draft.source, ...draft.params.map((p) => p.source)].filter(
        (s, i, all) => all.findIndex((o) => o.line === s.line) === i,
      ),
      members: draft.members.map((m) => [m.source]),
    },
    websocket: members.some((m) => m.websocket),
  };
  if (timeouts.length > 0) result.memberTimeout = Math.max(...timeouts);
  return result;
}

/**
 * The ROUTEID recipe: a `Header add Set-Cookie "NAME=.%{BALANCER_WORKER_ROUTE}e"` line makes
 * every balancer whose stickysession is NAME set that cookie itself (stickyCookie).
 */
export function applyStickyCookies(
  recipes: readonly StickyCookieRecipe[],
  balancers: ReadonlyMap<string, BalancerResult>,
  findings: Findings,
): void {
  for (const recipe of recipes) {
    const using = [...balancers.values()].filter((b) => b.balancer.stickySession === recipe.cookie);
    if (using.length === 0) {
      findings.warn(
        recipe.source.line,
        `Header sets the route cookie ${recipe.cookie}, but no balancer has stickysession=${recipe.cookie}; ignored`,
      );
      continue;
    }
    for (const b of using) {
      b.balancer.stickyCookie = { path: recipe.path };
      b.comments.balancer.push(recipe.source);
    }
  }
}
