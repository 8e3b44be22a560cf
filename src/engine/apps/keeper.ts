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
 * A simple command (no shell operators) is run with `exec`, so the pid Switchyard shows is
 * the app's own. On a stop, the group gets SIGTERM and keeps the grace period even after
 * the shell has gone; only then SIGKILL.
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
const grace = Number(graceText);
if (dropElectron === '1') delete process.env.ELECTRON_RUN_AS_NODE;
const windows = process.platform === 'win32';
// A command without shell operators replaces the shell (exec), so its pid is the app's
// and a signal reaches the app itself.
const simple = !windows && !/[;&|()\n]/.test(command) && !/^\s*[A-Za-z_][A-Za-z0-9_]*=/.test(command);
const child = spawn(simple ? 'exec ' + command : command, { shell: true, stdio: 'inherit', detached: !windows, windowsHide: true });
let stopAt;
function signalGroup(signal) {
  if (child.pid === undefined) return false;
  try {
    if (windows) spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore' });
    else process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}
function stop() {
  if (stopAt !== undefined) return signalGroup('SIGKILL');
  stopAt = Date.now();
  signalGroup('SIGTERM');
  setTimeout(() => signalGroup('SIGKILL'), grace).unref();
}
function send(message, then) {
  if (!process.connected) return then();
  try { process.send(message, () => then()); } catch { then(); }
}
child.on('spawn', () => send({ pid: child.pid }, () => {}));
child.on('error', (error) => send({ error: error.message }, () => process.exit(127)));
child.on('exit', (code, signal) => {
  const finish = () => send({ exit: code, signal }, () => process.exit(0));
  if (windows) return finish();
  if (stopAt === undefined) {
    // It ended by itself: what it left running in its group (background jobs) goes too.
    signalGroup('SIGKILL');
    return finish();
  }
  // Stopping: the rest of the group (a shell's children) keeps its grace period.
  const poll = () => {
    if (!signalGroup(0)) return finish();
    if (Date.now() - stopAt >= grace) {
      signalGroup('SIGKILL');
      return finish();
    }
    setTimeout(poll, 50);
  };
  poll();
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
