/**
 * Whether the engine runs the first-launch demo (src/engine/demo.ts). The API has no flag
 * for it yet, so this infers it: no routing file behind the configuration, and the demo's
 * balancer name. Keep the inference here, in one place, so a future `status.demo` flag
 * replaces one line.
 */
import type { EngineStatus } from '../../../../shared/api.js';
import type { RoutingConfig } from '../../../../shared/config.js';

/** The balancer name src/engine/demo.ts uses (kept in sync by the demo's test). */
export const DEMO_BALANCER = 'demo';

export function isDemo(
  status: Pick<EngineStatus, 'configPath'> | undefined,
  config: Pick<RoutingConfig, 'balancers'> | undefined,
): boolean {
  if (!status || !config) return false;
  return status.configPath === undefined && config.balancers.some((b) => b.name === DEMO_BALANCER);
}
