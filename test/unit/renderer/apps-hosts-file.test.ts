// @vitest-environment happy-dom
/** The Apps view's hosts-file sync: asks the API, says what happened, shows a command to run. */
import { flushPromises } from '@vue/test-utils';
import { expect, it } from 'vitest';
import HostsFileSync from '../../../src/renderer/src/features/apps/HostsFileSync.vue';
import { createFakeClient } from '../../support/fake-client.js';
import { mountWithClient } from '../../support/renderer-mount.js';

function click(testId: string): void {
  const element = document.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
  if (!element) throw new Error(`no ${testId}`);
  element.click();
}

it('writes the lines through syncHostsFile and shows the command the user must run', async () => {
  const client = createFakeClient();
  client.respond('syncHostsFile', () => ({
    ok: false,
    message: '/etc/hosts needs administrator rights',
    commands: ['sudo cp /data/hosts.switchyard /etc/hosts'],
  }));
  const wrapper = mountWithClient(HostsFileSync, client);
  click('apps-hosts-file');
  await flushPromises();
  click('apps-hosts-sync');
  await flushPromises();
  expect(client.callsOf('syncHostsFile')).toEqual([[true]]);
  expect(document.querySelector('[data-testid="apps-hosts-commands"]')?.textContent).toContain(
    'sudo cp /data/hosts.switchyard /etc/hosts',
  );
  expect(document.body.textContent).toContain('/etc/hosts needs administrator rights');
  click('apps-hosts-remove');
  await flushPromises();
  expect(client.callsOf('syncHostsFile')).toEqual([[true], [false]]);
  wrapper.unmount();
});
