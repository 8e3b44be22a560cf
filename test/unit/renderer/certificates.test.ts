// @vitest-environment happy-dom
/**
 * The Certificates view and its store: the CA's identity and constraints, trust per
 * store, trust/untrust with the host's message and the sudo commands to copy, PEM export
 * as a download, issued leaves, and the missing-names warning with its remedy.
 */
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CaStatus } from '../../../src/shared/api.js';
import { PROXY_CLIENT_KEY } from '../../../src/renderer/src/api/inject.js';
import CertificatesView from '../../../src/renderer/src/features/certificates/CertificatesView.vue';
import { describeRemaining } from '../../../src/renderer/src/features/certificates/validity.js';
import { useCertificatesStore } from '../../../src/renderer/src/stores/certificates.js';
import { createFakeClient, type FakeClient } from '../../support/fake-client.js';

const DAY = 86_400_000;
const NOW = Date.now();

function caStatus(overrides: Partial<CaStatus> = {}): CaStatus {
  return {
    exists: true,
    path: '/data/ca/ca.pem',
    fingerprint: 'AB:CD:EF:01',
    subject: 'CN=Switchyard Local CA (me@laptop)',
    notBefore: NOW - 10 * DAY,
    notAfter: NOW + 3650 * DAY,
    permitted: ['localhost', '.localhost', '.test', '127.0.0.1/32'],
    stores: [
      {
        name: 'NSS (Chrome, Firefox)',
        scope: 'user',
        trusted: true,
        detail: 'in ~/.pki/nssdb',
        installCommands: [],
      },
      {
        name: 'Linux CA certificates',
        scope: 'system',
        trusted: false,
        detail: 'not in /usr/local/share/ca-certificates',
        installCommands: [
          ['cp', '/data/ca/ca.pem', '/usr/local/share/ca-certificates/switchyard.crt'],
          ['update-ca-certificates'],
        ],
      },
    ],
    issued: [{ hostname: 'app.localhost', notAfter: NOW + 20 * DAY, fingerprint: '11:22:33' }],
    missingNames: [],
    nodeHint: 'NODE_EXTRA_CA_CERTS=/data/ca/ca.pem',
    ...overrides,
  };
}

let unmount: (() => void) | undefined;
afterEach(() => {
  unmount?.();
  document.body.innerHTML = '';
  vi.restoreAllMocks();
});

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}

async function open(
  ca: CaStatus = caStatus(),
): Promise<{ client: FakeClient; text: () => string }> {
  const client = createFakeClient({ ca });
  const pinia = createPinia();
  setActivePinia(pinia);
  const wrapper = mount(CertificatesView, {
    attachTo: document.body,
    global: { plugins: [pinia], provide: { [PROXY_CLIENT_KEY as symbol]: client } },
  });
  unmount = () => wrapper.unmount();
  await settle();
  return { client, text: () => document.body.textContent ?? '' };
}

function button(name: string): HTMLButtonElement {
  const found = [...document.querySelectorAll('button')].find(
    (b) => (b.getAttribute('aria-label') ?? b.textContent?.trim()) === name,
  );
  if (!found) throw new Error(`no button ${name}`);
  return found;
}

describe('certificates view', () => {
  it('shows the CA: fingerprint, validity, constraints and where it is trusted', async () => {
    const { text } = await open();
    expect(text()).toContain('CN=Switchyard Local CA (me@laptop)');
    expect(text()).toContain('AB:CD:EF:01');
    expect(text()).toMatch(/9 years left|10 years left/);
    const permitted = document.querySelector('[aria-label="Permitted names"]');
    expect(permitted?.textContent).toContain('.localhost');
    expect(permitted?.textContent).toContain('127.0.0.1/32');
    const rows = [...document.querySelectorAll('[aria-labelledby="trust-stores-title"] tbody tr')];
    expect(rows.map((r) => r.textContent)).toEqual([
      expect.stringMatching(/NSS \(Chrome, Firefox\)user\s*trusted/),
      expect.stringMatching(/Linux CA certificatessystem\s*not trusted/),
    ]);
    // What "trust" would run, for users who prefer to run it themselves.
    expect(rows[1]?.textContent).toContain(
      'cp /data/ca/ca.pem /usr/local/share/ca-certificates/switchyard.crt',
    );
    expect(text()).toContain('app.localhost');
    expect(text()).toContain('NODE_EXTRA_CA_CERTS=/data/ca/ca.pem');
  });

  it('trusts the CA and shows the message and the commands to run with sudo', async () => {
    const { client, text } = await open();
    client.respond('trustCa', () => ({
      ok: false,
      message: 'NSS: trusted\nLinux CA certificates: needs administrator rights',
      commands: ['sudo update-ca-certificates'],
    }));
    button('Trust the CA').click();
    await settle();
    expect(client.callsOf('trustCa')).toHaveLength(1);
    expect(text()).toContain('Trusting the CA is not finished');
    expect(text()).toContain('Linux CA certificates: needs administrator rights');
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    button('Copy command 1').click();
    await settle();
    expect(writeText).toHaveBeenCalledWith('sudo update-ca-certificates');
    expect(button('Copy command 1').textContent?.trim()).toBe('Copied');
    // The status is read again: the stores changed.
    expect(client.callsOf('getCaStatus').length).toBeGreaterThanOrEqual(2);
  });

  it('removes trust', async () => {
    const { client, text } = await open();
    button('Remove trust').click();
    await settle();
    expect(client.callsOf('untrustCa')).toHaveLength(1);
    expect(text()).toContain('The CA is no longer trusted');
  });

  it('downloads the CA certificate as a PEM file', async () => {
    await open();
    const created: Blob[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      created.push(blob as Blob);
      return 'blob:ca';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicked.push(this);
    });
    button('Export CA (PEM)').click();
    await settle();
    expect(clicked[0]?.download).toBe('switchyard-ca.pem');
    expect(await created[0]?.text()).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('warns about TLS hosts outside the constraints, with the reissue command', async () => {
    const { text } = await open(caStatus({ missingNames: ['shop.example'] }));
    expect(text()).toContain('Some TLS hostnames are outside the CA');
    expect(text()).toContain('shop.example');
    expect(text()).toContain('switchyard ca reissue');
  });

  it('explains that there is no CA yet', async () => {
    const { text } = await open({
      exists: false,
      path: '/data/ca/ca.pem',
      permitted: [],
      stores: [],
      issued: [],
      missingNames: [],
      nodeHint: '',
    });
    expect(text()).toContain('No CA yet');
    expect(button('Remove trust').disabled).toBe(true);
    expect(button('Export CA (PEM)').disabled).toBe(true);
    expect(button('Trust the CA').disabled).toBe(false);
  });
});

describe('certificates store', () => {
  it('reports a failure to read the status', async () => {
    const client = createFakeClient();
    client.respond('getCaStatus', () => {
      throw new Error('permission denied reading /data/ca/ca.pem');
    });
    const pinia = createPinia();
    mount(
      { template: '<div />' },
      {
        global: { plugins: [pinia], provide: { [PROXY_CLIENT_KEY as symbol]: client } },
      },
    );
    setActivePinia(pinia);
    const store = useCertificatesStore();
    await store.refresh();
    expect(store.error).toBe('permission denied reading /data/ca/ca.pem');
    expect(store.status).toBeUndefined();
  });

  it('reads the status again when the configuration changes', async () => {
    const { client } = await open();
    const before = client.callsOf('getCaStatus').length;
    client.emit('config', { reason: 'applied' });
    await settle();
    expect(client.callsOf('getCaStatus').length).toBe(before + 1);
  });
});

describe('validity', () => {
  it('says how long a certificate has left', () => {
    const now = 1_700_000_000_000;
    expect(describeRemaining(now - 1, now)).toBe('expired');
    expect(describeRemaining(now + DAY / 2, now)).toBe('expires today');
    expect(describeRemaining(now + 20 * DAY, now)).toBe('20 days left');
    expect(describeRemaining(now + 200 * DAY, now)).toBe('6 months left');
    expect(describeRemaining(now + 3650 * DAY, now)).toBe('10 years left');
  });
});
