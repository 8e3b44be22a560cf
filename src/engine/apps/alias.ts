/**
 * An alias in the configuration: `{ name, port }` among the apps, for a port something
 * else serves. Adding one that exists moves it to the new port; an app with a command is
 * never turned into an alias.
 */
import { routingConfigSchema, type RoutingConfig } from '../../shared/config.js';

/** The configuration with the alias set (port) or removed (null); throws a sentence when it cannot. */
export function withAlias(config: RoutingConfig, name: string, port: number | null): RoutingConfig {
  const existing = config.apps.find((a) => a.name === name);
  if (existing?.command !== undefined)
    throw new Error(`'${name}' is an app with a command; choose another name for the alias`);
  if (port === null && !existing) throw new Error(`there is no alias named '${name}'`);
  const apps =
    port === null
      ? config.apps.filter((a) => a.name !== name)
      : existing
        ? config.apps.map((a) => (a.name === name ? { ...a, port } : a))
        : [...config.apps, { name, port }];
  const parsed = routingConfigSchema.safeParse({ ...config, apps });
  if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'not a valid alias');
  return parsed.data;
}
