/**
 * `switchyard export apache|nginx|caddy|haproxy|kubernetes`: a routing file → an
 * equivalent configuration for that server, for when a setup outgrows one laptop. Each exporter documents in the
 * output itself where the server has no exact equivalent.
 */
import type { RoutingConfig } from '../../shared/config.js';
import { exportApache } from './apache.js';
import { exportCaddy } from './caddy.js';
import { exportHaproxy } from './haproxy.js';
import { exportKubernetes } from './kubernetes.js';
import { exportNginx } from './nginx.js';
import { planExport, type ExportOptions, type ExportPlan, type ExportTarget } from './plan.js';

export { EXPORT_TARGETS, type ExportOptions, type ExportTarget } from './plan.js';

const EXPORTERS = {
  apache: exportApache,
  nginx: exportNginx,
  caddy: exportCaddy,
  haproxy: exportHaproxy,
  kubernetes: exportKubernetes,
} satisfies Record<ExportTarget, (plan: ExportPlan) => string>;

export function exportConfig(
  target: ExportTarget,
  config: RoutingConfig,
  options: ExportOptions,
): string {
  return EXPORTERS[target](planExport(config, options));
}
