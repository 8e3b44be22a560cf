import { afterEach, describe, expect, it, vi } from 'vitest';

const sudo = vi.hoisted(() => ({
  exec: vi.fn(
    (
      _command: string,
      _options: unknown,
      callback: (error?: Error, stdout?: string, stderr?: string) => void,
    ) => callback(),
  ),
}));
vi.mock('@vscode/sudo-prompt', () => sudo);
vi.mock('electron', () => import('../../support/fake-electron.js'));

import { elevatedCommandLine, sudoPrompt, withElevation } from '../../../src/main/elevation.js';
import { hostApi } from '../../../src/main/host-api.js';
import { API_METHODS, type ApiResult, type ProxyApi } from '../../../src/shared/api.js';

type TrustResult = ApiResult<'trustCa'>;

afterEach(() => sudo.exec.mockClear());

describe('elevatedCommandLine', () => {
  it('strips sudo and joins the commands so one prompt runs them all, in order', () => {
    expect(
      elevatedCommandLine([
        'sudo install -m 644 /home/u/.config/Switchyard/ca/ca.pem /usr/local/share/ca-certificates/switchyard.crt',
        'sudo update-ca-certificates',
      ]),
    ).toBe(
      'install -m 644 /home/u/.config/Switchyard/ca/ca.pem /usr/local/share/ca-certificates/switchyard.crt && update-ca-certificates',
    );
  });

  it('keeps single-quoted paths with spaces as the engine quoted them', () => {
    expect(elevatedCommandLine(["sudo cp '/home/u/My Data/ca.pem' /etc/x"])).toBe(
      "cp '/home/u/My Data/ca.pem' /etc/x",
    );
  });

  it.each([
    ['sudo cp /home/$(whoami)/ca.pem /etc/x'],
    ['sudo cp /home/`id`/ca.pem /etc/x'],
    ['sudo cp C:\\x /etc/x'],
    ['sudo cp a b\nrm -rf /'],
    ['cp /a /b'],
    ['sudo'],
  ])('refuses %j', (command) => {
    expect(() => elevatedCommandLine([command])).toThrow();
  });
});

describe('sudoPrompt', () => {
  it('runs the line through @vscode/sudo-prompt under the app’s name', async () => {
    await sudoPrompt()('update-ca-certificates');
    expect(sudo.exec).toHaveBeenCalledWith(
      'update-ca-certificates',
      { name: 'Switchyard' },
      expect.any(Function),
    );
  });

  it('rejects with the prompt’s reason and the command’s stderr', async () => {
    sudo.exec.mockImplementationOnce((_c, _o, callback) =>
      callback(new Error('User did not grant permission.'), '', ''),
    );
    await expect(sudoPrompt()('x')).rejects.toThrow('User did not grant permission.');
    sudo.exec.mockImplementationOnce((_c, _o, callback) =>
      callback(new Error('Command failed'), '', 'update-ca-certificates: not found\n'),
    );
    await expect(sudoPrompt()('x')).rejects.toThrow(
      'Command failed: update-ca-certificates: not found',
    );
  });
});

describe('withElevation', () => {
  const needsRoot: TrustResult = {
    ok: false,
    message: 'Linux system trust store: needs sudo',
    commands: [
      'sudo install -m 644 /d/ca.pem /usr/local/share/ca-certificates/switchyard.crt',
      'sudo update-ca-certificates',
    ],
  };
  const done: TrustResult = {
    ok: true,
    message: 'Linux system trust store: already trusted',
    commands: [],
  };

  it('does not prompt when nothing needs administrator rights', async () => {
    const run = vi.fn(async () => {});
    expect(await withElevation(async () => done, run)).toBe(done);
    expect(run).not.toHaveBeenCalled();
  });

  it('runs the commands once behind the prompt, then reports what is true now', async () => {
    const call = vi
      .fn<() => Promise<TrustResult>>()
      .mockResolvedValueOnce(needsRoot)
      .mockResolvedValueOnce(done);
    const run = vi.fn(async (_line: string) => {});
    const result = await withElevation(call, run);
    expect(run).toHaveBeenCalledExactlyOnceWith(
      'install -m 644 /d/ca.pem /usr/local/share/ca-certificates/switchyard.crt && update-ca-certificates',
    );
    expect(call).toHaveBeenCalledTimes(2);
    expect(result.ok).toBe(true);
    expect(result.commands).toEqual([]);
    expect(result.message).toMatch(/^Ran with administrator rights: sudo install/);
  });

  it('keeps the commands for running by hand when the prompt is refused', async () => {
    const call = vi.fn(async () => needsRoot);
    const result = await withElevation(call, async () => {
      throw new Error('User did not grant permission.');
    });
    expect(call).toHaveBeenCalledOnce();
    expect(result).toEqual({
      ok: false,
      commands: needsRoot.commands,
      message: expect.stringContaining(
        'Administrator rights were not granted (User did not grant permission.)',
      ),
    });
  });

  it('never runs a command it does not trust; shows it instead', async () => {
    const odd: TrustResult = { ok: false, message: 'x', commands: ['sudo cp /$HOME/ca.pem /etc'] };
    const run = vi.fn(async () => {});
    const result = await withElevation(async () => odd, run);
    expect(run).not.toHaveBeenCalled();
    expect(result.commands).toEqual(odd.commands);
    expect(result.message).toMatch(/not run automatically/);
  });
});

describe('hostApi', () => {
  function engineStub() {
    const calls: string[] = [];
    const stub = Object.fromEntries(
      API_METHODS.map((m) => [
        m,
        vi.fn(async () => {
          calls.push(m);
          return m === 'trustCa' || m === 'untrustCa' ? { ok: true, message: m, commands: [] } : m;
        }),
      ]),
    ) as unknown as ProxyApi;
    return { stub, calls };
  }

  it('serves every method of the engine, with trust going through elevation', async () => {
    const { stub, calls } = engineStub();
    const run = vi.fn(async () => {});
    const api = hostApi(stub, { elevate: run });
    expect(Object.keys(api).sort()).toEqual([...API_METHODS].sort());
    expect(await api.getStatus()).toBe('getStatus');
    expect(await api.trustCa()).toEqual({ ok: true, message: 'trustCa', commands: [] });
    expect(await api.untrustCa()).toEqual({ ok: true, message: 'untrustCa', commands: [] });
    expect(calls).toEqual(['getStatus', 'trustCa', 'untrustCa']);
  });

  it('syncs the hosts file behind the password prompt when it needs rights', async () => {
    const { stub } = engineStub();
    const needsRoot = {
      ok: false,
      message: 'needs rights',
      commands: ['sudo cp /data/hosts.switchyard /etc/hosts'],
    };
    vi.mocked(stub.syncHostsFile).mockResolvedValueOnce(needsRoot).mockResolvedValueOnce({
      ok: true,
      message: '/etc/hosts sends shop.localhost',
      commands: [],
    });
    const run = vi.fn(async () => {});
    const api = hostApi(stub, { elevate: run });
    const result = await api.syncHostsFile(true);
    expect(run).toHaveBeenCalledWith('cp /data/hosts.switchyard /etc/hosts');
    expect(result.ok).toBe(true);
    expect(vi.mocked(stub.syncHostsFile).mock.calls).toEqual([[true], [true]]);
  });

  it('announces changes the tray shows, even when the call fails', async () => {
    const { stub } = engineStub();
    const statusChanged = vi.fn();
    const api = hostApi(stub, { elevate: vi.fn(), statusChanged });
    await api.setCapturePaused(true);
    await api.getStatus();
    expect(statusChanged).toHaveBeenCalledOnce();
    vi.mocked(stub.applyConfig).mockRejectedValueOnce(new Error('port taken'));
    await expect(api.applyConfig({ version: 1 })).rejects.toThrow('port taken');
    expect(statusChanged).toHaveBeenCalledTimes(2);
  });

  it('reports no routing file during the demo, until the demo is saved as one', async () => {
    const { stub } = engineStub();
    vi.mocked(stub.getStatus).mockResolvedValue({ configPath: '/d/switchyard.yaml' } as never);
    vi.mocked(stub.saveConfig).mockResolvedValue({ path: '/d/switchyard.yaml' });
    const api = hostApi(stub, { elevate: vi.fn(), demo: true });
    expect(await api.getStatus()).toEqual({});
    vi.mocked(stub.saveConfig).mockRejectedValueOnce(new Error('disk full'));
    await expect(api.saveConfig()).rejects.toThrow('disk full');
    expect(await api.getStatus()).toEqual({});
    await api.saveConfig();
    expect(await api.getStatus()).toEqual({ configPath: '/d/switchyard.yaml' });
    expect(await hostApi(stub, { elevate: vi.fn() }).getStatus()).toEqual({
      configPath: '/d/switchyard.yaml',
    });
  });
});
