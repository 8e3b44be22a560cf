import type { ExportPlan } from './plan.js';

export function exportKubernetes(_plan: ExportPlan): string {
  throw new Error('Kubernetes export is being built');
}
