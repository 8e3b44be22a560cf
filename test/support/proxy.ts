/**
 * A running engine for tests, configured from a plain routing-file object (defaults
 * filled by the shared schema), with one-line helpers to reach its listeners.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { routingConfigSchema, type RoutingConfigInput } from '../../src/shared/config.js';

export interface RunningProxy {
  engine: Engine;
  /** Port of the listener with this name (the first listener when omitted). */
  port(name?: string): number;
  url(name?: string): string;
  apply(config: Omit<RoutingConfigInput, 'version'>): Promise<void>;
  close(): Promise<void>;
}

export function parseConfig(config: Omit<RoutingConfigInput, 'version'>) {
  return routingConfigSchema.parse({ version: 1, ...config });
}

export async function startProxy(
  config: Omit<RoutingConfigInput, 'version'>,
  dataDir?: string,
): Promise<RunningProxy> {
  const engine = new Engine({
    dataDir: dataDir ?? (await mkdtemp(join(tmpdir(), 'switchyard-test-'))),
  });
  await engine.apply(parseConfig(config));
  const find = (name?: string) => {
    const all = engine.listeners();
    const l = name === undefined ? all[0] : all.find((x) => x.name === name);
    if (!l) throw new Error(`no listener ${name ?? '(first)'}`);
    return l;
  };
  return {
    engine,
    port: (name) => find(name).port,
    url: (name) => find(name).url,
    apply: async (next) => {
      await engine.apply(parseConfig(next));
    },
    close: () => engine.close({ graceMs: 1_000 }),
  };
}
