/**
 * Active health checks (mod_proxy_hcheck): every `interval`, each member of a balancer
 * with a `healthCheck` gets one request; `passes` consecutive successes make it healthy
 * (and end an error state), `fails` consecutive failures put it in error until it passes
 * again. Checks run on their own connections, never through the proxy's pool.
 */
import http from 'node:http';
import https from 'node:https';
import type { HealthCheckConfig } from '../../shared/config.js';
import { parseDuration } from '../../shared/duration.js';
import type { Balancer, Member } from './balancer.js';
import type { Health } from './member-stats.js';

export interface HealthChange {
  balancer: string;
  member: string;
  health: Health;
  detail: string;
}

interface Check {
  balancer: string;
  member: Member;
  config: HealthCheckConfig;
  timer?: NodeJS.Timeout;
  request?: http.ClientRequest;
}

function inRange(status: number, expect: string): boolean {
  const [low = '200', high = low] = expect.split('-');
  return status >= Number(low) && status <= Number(high);
}

export class HealthChecker {
  readonly #onChange: (change: HealthChange) => void;
  #checks = new Map<string, Check>();

  constructor(onChange: (change: HealthChange) => void) {
    this.#onChange = onChange;
  }

  /** Run exactly the checks these balancers ask for; unchanged checks keep their rhythm. */
  update(balancers: readonly Balancer[]): void {
    const next = new Map<string, Check>();
    for (const b of balancers) {
      const hc = b.config.healthCheck;
      if (!hc) continue;
      for (const member of b.members) {
        const key = `${b.name}|${member.label}|${JSON.stringify(hc)}`;
        const existing = this.#checks.get(key);
        if (existing) {
          existing.member = member;
          next.set(key, existing);
        } else {
          const check: Check = { balancer: b.name, member, config: hc };
          next.set(key, check);
          this.#schedule(check, 0);
        }
      }
    }
    for (const [key, check] of this.#checks) if (!next.has(key)) this.#cancel(check);
    this.#checks = next;
  }

  stop(): void {
    for (const check of this.#checks.values()) this.#cancel(check);
    this.#checks.clear();
  }

  #cancel(check: Check): void {
    clearTimeout(check.timer);
    check.request?.destroy();
    delete check.timer;
  }

  #schedule(check: Check, delayMs: number): void {
    check.timer = setTimeout(() => this.#run(check), delayMs);
    check.timer.unref();
  }

  #run(check: Check): void {
    const { member, config } = check;
    const url = new URL(config.path, `${member.target.origin}/`);
    const client = url.protocol === 'https:' ? https : http;
    const timeoutMs = parseDuration(config.timeout) ?? 2_000;
    let settled = false;
    const done = (ok: boolean, detail: string): void => {
      if (settled) return;
      settled = true;
      delete check.request;
      this.#record(check, ok, detail);
      if (check.timer !== undefined) this.#schedule(check, parseDuration(config.interval) ?? 5_000);
    };
    const req = client.request(
      url,
      { method: config.method, agent: false, timeout: timeoutMs },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        done(inRange(status, config.expect), `${config.method} ${config.path} answered ${status}`);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${config.timeout}`)));
    req.on('error', (error: NodeJS.ErrnoException) =>
      done(false, `${config.method} ${config.path} failed: ${error.code ?? error.message}`),
    );
    check.request = req;
    req.end();
  }

  #record(check: Check, ok: boolean, detail: string): void {
    const { stats } = check.member;
    stats.lastCheck = { at: Date.now(), ok, detail };
    if (ok) {
      stats.consecutivePasses++;
      stats.consecutiveFails = 0;
      if (stats.consecutivePasses >= check.config.passes && stats.health !== 'healthy') {
        stats.health = 'healthy';
        stats.errorUntil = 0;
        delete stats.errorReason;
        this.#onChange({
          balancer: check.balancer,
          member: check.member.label,
          health: 'healthy',
          detail,
        });
      }
    } else {
      stats.consecutiveFails++;
      stats.consecutivePasses = 0;
      if (stats.consecutiveFails >= check.config.fails && stats.health !== 'unhealthy') {
        stats.health = 'unhealthy';
        stats.errorUntil = Infinity;
        stats.errorReason = `health check: ${detail}`;
        this.#onChange({
          balancer: check.balancer,
          member: check.member.label,
          health: 'unhealthy',
          detail,
        });
      }
    }
  }
}
