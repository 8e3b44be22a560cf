/**
 * `apps:` in the routing file: what the schema accepts and the problems it reports, at the
 * line of the offending app.
 */
import { expect, it } from 'vitest';
import { formatProblems, parseRoutingText } from '../../../src/engine/config-file.js';

function problems(apps: string, extra = ''): string {
  const result = parseRoutingText(`version: 1\n${extra}apps:\n${apps}`, 'switchyard.yaml');
  return result.ok ? '' : formatProblems(result.problems);
}

it('accepts a command app and an alias, with their defaults', () => {
  const result = parseRoutingText(
    'version: 1\napps:\n  - name: api\n    command: npm run dev\n  - name: grafana\n    port: 3000\n',
    'switchyard.yaml',
  );
  expect(result.ok).toBe(true);
  if (!result.ok) return;
  expect(result.config.apps).toEqual([
    {
      name: 'api',
      command: 'npm run dev',
      env: {},
      autostart: true,
      restart: 'on-failure',
      portTimeout: '60s',
    },
    {
      name: 'grafana',
      port: 3000,
      env: {},
      autostart: true,
      restart: 'on-failure',
      portTimeout: '60s',
    },
  ]);
});

it('refuses a name that is not a DNS name, an app with nothing to run, and a duplicate', () => {
  expect(problems('  - name: My_App\n    port: 1\n')).toMatch(
    /apps\[0\]\.name.*must be a DNS name/,
  );
  expect(problems('  - name: empty\n')).toMatch(
    /apps\[0\].*needs a command to run, or a port that something already serves/,
  );
  expect(problems('  - name: api\n    port: 1\n  - name: api\n    port: 2\n')).toMatch(
    /apps\[1\]\.name.*'api' is already apps\[0\]/,
  );
});

it('refuses an app whose route or balancer name the file already uses', () => {
  const clash = problems(
    '  - name: shop\n    port: 3000\n',
    'balancers:\n  - name: shop.localhost\n    members: [{ url: "http://127.0.0.1:1" }]\n',
  );
  expect(clash).toMatch(/apps\[0\]\.name.*named shop\.localhost, and the file already has one/);
});
