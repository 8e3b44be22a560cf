import type { ExportPlan } from './plan.js';

export function exportHaproxy(_plan: ExportPlan): string {
  throw new Error('HAProxy export is being built');
}
