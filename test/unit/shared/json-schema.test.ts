import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { routingJsonSchema } from '../../../src/shared/config.js';

describe('JSON Schema of the routing file', () => {
  it('is committed up to date (regenerate with `npm run build:cli && npm run schema`)', async () => {
    const committed: unknown = JSON.parse(
      await readFile(new URL('../../../schema/switchyard.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(routingJsonSchema());
  });

  it('describes durations, defaults and the member states', () => {
    const text = JSON.stringify(routingJsonSchema());
    expect(text).toContain('(ms|s|m|h)');
    expect(text).toContain('"default":"127.0.0.1"');
    expect(text).toContain('"draining"');
  });
});
