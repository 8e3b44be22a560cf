/**
 * The name `switchyard run` gives an app when none is given: the package.json name, else
 * the git repository's folder, else the working folder, as one DNS label. In a linked git
 * worktree (not the main one) the branch goes in front, so two checkouts of one app do not
 * share a name: `feature-x.shop` next to `shop`.
 *
 * Git runs without a shell and with a timeout; no git, or no repository, just falls back.
 */
import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { basename, dirname, parse, resolve } from 'node:path';
import { APP_NAME_PATTERN, APP_NAME_RULE } from '../../shared/apps.js';

export type AppNameSource = 'package.json' | 'git' | 'folder';

export type AppNameResult =
  { ok: true; name: string; from: AppNameSource | 'explicit' } | { ok: false; error: string };

const GIT_TIMEOUT_MS = 5_000;

/**
 * Variables that would point git at another repository than the folder's (they are set
 * while git hooks run, for one).
 */
const GIT_LOCATION_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_COMMON_DIR',
  'GIT_INDEX_FILE',
  'GIT_PREFIX',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
];

/** Git's output, trimmed, or undefined when git is missing, fails or takes too long. */
function git(cwd: string, args: readonly string[]): Promise<string | undefined> {
  const env = { ...process.env };
  for (const name of GIT_LOCATION_VARIABLES) delete env[name];
  return new Promise((done) => {
    execFile(
      'git',
      args,
      { cwd, env, timeout: GIT_TIMEOUT_MS, windowsHide: true, encoding: 'utf8' },
      (error, stdout) => done(error ? undefined : stdout.trim()),
    );
  });
}

/**
 * Any text as one DNS label: lowercase, accents dropped, every run of other characters a
 * dash, no dash at either end, at most 63 characters (`feature/X_y` → `feature-x-y`);
 * undefined when nothing is left.
 */
export function toAppLabel(text: string): string | undefined {
  const label = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label === '' ? undefined : label;
}

/** The `name` of the nearest package.json that has one, from `dir` up to `top`. */
async function packageName(dir: string, top: string): Promise<string | undefined> {
  for (let at = dir; ; at = dirname(at)) {
    const name = await readPackageName(resolve(at, 'package.json'));
    if (name !== undefined) return name;
    if (at === top || at === parse(at).root) return undefined;
  }
}

async function readPackageName(file: string): Promise<string | undefined> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const name = (json as { name?: unknown }).name;
  if (typeof name !== 'string') return undefined;
  // An npm scope is not part of the app: @shop/web → web.
  return name.replace(/^@[^/]*\//, '');
}

/** The folder name of the repository's main worktree (a bare repository's name without .git). */
async function repositoryName(cwd: string): Promise<string | undefined> {
  const common = await git(cwd, ['rev-parse', '--path-format=absolute', '--git-common-dir']);
  if (common === undefined || common === '') return undefined;
  const base = basename(common);
  if (base === '.git') return basename(dirname(common));
  return base.replace(/\.git$/, '');
}

/**
 * The app name a folder suggests, and where it came from: the nearest package.json's
 * `name` (scope dropped) up to the git worktree's top, else the git repository's folder
 * (of the main worktree, so every worktree of it agrees), else the folder's own name.
 * Each as a DNS label; a name with nothing usable in it falls through to the next.
 */
export async function defaultAppName(cwd: string): Promise<{ name: string; from: AppNameSource }> {
  // Git reports real paths: walk the real one, so the walk stops at git's top folder.
  const dir = await realpath(resolve(cwd)).catch(() => resolve(cwd));
  const top = await git(dir, ['rev-parse', '--show-toplevel']);
  const fromPackage = toAppLabel(
    (await packageName(dir, top ? resolve(top) : parse(dir).root)) ?? '',
  );
  if (fromPackage !== undefined) return { name: fromPackage, from: 'package.json' };
  const fromGit = toAppLabel((await repositoryName(dir)) ?? '');
  if (fromGit !== undefined) return { name: fromGit, from: 'git' };
  return { name: toAppLabel(basename(resolve(cwd))) ?? 'app', from: 'folder' };
}

/**
 * In a linked git worktree (not the repository's main one), its branch as a DNS label, to
 * go in front of the app name; undefined in the main worktree, outside git, or when the
 * worktree's HEAD is detached.
 */
export async function worktreePrefix(cwd: string): Promise<string | undefined> {
  const dirs = await git(resolve(cwd), [
    'rev-parse',
    '--path-format=absolute',
    '--git-dir',
    '--git-common-dir',
  ]);
  const [gitDir, commonDir] = dirs?.split(/\r?\n/) ?? [];
  if (gitDir === undefined || commonDir === undefined || resolve(gitDir) === resolve(commonDir)) {
    return undefined;
  }
  // symbolic-ref, unlike rev-parse --abbrev-ref, names a branch with no commit yet too,
  // and prints nothing (-q) when HEAD is detached.
  const branch = await git(resolve(cwd), ['symbolic-ref', '--short', '-q', 'HEAD']);
  return branch ? toAppLabel(branch) : undefined;
}

/**
 * The app name for `switchyard run` in `cwd`: `explicit` when given (it must be a valid
 * app name), else the default above; prefixed with `BRANCH.` in a linked worktree.
 */
export async function appNameFor(cwd: string, explicit?: string): Promise<AppNameResult> {
  let name: string;
  let from: AppNameSource | 'explicit';
  if (explicit !== undefined) {
    if (!APP_NAME_PATTERN.test(explicit)) {
      return { ok: false, error: `'${explicit}' is not a valid app name: ${APP_NAME_RULE}` };
    }
    name = explicit;
    from = 'explicit';
  } else {
    ({ name, from } = await defaultAppName(cwd));
  }
  const prefix = await worktreePrefix(cwd);
  if (prefix !== undefined) {
    const prefixed = `${prefix}.${name}`;
    if (!APP_NAME_PATTERN.test(prefixed)) {
      return {
        ok: false,
        error: `'${prefixed}' (the worktree's branch in front of the app name) is too long: ${APP_NAME_RULE}`,
      };
    }
    name = prefixed;
  }
  return { ok: true, name, from };
}
