/**
 * Active health checks (mod_proxy_hcheck): every `interval`, each member of a balancer
 * with a `healthCheck` gets one request; `passes` consecutive successes make it healthy
 * (and end an error state), `fails` consecutive failures put it in error until it passes
 * again. Checks run on their own connections, never through the proxy's pool.
 */
import http from 'node:http';
import http2 from 'node:http2';
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
  request?: { destroy(): void };
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
    const { target } = member;
    const url = new URL(config.path, `${target.secure ? 'https' : 'http'}://${target.host}/`);
    const client = target.secure ? https : http;
    const timeoutMs = parseDuration(config.timeout) ?? 2_000;
    let settled = false;
    const done = (ok: boolean, detail: string): void => {
      if (settled) return;
      settled = true;
      delete check.request;
      this.#record(check, ok, detail);
      if (check.timer !== undefined) this.#schedule(check, parseDuration(config.interval) ?? 5_000);
    };
    if (target.http2) {
      check.request = probeHttp2(url, config.method, timeoutMs, (status, error) =>
        error === undefined
          ? done(
              inRange(status, config.expect),
              `${config.method} ${config.path} answered ${status}`,
            )
          : done(false, `${config.method} ${config.path} failed: ${error}`),
      );
      return;
    }
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

/** One health check over HTTP/2 (h2c or h2 members), on a session of its own. */
function probeHttp2(
  url: URL,
  method: string,
  timeoutMs: number,
  done: (status: number, error?: string) => void,
): { destroy(): void } {
  let settled = false;
  const session = http2.connect(url.origin);
  const finish = (status: number, error?: string): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    session.destroy();
    done(status, error);
  };
  const timer = setTimeout(() => finish(0, `no answer within ${timeoutMs} ms`), timeoutMs);
  session.on('error', (error: NodeJS.ErrnoException) => finish(0, error.code ?? error.message));
  const stream = session.request(
    { ':method': method, ':path': url.pathname + url.search },
    { endStream: true },
  );
  stream.on('response', (headers) => finish(Number(headers[':status'] ?? 0)));
  stream.on('error', (error: NodeJS.ErrnoException) => finish(0, error.code ?? error.message));
  stream.on('close', () => finish(0, 'the stream closed without an answer'));
  stream.resume();
  return {
    destroy: () => {
      // Cancelled (the checker stopped or the configuration changed): nothing to record.
      settled = true;
      clearTimeout(timer);
      session.destroy();
    },
  };
}
