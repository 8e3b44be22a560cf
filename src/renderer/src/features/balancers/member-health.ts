/** How a member's health and error state read in the balancer table. */
import type { MemberStatus } from '../../stores/balancers.js';

export type HealthTone = 'success' | 'warning' | 'error' | 'default';

export interface HealthView {
  label: string;
  tone: HealthTone;
  /** Longer explanation (tooltip and screen readers). */
  detail: string;
}

export function memberHealth(member: MemberStatus, now: number): HealthView {
  const { stats } = member;
  // errorUntil: null means "until a health check passes" (Infinity has no JSON form).
  const inError = stats.errorUntil === null || stats.errorUntil > now;
  if (inError) {
    const until =
      stats.errorUntil === null
        ? 'until a health check passes'
        : `for ${Math.ceil((stats.errorUntil - now) / 1000)} s more`;
    return {
      label: 'In error',
      tone: 'error',
      detail: `Skipped ${until}${stats.errorReason ? `: ${stats.errorReason}` : ''}`,
    };
  }
  if (stats.health === 'healthy')
    return { label: 'Healthy', tone: 'success', detail: 'Health checks pass' };
  if (stats.health === 'unhealthy') {
    return {
      label: 'Unhealthy',
      tone: 'error',
      detail: stats.lastCheck?.detail ?? 'Health checks fail',
    };
  }
  return {
    label: 'Unknown',
    tone: 'default',
    detail: 'Not checked (no health check configured yet)',
  };
}

export function lastCheckText(member: MemberStatus, now: number): string {
  const check = member.stats.lastCheck;
  if (!check) return '—';
  const ago = Math.max(0, Math.round((now - check.at) / 1000));
  return `${check.ok ? 'passed' : 'failed'} ${ago < 1 ? 'just now' : `${ago} s ago`}`;
}
