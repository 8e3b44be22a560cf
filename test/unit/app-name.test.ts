/**
 * The name `switchyard run` picks, against real git repositories made in a temporary
 * folder: package.json first, then the repository's folder, then the folder; a linked
 * worktree's branch in front; an explicit name checked.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appNameFor,
  defaultAppName,
  toAppLabel,
  worktreePrefix,
} from '../../src/server/run/app-name.js';
import { APP_NAME_RULE } from '../../src/shared/apps.js';

let root: string;

/** git in `cwd`, never steered by the variables a git hook would set. */
function git(cwd: string, ...args: string[]): string {
  const env = { ...process.env };
  for (const name of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR'])
    delete env[name];
  return execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
}

function newRepo(dir: string, bare = false): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main', ...(bare ? ['--bare'] : []));
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'user.name', 'Test');
  git(dir, 'config', 'commit.gpgsign', 'false');
  return dir;
}

function commit(dir: string): void {
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'init');
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value));
}

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'switchyard-app-name-')));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('toAppLabel', () => {
  it.each([
    ['shop', 'shop'],
    ['feature/X_y', 'feature-x-y'],
    ['My App', 'my-app'],
    ['--weird--', 'weird'],
    ['Crème brûlée', 'creme-brulee'],
    ['release/1.2.3', 'release-1-2-3'],
    ['a..b', 'a-b'],
    ['日本', undefined],
    ['', undefined],
    ['---', undefined],
  ])('%j → %j', (text, label) => {
    expect(toAppLabel(text)).toBe(label);
  });

  it('cuts to 63 characters without leaving a dash at the end', () => {
    expect(toAppLabel('a'.repeat(100))).toBe('a'.repeat(63));
    expect(toAppLabel(`${'a'.repeat(62)}/b`)).toBe('a'.repeat(62));
  });
});

describe('defaultAppName', () => {
  it('takes the package.json name without its npm scope', async () => {
    const repo = newRepo(join(root, 'pkg-repo'));
    writeJson(join(repo, 'package.json'), { name: '@acme/web_app' });
    expect(await defaultAppName(repo)).toEqual({ name: 'web-app', from: 'package.json' });
  });

  it('walks up to the nearest package.json with a name', async () => {
    const repo = newRepo(join(root, 'walk-repo'));
    writeJson(join(repo, 'package.json'), { name: 'shop' });
    const deep = join(repo, 'src', 'deep');
    mkdirSync(deep, { recursive: true });
    // A package.json without a name (as dist/ folders hold) does not stop the walk.
    writeJson(join(repo, 'src', 'package.json'), { type: 'module' });
    expect(await defaultAppName(deep)).toEqual({ name: 'shop', from: 'package.json' });

    writeJson(join(repo, 'src', 'package.json'), { name: 'inner' });
    expect(await defaultAppName(deep)).toEqual({ name: 'inner', from: 'package.json' });
  });

  it('skips a package.json that is not JSON', async () => {
    const repo = newRepo(join(root, 'broken-json'));
    writeFileSync(join(repo, 'package.json'), '{ not json');
    expect(await defaultAppName(repo)).toEqual({ name: 'broken-json', from: 'git' });
  });

  it('does not look above the git repository', async () => {
    const outer = join(root, 'outer');
    mkdirSync(outer);
    writeJson(join(outer, 'package.json'), { name: 'outside' });
    const repo = newRepo(join(outer, 'Inner_Repo'));
    const sub = join(repo, 'sub');
    mkdirSync(sub);
    expect(await defaultAppName(sub)).toEqual({ name: 'inner-repo', from: 'git' });
  });

  it('names a linked worktree after the main repository, not its own folder', async () => {
    const repo = newRepo(join(root, 'shop'));
    commit(repo);
    const wt = join(root, 'shop-wt-feature');
    git(repo, 'worktree', 'add', '-q', '-b', 'feature/X_y', wt);
    expect(await defaultAppName(wt)).toEqual({ name: 'shop', from: 'git' });
    expect(await defaultAppName(repo)).toEqual({ name: 'shop', from: 'git' });
  });

  it('names a bare repository’s worktree after the repository without .git', async () => {
    const bare = newRepo(join(root, 'store.git'), true);
    const seed = newRepo(join(root, 'store-seed'));
    commit(seed);
    git(seed, 'push', '-q', bare, 'main');
    const wt = join(root, 'store-main');
    git(bare, 'worktree', 'add', '-q', wt, 'main');
    expect(await defaultAppName(wt)).toEqual({ name: 'store', from: 'git' });
  });

  it('falls back to the folder outside git', async () => {
    const dir = join(root, 'Plain Folder');
    mkdirSync(dir);
    expect(await defaultAppName(dir)).toEqual({ name: 'plain-folder', from: 'folder' });
  });

  it('falls back to the folder when git is missing', async () => {
    const repo = newRepo(join(root, 'no-git-binary'));
    const path = process.env.PATH;
    process.env.PATH = join(root, 'empty-bin');
    try {
      expect(await defaultAppName(repo)).toEqual({ name: 'no-git-binary', from: 'folder' });
      expect(await worktreePrefix(repo)).toBeUndefined();
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('worktreePrefix', () => {
  let repo: string;
  let feature: string;
  let detached: string;

  beforeAll(() => {
    repo = newRepo(join(root, 'api'));
    commit(repo);
    feature = join(root, 'api-feature');
    git(repo, 'worktree', 'add', '-q', '-b', 'feature/X_y', feature);
    detached = join(root, 'api-detached');
    git(repo, 'worktree', 'add', '-q', '--detach', detached);
  });

  it('is the branch as a label in a linked worktree, also from a subfolder', async () => {
    expect(await worktreePrefix(feature)).toBe('feature-x-y');
    const sub = join(feature, 'sub');
    mkdirSync(sub);
    expect(await worktreePrefix(sub)).toBe('feature-x-y');
  });

  it('is undefined in the main worktree, a detached worktree, and outside git', async () => {
    expect(await worktreePrefix(repo)).toBeUndefined();
    expect(await worktreePrefix(detached)).toBeUndefined();
    const plain = join(root, 'not-a-repo');
    mkdirSync(plain);
    expect(await worktreePrefix(plain)).toBeUndefined();
  });

  it('is undefined for a folder that does not exist', async () => {
    expect(await worktreePrefix(join(root, 'missing'))).toBeUndefined();
  });
});

describe('appNameFor', () => {
  let repo: string;
  let wt: string;

  beforeAll(() => {
    repo = newRepo(join(root, 'billing'));
    writeJson(join(repo, 'package.json'), { name: 'billing-web' });
    git(repo, 'add', 'package.json');
    commit(repo);
    wt = join(root, 'billing-fix');
    git(repo, 'worktree', 'add', '-q', '-b', 'fix/Login', wt);
  });

  it('uses the default name in the main worktree', async () => {
    expect(await appNameFor(repo)).toEqual({ ok: true, name: 'billing-web', from: 'package.json' });
  });

  it('puts the branch in front in a linked worktree', async () => {
    expect(await appNameFor(wt)).toEqual({
      ok: true,
      name: 'fix-login.billing-web',
      from: 'package.json',
    });
    expect(await appNameFor(wt, 'api.billing')).toEqual({
      ok: true,
      name: 'fix-login.api.billing',
      from: 'explicit',
    });
  });

  it('takes a valid explicit name as it is', async () => {
    expect(await appNameFor(repo, 'pay')).toEqual({ ok: true, name: 'pay', from: 'explicit' });
  });

  it.each(['My App', 'shop_1', '-shop', 'shop.', ''])(
    'rejects the explicit name %j',
    async (bad) => {
      expect(await appNameFor(repo, bad)).toEqual({
        ok: false,
        error: `'${bad}' is not a valid app name: ${APP_NAME_RULE}`,
      });
    },
  );

  it('reports a name the branch makes too long', async () => {
    const long = Array(3).fill('a'.repeat(63)).join('.');
    const result = await appNameFor(wt, long);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toContain('too long');
  });
});
