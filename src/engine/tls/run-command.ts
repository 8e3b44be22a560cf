/**
 * Runs the trust-store tools (security, certutil, update-ca-certificates). Never through a
 * shell: paths from the user's home go in as single arguments, whatever they contain.
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  /** Exit code; -1 when the program could not be started or was killed. */
  code: number;
  stdout: string;
  stderr: string;
  /** The program is not installed (ENOENT). */
  missing: boolean;
}

export function runCommand(argv: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
  const [file = '', ...args] = argv;
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, windowsHide: true, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        resolve({
          code: error ? (typeof code === 'number' ? code : -1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
          missing: code === 'ENOENT',
        });
      },
    );
  });
}

/** A command as a user would type it, quoted for their shell. */
export function formatCommand(argv: readonly string[], platform = process.platform): string {
  return argv
    .map((a) => {
      if (/^[\w@%+=:,./-]+$/.test(a)) return a;
      if (platform === 'win32') return `"${a.replaceAll('"', '""')}"`;
      return `'${a.replaceAll("'", `'\\''`)}'`;
    })
    .join(' ');
}
