/**
 * Trusting the local CA in stores that need administrator rights (the Linux system
 * anchors) from the desktop app: the engine's trustCa/untrustCa report the commands they
 * could not run (`sudo …`), and this module runs them once behind the operating system's
 * own password prompt (@vscode/sudo-prompt: pkexec/kdesudo on Linux, the macOS
 * authorization dialog, UAC on Windows), then asks the engine again so the answer says
 * what is true now.
 *
 * The commands come from the engine in main, never from the renderer (trustCa takes no
 * arguments). They still pass a check before they reach a shell: sudo-prompt runs them in
 * `bash -c "…"`, where `$`, backticks and backslashes would be interpreted, so a command
 * with any of those is not run but shown for the user to run by hand.
 */
import { exec } from '@vscode/sudo-prompt';
import type { ApiResult } from '../shared/api.js';

type TrustResult = ApiResult<'trustCa'>;

/** Runs one shell command line with administrator rights; rejects when refused or failed. */
export type RunElevated = (commandLine: string) => Promise<void>;

const UNSAFE = /[$`\\\n\r]/;

/** One command line from the engine's `sudo …` commands, joined with `&&`. */
export function elevatedCommandLine(commands: readonly string[]): string {
  return commands
    .map((command) => {
      const match = /^sudo\s+(.+)$/.exec(command.trim());
      if (!match?.[1]) throw new Error(`not a sudo command: ${command}`);
      if (UNSAFE.test(match[1])) {
        throw new Error(`not run automatically (it contains shell characters): ${command}`);
      }
      return match[1];
    })
    .join(' && ');
}

export function sudoPrompt(name = 'Switchyard'): RunElevated {
  return (commandLine) =>
    new Promise((resolve, reject) => {
      exec(commandLine, { name }, (error, _stdout, stderr) => {
        if (!error) return resolve();
        const detail = String(stderr ?? '').trim();
        reject(new Error(detail ? `${error.message}: ${detail}` : error.message));
      });
    });
}

/**
 * Calls trustCa (or untrustCa); when stores answered with commands needing elevation,
 * runs them with `run` and calls again. A refused or failed prompt leaves the first answer
 * (with its commands, for running by hand) and says why.
 */
export async function withElevation(
  call: () => Promise<TrustResult>,
  run: RunElevated,
): Promise<TrustResult> {
  const first = await call();
  if (first.ok || first.commands.length === 0) return first;
  let commandLine: string;
  try {
    commandLine = elevatedCommandLine(first.commands);
  } catch (error) {
    return { ...first, message: `${first.message}\n${(error as Error).message}` };
  }
  try {
    await run(commandLine);
  } catch (error) {
    return {
      ...first,
      message: `${first.message}\nAdministrator rights were not granted (${(error as Error).message}); run the commands yourself.`,
    };
  }
  const second = await call();
  return {
    ...second,
    message: `Ran with administrator rights: ${first.commands.join('; ')}\n${second.message}`,
  };
}
