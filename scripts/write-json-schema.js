// Writes schema/switchyard.schema.json from the shared zod schema (run after build:cli).
// A test checks that the committed file matches, so editors never see a stale schema.
import { writeFileSync } from 'node:fs';
import { routingJsonSchema } from '../out/cli/shared/config.js';

const file = new URL('../schema/switchyard.schema.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(routingJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
