/**
 * `<Proxy balancer://NAME>`, BalancerMember and ProxySet → the model's balancer drafts. A
 * balancer may be defined in pieces (a section here, a ProxySet naming it there); the
 * drafts join them, and a name used in two virtual hosts is reported once.
 */
import type { Findings } from './findings.js';
import type { ApacheModel, BalancerDraft, Scope, Source } from './model.js';
import type { Directive } from './parse.js';
import { keyValues } from './values.js';

/** Where a BalancerMember or ProxySet line stands. */
export interface BalancerPlace {
  place: string;
  scope: Scope;
  /** The enclosing `<Proxy balancer://NAME>`, if any. */
  balancer?: BalancerDraft;
}

function sourceOf(d: Directive): Source {
  return { line: d.line, text: d.text };
}

export class BalancerCollector {
  readonly #model: ApacheModel;
  readonly #findings: Findings;

  constructor(model: ApacheModel, findings: Findings) {
    this.#model = model;
    this.#findings = findings;
  }

  #warn(d: Directive, message: string): void {
    this.#findings.warn(d.line, message);
  }

  /** The draft of balancer NAME, made on first use. */
  draft(name: string, d: Directive, scope: Scope): BalancerDraft {
    const key = name.toLowerCase();
    let draft = this.#model.balancers.get(key);
    if (!draft) {
      draft = { name, source: sourceOf(d), members: [], params: [], scopes: new Set() };
      this.#model.balancers.set(key, draft);
    } else if (!draft.scopes.has(scope.index)) {
      this.#warn(
        d,
        `balancer://${name} is also defined on line ${draft.source.line} in another virtual host; the routing file has one balancer per name, so their members are joined`,
      );
    }
    draft.scopes.add(scope.index);
    return draft;
  }

  /**
   * The balancer a BalancerMember or ProxySet line is about: the enclosing
   * `<Proxy balancer://NAME>`, or one the line names first (which is taken off `args`).
   */
  #targetBalancer(d: Directive, ctx: BalancerPlace, args: string[], misplaced: string) {
    if (ctx.balancer) return ctx.balancer;
    const named = /^balancer:\/\/([^/]+)\/?$/i.exec(args[0] ?? '');
    if (!named || (ctx.place !== 'server' && ctx.place !== 'vhost')) {
      this.#warn(d, misplaced);
      return undefined;
    }
    args.shift();
    return this.draft(named[1] as string, d, ctx.scope);
  }

  member(d: Directive, ctx: BalancerPlace): void {
    const args = [...d.args];
    const draft = this.#targetBalancer(
      d,
      ctx,
      args,
      'BalancerMember belongs in <Proxy balancer://NAME> or names its balancer first; ignored',
    );
    if (!draft) return;
    const url = args.shift();
    if (url === undefined) {
      this.#warn(d, 'BalancerMember needs a backend URL; ignored');
      return;
    }
    const { params, flags } = keyValues(args);
    for (const flag of flags)
      this.#warn(d, `BalancerMember: '${flag}' is not a key=value parameter; ignored`);
    draft.members.push({ url, params, source: sourceOf(d) });
  }

  proxySet(d: Directive, ctx: BalancerPlace): void {
    const args = [...d.args];
    const draft = this.#targetBalancer(
      d,
      ctx,
      args,
      'ProxySet is read for balancers only (inside <Proxy balancer://NAME> or as ProxySet balancer://NAME …); ignored',
    );
    if (!draft) return;
    const { params, flags } = keyValues(args);
    for (const flag of flags)
      this.#warn(d, `ProxySet: '${flag}' is not a key=value parameter; ignored`);
    for (const [key, value] of params) draft.params.push({ key, value, source: sourceOf(d) });
  }
}
