#!/usr/bin/env node
// The `switchyard` command. The TypeScript sources are compiled to out/cli by `npm run
// build:cli`, which `npm install` runs (the `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('../out/cli/server/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'switchyard: not built yet; run `npm run build` (npm install does it too)\n',
  );
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
