/**
 * The keeper: a small Node process between Switchyard and an app's command, so that the
 * command never outlives Switchyard. Switchyard talks to it over an IPC channel; when that
 * channel closes, however Switchyard ended (a crash, SIGKILL, the app quitting), the
 * keeper stops the command's whole process group (SIGTERM, then SIGKILL after the grace
 * period) and exits. A shell command's own children (`npm run dev` → node) go too.
 *
 * The keeper's source is a string run with `node -e`, so it needs no file of its own next
 * to a bundled main process. Under Electron, ELECTRON_RUN_AS_NODE makes the app's binary
 * a plain Node; the keeper takes that variable out of the command's environment again.
 *
 * Messages: keeper → Switchyard `{ pid }` once the command runs, `{ exit, signal }` when it
 * ends; Switchyard → keeper `{ stop: true }`.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** How long a command has to stop after SIGTERM before its group gets SIGKILL. */
export const STOP_GRACE_MS = 5_000;

const KEEPER_SOURCE = String.raw`
'use strict';
const { spawn } = require('node:child_process');
const [command, graceText, dropElectron] = process.argv.slice(1);
if (dropElectron === '1') delete process.env.ELECTRON_RUN_AS_NODE;
const windows = process.platform === 'win32';
const child = spawn(command, { shell: true, stdio: 'inherit', detached: !windows, windowsHide: true });
let ended = false;
let stopping = false;
function signalTree(signal) {
  if (ended || child.pid === undefined) return;
  try {
    if (windows) spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore' });
    else process.kill(-child.pid, signal);
  } catch {}
}
function stop() {
  if (stopping) return signalTree('SIGKILL');
  stopping = true;
  signalTree('SIGTERM');
  setTimeout(() => signalTree('SIGKILL'), Number(graceText)).unref();
}
function send(message, then) {
  if (!process.connected) return then();
  try { process.send(message, () => then()); } catch { then(); }
}
child.on('spawn', () => send({ pid: child.pid }, () => {}));
child.on('error', (error) => send({ error: error.message }, () => process.exit(127)));
child.on('exit', (code, signal) => {
  // What the command left running in its group (a shell's background jobs) goes too.
  try { if (!windows) process.kill(-child.pid, 'SIGKILL'); } catch {}
  ended = true;
  send({ exit: code, signal }, () => process.exit(0));
});
process.on('message', (m) => { if (m && m.stop) stop(); });
process.on('disconnect', stop);
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, stop);
`;

export interface KeptOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  graceMs?: number;
}

/**
 * Run `command` (a shell command line) under a keeper. The keeper's stdout and stderr are
 * the command's. Read `{ pid }`, `{ exit, signal }` and `{ error }` from its messages.
 */
export function spawnKept(command: string, options: KeptOptions): ChildProcess {
  const electron = process.versions.electron !== undefined;
  const args = ['-e', KEEPER_SOURCE, command, String(options.graceMs ?? STOP_GRACE_MS)];
  args.push(electron && options.env.ELECTRON_RUN_AS_NODE === undefined ? '1' : '0');
  return spawn(process.execPath, args, {
    cwd: options.cwd,
    env: electron ? { ...options.env, ELECTRON_RUN_AS_NODE: '1' } : options.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    windowsHide: true,
  });
}
