// @vitest-environment happy-dom
/** Aliases from the Apps view: the form checks the name, adds through setAppAlias, and an alias row removes itself. */
import { flushPromises } from '@vue/test-utils';
import { expect, it } from 'vitest';
import AppsView from '../../../src/renderer/src/features/apps/AppsView.vue';
import { createFakeClient } from '../../support/fake-client.js';
import { mountWithClient } from '../../support/renderer-mount.js';

function el<T extends HTMLElement>(testId: string): T {
  const found = document.querySelector<T>(`[data-testid="${testId}"]`);
  if (!found) throw new Error(`no ${testId}`);
  return found;
}

async function type(testId: string, value: string): Promise<void> {
  const input = el<HTMLInputElement>(testId);
  input.value = value;
  input.dispatchEvent(new Event('input'));
  await flushPromises();
}

it('adds an alias with a valid name and removes it from its row', async () => {
  const client = createFakeClient();
  const wrapper = mountWithClient(AppsView, client);
  await flushPromises();
  // Reachable from the empty state: an alias may be the first app.
  el('apps-empty');
  el('apps-add-alias').click();
  await flushPromises();
  await type('apps-alias-name', 'Bad Name');
  expect(el('apps-alias-problem').textContent).toContain('must be a DNS name');
  expect(el<HTMLButtonElement>('apps-alias-add').disabled).toBe(true);
  await type('apps-alias-name', 'grafana');
  await type('apps-alias-port', '3000');
  el<HTMLInputElement>('apps-alias-port').dispatchEvent(new Event('blur'));
  await flushPromises();
  el('apps-alias-add').click();
  await flushPromises();
  expect(client.callsOf('setAppAlias')).toEqual([['grafana', 3000]]);
  el('app-remove-alias-grafana').click();
  await flushPromises();
  expect(client.callsOf('setAppAlias')).toEqual([
    ['grafana', 3000],
    ['grafana', null],
  ]);
  expect(document.querySelector('[data-testid="app-row-grafana"]')).toBeNull();
  wrapper.unmount();
});
