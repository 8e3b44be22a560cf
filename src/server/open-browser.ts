/**
 * `switchyard --open`: the printed UI URL in the default browser, with the platform's own
 * opener. Best effort: when there is no opener (a server, WSL without wslview) the URL is
 * still printed, and the user is told to open it.
 */
import { spawn } from 'node:child_process';

function opener(url: string): { command: string; args: string[]; verbatim: boolean } {
  if (process.platform === 'darwin') return { command: 'open', args: [url], verbatim: false };
  if (process.platform === 'win32') {
    // `start` is a cmd built-in; its first quoted argument is a window title, hence "".
    // Verbatim, so Node does not quote the "" again. The URL holds no cmd metacharacters:
    // host, port and a base64url token.
    return { command: 'cmd', args: ['/c', 'start', '""', url], verbatim: true };
  }
  return { command: 'xdg-open', args: [url], verbatim: false };
}

export function openBrowser(url: string, onError: (message: string) => void): void {
  const { command, args, verbatim } = opener(url);
  try {
    const child = spawn(command, args, {
      stdio: 'ignore',
      detached: true,
      windowsHide: true,
      windowsVerbatimArguments: verbatim,
    });
    child.on('error', (error) =>
      onError(`could not open a browser (${command}: ${error.message}); open the ui URL above`),
    );
    child.unref();
  } catch (error) {
    onError(
      `could not open a browser (${command}: ${(error as Error).message}); open the ui URL above`,
    );
  }
}
