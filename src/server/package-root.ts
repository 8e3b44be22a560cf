/**
 * The folder of the installed switchyard package (its package.json), from src/ in
 * development or from out/cli/ once built: for the version, the built renderer and
 * bin/switchyard.js.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function isOurs(dir: string): { version?: string } | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    return pkg.name === 'switchyard' ? pkg : undefined;
  } catch {
    return undefined;
  }
}

/** The package folder, or undefined when this file is not inside it (bundled elsewhere). */
export function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (isOurs(dir)) return dir;
    dir = dirname(dir);
  }
  return undefined;
}

export function packageVersion(): string {
  const root = packageRoot();
  return (root && isOurs(root)?.version) ?? 'unknown';
}
