// @vitest-environment happy-dom
/**
 * The Routes view's Import / export tab as a user works it: an Apache configuration
 * pasted or opened, previewed (the YAML, and the warnings or errors at their Apache
 * lines), then loaded into the draft or applied (validateConfig, then applyConfig, and
 * never before the button); the configuration in force shown as each server's
 * configuration, copied and saved under that server's file name.
 */
import { DOMWrapper } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConfigProblem } from '../../../src/shared/api.js';
import type { RoutingConfig } from '../../../src/shared/config.js';
import ImportExportPanel from '../../../src/renderer/src/features/routes/ImportExportPanel.vue';
import RoutesView from '../../../src/renderer/src/features/routes/RoutesView.vue';
import { useConfigStore } from '../../../src/renderer/src/stores/config.js';
import type { FakeClient } from '../../support/fake-client.js';
import { fakeFor, mountWith, sampleConfig, settle } from './routes-mount.js';

// Vue Flow (the Routes view's map) measures its container, which happy-dom does not lay
// out; its warnings about that are expected where the whole view is mounted.
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (String(args[0]).startsWith('[Vue Flow]')) return;
  warn(...args);
};

let unmount: (() => void) | undefined;
afterEach(() => {
  unmount?.();
  unmount = undefined;
  document.body.innerHTML = '';
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

const APACHE = [
  'Listen 127.0.0.1:8088',
  'ProxyPreserveHost On',
  'ProxyPass /api/ http://127.0.0.1:4000/',
  'RewriteEngine On',
  'RewriteRule ^/old /new [R]',
].join('\n');

const YAML = [
  '# Switchyard routing file imported from httpd.conf',
  'version: 1',
  'listeners:',
  '  # httpd.conf:1 Listen 127.0.0.1:8088',
  '  - name: http-8088',
  '    port: 8088',
  '    address: 127.0.0.1',
  'routes:',
  '  - name: api',
  '    match:',
  '      path: /api/',
  '    to: http://127.0.0.1:4000/',
  '',
].join('\n');

const IMPORTED = sampleConfig({
  listeners: [{ name: 'http-8088', port: 8088, address: '127.0.0.1' }],
  routes: [{ name: 'api', match: { path: '/api/' }, to: 'http://127.0.0.1:4000/' }],
  balancers: [],
}) as RoutingConfig;

function warning(line: number, message: string): ConfigProblem {
  return { file: 'httpd.conf', line, column: 1, path: '', message };
}

/** A fake engine whose import of APACHE gives YAML with two warnings, and whose check passes. */
function importingClient(): FakeClient {
  const client = fakeFor();
  client.respond('importApache', () => ({
    ok: true,
    yaml: YAML,
    problems: [
      warning(4, 'RewriteEngine: mod_rewrite is not supported; ignored'),
      warning(5, 'RewriteRule: mod_rewrite is not supported; ignored'),
    ],
  }));
  client.data.validation = { ok: true, problems: [], config: structuredClone(IMPORTED) };
  return client;
}

async function open(client: FakeClient = importingClient()) {
  const wrapper = mountWith(ImportExportPanel, client);
  unmount = () => wrapper.unmount();
  const store = useConfigStore();
  await store.refresh();
  await settle();
  return { wrapper, client, store };
}

function text(): string {
  return document.body.textContent ?? '';
}

/** The button whose accessible name (aria-label, else text) is `name`. */
function button(name: string, within: ParentNode = document.body): HTMLButtonElement {
  const all = [...within.querySelectorAll('button')];
  const found = all.find((b) => (b.getAttribute('aria-label') ?? b.textContent?.trim()) === name);
  if (!found) {
    const names = all.map((b) => b.getAttribute('aria-label') ?? b.textContent?.trim());
    throw new Error(`no button ${name} among: ${names.join(' | ')}`);
  }
  return found;
}

async function click(name: string): Promise<void> {
  button(name).click();
  await settle();
}

function source() {
  return new DOMWrapper(document.body).get<HTMLTextAreaElement>(
    'textarea[aria-label="Apache configuration"]',
  );
}

async function paste(value: string): Promise<void> {
  await source().setValue(value);
  await settle();
}

function yamlPreview(): HTMLElement | null {
  return document.querySelector<HTMLElement>('pre.yaml');
}

function problemList(label: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`ul[aria-label="${label}"]`);
}

describe('the Import / export tab', () => {
  it('is a tab of the Routes view', async () => {
    const client = importingClient();
    const wrapper = mountWith(RoutesView, client);
    unmount = () => wrapper.unmount();
    await settle();
    const tab = [...document.querySelectorAll<HTMLElement>('[role="tab"]')].find(
      (t) => t.textContent?.trim() === 'Import / export',
    );
    expect(tab).toBeDefined();
    tab?.click();
    await settle();
    expect(tab?.getAttribute('aria-selected')).toBe('true');
    const panel = document.querySelector('[role="tabpanel"]');
    expect(panel?.textContent).toContain('Import an Apache configuration');
    expect(panel?.textContent).toContain('Export for another server');
  });
});

describe('Apache import', () => {
  it('previews the YAML and the warnings at their Apache lines, changing nothing', async () => {
    const { client } = await open();
    expect(button('Preview').disabled).toBe(true);
    expect(button('Apply imported configuration').disabled).toBe(true);
    await paste(APACHE);
    await click('Preview');

    expect(client.callsOf('importApache')).toEqual([[APACHE]]);
    const pre = yamlPreview();
    expect(pre?.textContent).toContain('path: /api/');
    expect(pre?.textContent).toContain('# httpd.conf:1 Listen 127.0.0.1:8088');
    // Read-only: no control to type in; one line per YAML line, numbered by the gutter.
    expect(pre?.querySelectorAll('.yaml-line')).toHaveLength(YAML.split('\n').length - 1);
    expect(text()).toContain('Imported, with 2 warnings');

    const warnings = problemList('Import warnings');
    expect(warnings?.textContent).toContain('Warning');
    expect(warnings?.textContent).toContain('line 4');
    expect(warnings?.textContent).toContain('RewriteRule: mod_rewrite is not supported');
    // Warnings are not errors: the Apache text's gutter marks no line as bad.
    expect(document.querySelector('.line-number.bad')).toBeNull();
    await click('Go to Apache line 5');
    expect(source().element.selectionStart).toBe(APACHE.indexOf('RewriteRule'));

    // Nothing is checked or applied by a preview.
    expect(client.callsOf('validateConfig')).toEqual([]);
    expect(client.callsOf('applyConfig')).toEqual([]);
    expect(button('Apply imported configuration').disabled).toBe(false);
    expect(button('Load into draft').disabled).toBe(false);
  });

  it('shows errors at their lines and blocks apply', async () => {
    const client = importingClient();
    client.respond('importApache', () => ({
      ok: false,
      yaml: '',
      problems: [
        { file: 'httpd.conf', line: 2, path: '', message: '<VirtualHost> is never closed' },
      ],
    }));
    await open(client);
    await paste('Listen 8080\n<VirtualHost *:8080>\nProxyPass / http://127.0.0.1:3000/\n');
    await click('Preview');

    expect(text()).toContain('Cannot be imported: 1 error.');
    const errors = problemList('Import errors');
    expect(errors?.textContent).toContain('Error');
    expect(errors?.textContent).toContain('<VirtualHost> is never closed');
    expect(document.querySelector('.line-number.bad')?.textContent?.trim()).toBe('2');
    expect(source().element.getAttribute('aria-invalid')).toBe('true');
    expect(yamlPreview()).toBeNull();
    expect(text()).toContain('fix the errors in the Apache configuration');
    expect(button('Apply imported configuration').disabled).toBe(true);
    expect(button('Load into draft').disabled).toBe(true);
    await click('Go to Apache line 2');
    expect(source().element.selectionStart).toBe('Listen 8080\n'.length);
  });

  it('applies: the YAML checked by validateConfig, then the parsed config applied', async () => {
    const { client, store } = await open();
    await paste(APACHE);
    await click('Preview');
    await click('Apply imported configuration');

    expect(client.callsOf('validateConfig')).toEqual([[YAML]]);
    const applied = client.callsOf('applyConfig');
    expect(applied).toHaveLength(1);
    expect(applied[0]?.[0]).toEqual(IMPORTED);
    expect(store.applied?.routes.map((r) => r.name)).toEqual(['api']);
    expect(store.dirty).toBe(false);
    expect(text()).toContain('The imported configuration is in force.');
    // Done with this preview: applying it twice would change nothing.
    expect(button('Apply imported configuration').disabled).toBe(true);
    expect(button('Load into draft').disabled).toBe(true);
    // One undo step brings back the previous draft.
    store.undo();
    expect(store.draft?.routes.map((r) => r.name)).toEqual(['app', 'api', 'rest']);
  });

  it('does not apply YAML the engine refuses, and shows its problems', async () => {
    const client = importingClient();
    client.data.validation = {
      ok: false,
      problems: [
        {
          file: 'switchyard.yaml',
          line: 12,
          path: 'routes[0].to',
          message: 'must be an http(s) URL',
        },
      ],
    };
    await open(client);
    await paste(APACHE);
    await click('Preview');
    await click('Apply imported configuration');

    expect(client.callsOf('validateConfig')).toHaveLength(1);
    expect(client.callsOf('applyConfig')).toEqual([]);
    expect(text()).toContain(
      'The engine refused the imported YAML (1 problem); nothing was applied.',
    );
    const problems = problemList('Problems in the imported YAML');
    expect(problems?.textContent).toContain('line 12');
    expect(problems?.textContent).toContain('routes[0].to:');
    expect(document.querySelector('.yaml-line.bad')?.textContent).toContain(
      'to: http://127.0.0.1:4000/',
    );
  });

  it('says why when the engine cannot apply it', async () => {
    const client = importingClient();
    client.respond('applyConfig', () => {
      throw new Error('listener http-8088: 127.0.0.1:8088 is in use');
    });
    await open(client);
    await paste(APACHE);
    await click('Preview');
    await click('Apply imported configuration');
    expect(text()).toContain('Not applied: listener http-8088: 127.0.0.1:8088 is in use');
    expect(text()).not.toContain('The imported configuration is in force.');
  });

  it('loads it into the draft without applying it', async () => {
    const { client, store } = await open();
    await paste(APACHE);
    await click('Preview');
    await click('Load into draft');

    expect(client.callsOf('validateConfig')).toEqual([[YAML]]);
    expect(client.callsOf('applyConfig')).toEqual([]);
    expect(store.draft?.routes.map((r) => r.name)).toEqual(['api']);
    expect(store.dirty).toBe(true);
    expect(text()).toContain('The imported configuration is now the draft');
  });

  it('asks for a new preview when the text changes after one', async () => {
    const { client } = await open();
    await paste(APACHE);
    await click('Preview');
    await paste(`${APACHE}\nProxyPass /b http://127.0.0.1:5000/`);
    expect(text()).toContain('The Apache configuration changed since this preview.');
    expect(button('Apply imported configuration').disabled).toBe(true);
    expect(button('Load into draft').disabled).toBe(true);
    await click('Preview');
    expect(client.callsOf('importApache')).toHaveLength(2);
    expect(button('Apply imported configuration').disabled).toBe(false);
  });

  it('opens a file with FileReader, then previews it', async () => {
    const { client } = await open();
    const input = document.querySelector<HTMLInputElement>('input[type="file"]');
    expect(input?.getAttribute('aria-label')).toBe('Apache configuration file');
    // The visible control is the button; it opens the native picker.
    const picked = vi.spyOn(input!, 'click').mockImplementation(() => {});
    await click('Open file…');
    expect(picked).toHaveBeenCalled();

    const file = new File([APACHE], 'site.conf', { type: 'text/plain' });
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    input!.dispatchEvent(new Event('change'));
    await vi.waitFor(() => expect(source().element.value).toBe(APACHE));
    await settle();
    expect(text()).toContain('site.conf');
    await click('Preview');
    expect(client.callsOf('importApache')).toEqual([[APACHE]]);
  });
});

describe('export for another server', () => {
  async function showFor(label: string): Promise<void> {
    const radio = [...document.querySelectorAll<HTMLInputElement>('input[type="radio"]')].find(
      (r) => r.closest('label')?.textContent?.trim() === label,
    );
    if (!radio) throw new Error(`no radio ${label}`);
    radio.click();
    await settle();
  }

  function exported(): HTMLElement | null {
    return document.querySelector<HTMLElement>('pre.exported');
  }

  it('shows the configuration in force as each server’s configuration', async () => {
    const client = importingClient();
    client.respond('exportConfig', (server) => `# for ${server}\nproxy_pass etc\n`);
    await open(client);
    const group = document.querySelector('[role="radiogroup"]');
    const labelId = group?.getAttribute('aria-labelledby');
    expect(labelId && document.getElementById(labelId)?.textContent).toBe('Server');
    expect(button('Copy').disabled).toBe(true);
    expect(button('Save').disabled).toBe(true);

    await click('Show');
    expect(client.callsOf('exportConfig')).toEqual([['apache']]);
    expect(exported()?.textContent).toBe('# for apache\nproxy_pass etc\n');
    expect(exported()?.getAttribute('aria-label')).toBe('Apache httpd configuration');

    // Once shown, the text follows the server chosen.
    await showFor('nginx');
    expect(exported()?.textContent).toContain('# for nginx');
    await showFor('Caddy');
    expect(exported()?.textContent).toContain('# for caddy');
    expect(exported()?.getAttribute('aria-label')).toBe('Caddy configuration');
    await showFor('HAProxy');
    expect(exported()?.textContent).toContain('# for haproxy');
    await showFor('Kubernetes Gateway API');
    expect(exported()?.textContent).toContain('# for kubernetes');
    expect(exported()?.getAttribute('aria-label')).toBe('Kubernetes Gateway API configuration');
    expect(client.callsOf('exportConfig')).toEqual([
      ['apache'],
      ['nginx'],
      ['caddy'],
      ['haproxy'],
      ['kubernetes'],
    ]);
  });

  it('shows the configuration in force again when it changes', async () => {
    const { client, store } = await open();
    await click('Show');
    expect(client.callsOf('exportConfig')).toHaveLength(1);
    store.deleteRoute(2);
    await store.apply();
    await settle();
    expect(client.callsOf('exportConfig')).toHaveLength(2);
  });

  it('says when the draft has changes the export leaves out', async () => {
    const { store } = await open();
    expect(text()).not.toContain('unapplied draft changes are not included');
    store.deleteRoute(2);
    await settle();
    expect(text()).toContain('Your unapplied draft changes are not included.');
  });

  it('copies the text', async () => {
    const client = importingClient();
    client.respond('exportConfig', () => 'server { proxy_pass http://127.0.0.1:3000; }\n');
    await open(client);
    await showFor('nginx');
    await click('Show');
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await click('Copy the nginx configuration');
    expect(writeText).toHaveBeenCalledWith('server { proxy_pass http://127.0.0.1:3000; }\n');
    expect(button('Copy the nginx configuration').textContent?.trim()).toBe('Copied');
    expect(document.querySelector('[role="status"].sr-status')?.textContent).toContain(
      'Copied to the clipboard.',
    );
  });

  it('selects the text for Ctrl+C when the clipboard is refused', async () => {
    await open();
    await click('Show');
    const writeText = vi.fn(async () => {
      throw new Error('denied');
    });
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await click('Copy the Apache httpd configuration');
    expect(button('Copy the Apache httpd configuration').textContent?.trim()).toBe('Press Ctrl+C');
    expect(window.getSelection()?.toString()).toBe('# apache configuration\n');
  });

  it('saves the text under the name each server expects', async () => {
    await open();
    const created: Blob[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      created.push(blob as Blob);
      return 'blob:export';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicked.push(this.download);
    });

    await click('Show');
    await click('Save as httpd-switchyard.conf');
    await showFor('nginx');
    await click('Save as nginx-switchyard.conf');
    await showFor('Caddy');
    await click('Save as Caddyfile');

    expect(clicked).toEqual(['httpd-switchyard.conf', 'nginx-switchyard.conf', 'Caddyfile']);
    expect(await Promise.all(created.map((b) => b.text()))).toEqual([
      '# apache configuration\n',
      '# nginx configuration\n',
      '# caddy configuration\n',
    ]);
  });

  it('shows why an export failed', async () => {
    const client = importingClient();
    client.respond('exportConfig', () => {
      throw new Error('caddy: cannot export a TLS listener without a hostname');
    });
    await open(client);
    await click('Show');
    expect(text()).toContain('caddy: cannot export a TLS listener without a hostname');
    expect(exported()).toBeNull();
  });
});
