/**
 * Apps for the renderer's apps tests: an app and its instances with plausible defaults,
 * and output lines numbered in order.
 */
import type { AppInstanceStatus, AppLogLine, AppStatus } from '../../../src/shared/apps.js';

type AppInput = Partial<Omit<AppStatus, 'instances'>> & {
  name: string;
  instances?: Partial<AppInstanceStatus>[];
};

export function fakeApp({ name, instances, ...rest }: AppInput): AppStatus {
  const state = rest.state ?? instances?.[0]?.state ?? 'stopped';
  return {
    name,
    host: `${name}.localhost`,
    urls: [`https://${name}.localhost:8443`, `http://${name}.localhost:8080`],
    inFile: true,
    command: 'npm run dev',
    ...rest,
    state,
    instances: (instances ?? [{ state }]).map((i, n) => ({
      id: `${name}#${n + 1}`,
      source: 'file',
      state,
      restarts: 0,
      ...i,
    })),
  };
}

let at = Date.UTC(2025, 0, 15, 9, 30, 0);

export function fakeLines(
  texts: readonly string[],
  options: { from?: number; stream?: AppLogLine['stream']; instance?: string } = {},
): AppLogLine[] {
  const from = options.from ?? 1;
  return texts.map((text, n) => ({
    seq: from + n,
    at: at++,
    instance: options.instance ?? 'app#1',
    stream: options.stream ?? 'out',
    text,
  }));
}
