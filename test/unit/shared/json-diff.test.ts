import { describe, expect, it } from 'vitest';
import { checkIgnorePath, diffJson, jsonType } from '../../../src/shared/json-diff.js';

describe('diffJson', () => {
  it('ignores key order at every depth', () => {
    const a = { id: 7, customer: { name: 'Ada', address: { city: 'Paris', zip: '75001' } } };
    const b = { customer: { address: { zip: '75001', city: 'Paris' }, name: 'Ada' }, id: 7 };
    expect(diffJson(a, b)).toEqual([]);
    expect(diffJson(JSON.parse(JSON.stringify(a)), b)).toEqual([]);
  });

  it('reports a changed leaf by its path, with both values', () => {
    const a = {
      items: [
        { sku: 'A1', price: 10 },
        { sku: 'B2', price: 20 },
      ],
    };
    const b = {
      items: [
        { sku: 'A1', price: 10 },
        { sku: 'B2', price: 25 },
      ],
    };
    expect(diffJson(a, b)).toEqual([{ path: '$.items[1].price', kind: 'changed', a: 20, b: 25 }]);
  });

  it('reports an added or removed subtree once, at its root, with its value', () => {
    const a = { order: { id: 1, legacy: { code: 'X', flags: [1, 2] } } };
    const b = { order: { id: 1, discount: { percent: 10 } } };
    expect(diffJson(a, b)).toEqual([
      { path: '$.order.legacy', kind: 'removed', a: { code: 'X', flags: [1, 2] } },
      { path: '$.order.discount', kind: 'added', b: { percent: 10 } },
    ]);
  });

  it('lists changes in document order: keys of A, then keys only B has', () => {
    const changes = diffJson({ z: 1, a: 1, m: 1 }, { new1: 0, m: 2, a: 2, z: 2, new2: 0 });
    expect(changes.map((c) => c.path)).toEqual(['$.z', '$.a', '$.m', '$.new1', '$.new2']);
  });

  it('compares nested arrays index by index', () => {
    const a = { matrix: [[1, 2], [3, 4], [5]] };
    const b = {
      matrix: [
        [1, 2],
        [3, 5, 6],
      ],
    };
    expect(diffJson(a, b)).toEqual([
      { path: '$.matrix[1][1]', kind: 'changed', a: 4, b: 5 },
      { path: '$.matrix[1][2]', kind: 'added', b: 6 },
      { path: '$.matrix[2]', kind: 'removed', a: [5] },
    ]);
  });

  it('shows an element inserted at the front as every later index changing (arrays by index)', () => {
    expect(diffJson(['b', 'c'], ['a', 'b', 'c'])).toEqual([
      { path: '$[0]', kind: 'changed', a: 'b', b: 'a' },
      { path: '$[1]', kind: 'changed', a: 'c', b: 'b' },
      { path: '$[2]', kind: 'added', b: 'c' },
    ]);
  });

  it.each([
    [1, '1'],
    [{}, []],
    [null, 0],
    [{ a: 1 }, null],
    [[1], 'x'],
    [true, 'true'],
  ])('a change of JSON type (%j → %j) is kind "type", not a descent', (a, b) => {
    expect(diffJson({ v: a }, { v: b })).toEqual([{ path: '$.v', kind: 'type', a, b }]);
  });

  it('compares roots of any type', () => {
    expect(diffJson(1, 2)).toEqual([{ path: '$', kind: 'changed', a: 1, b: 2 }]);
    expect(diffJson('same', 'same')).toEqual([]);
    expect(diffJson(null, null)).toEqual([]);
    expect(diffJson([], {})).toEqual([{ path: '$', kind: 'type', a: [], b: {} }]);
  });

  it('quotes keys that are not identifiers, and escapes them as JSON', () => {
    const changes = diffJson(
      { 'content-type': 'a', 'a b': 1, 'say "hi"': 1, '': 1, $ok: 1 },
      { 'content-type': 'b', 'a b': 2, 'say "hi"': 2, '': 2, $ok: 2 },
    );
    expect(changes.map((c) => c.path)).toEqual([
      '$["content-type"]',
      '$["a b"]',
      '$["say \\"hi\\""]',
      '$[""]',
      '$.$ok',
    ]);
  });

  it('treats a "__proto__" key from JSON.parse as a plain key', () => {
    const a = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
    const b = JSON.parse('{"__proto__": {"x": 2}}') as unknown;
    expect(diffJson(a, b)).toEqual([{ path: '$.__proto__.x', kind: 'changed', a: 1, b: 2 }]);
    expect(diffJson(a, {})).toEqual([{ path: '$.__proto__', kind: 'removed', a: { x: 1 } }]);
  });

  it('walks a body nested 50,000 deep without overflowing the stack', () => {
    const nest = (leaf: number): unknown => {
      let v: unknown = leaf;
      for (let i = 0; i < 50_000; i++) v = [v];
      return v;
    };
    const changes = diffJson(nest(1), nest(2));
    expect(changes).toHaveLength(1);
    expect(changes[0]!.path).toBe('$' + '[0]'.repeat(50_000));
    expect(changes[0]).toMatchObject({ kind: 'changed', a: 1, b: 2 });
  });
});

describe('diffJson ignore paths', () => {
  const a = {
    id: 'ord-1',
    meta: { requestId: 'r-1', generatedAt: '2024-05-01T10:00:00Z', region: 'eu' },
    timestamp: 1,
    items: [
      { id: 'i-1', price: 10, audit: { timestamp: 11 } },
      { id: 'i-2', price: 20, audit: { timestamp: 12 } },
    ],
  };
  const b = {
    id: 'ord-1',
    meta: { requestId: 'r-2', generatedAt: '2024-05-01T10:00:01Z', region: 'us' },
    timestamp: 2,
    items: [
      { id: 'i-9', price: 10, audit: { timestamp: 21 } },
      { id: 'i-8', price: 21, audit: { timestamp: 22 } },
    ],
  };
  const paths = (ignorePaths: string[]): string[] =>
    diffJson(a, b, { ignorePaths }).map((c) => c.path);

  it('reports everything without patterns', () => {
    expect(paths([])).toEqual([
      '$.meta.requestId',
      '$.meta.generatedAt',
      '$.meta.region',
      '$.timestamp',
      '$.items[0].id',
      '$.items[0].audit.timestamp',
      '$.items[1].id',
      '$.items[1].price',
      '$.items[1].audit.timestamp',
    ]);
  });

  it('$.meta.* leaves out every key of meta', () => {
    expect(paths(['$.meta.*'])).not.toContain('$.meta.region');
    expect(paths(['$.meta.*']).filter((p) => p.startsWith('$.meta'))).toEqual([]);
  });

  it('$.meta.* still reports meta itself appearing, disappearing or changing type', () => {
    expect(diffJson({ meta: { x: 1 } }, {}, { ignorePaths: ['$.meta.*'] })).toEqual([
      { path: '$.meta', kind: 'removed', a: { x: 1 } },
    ]);
    expect(diffJson({ meta: { x: 1 } }, { meta: null }, { ignorePaths: ['$.meta.*'] })).toEqual([
      { path: '$.meta', kind: 'type', a: { x: 1 }, b: null },
    ]);
  });

  it('$.meta leaves out the node and everything under it', () => {
    expect(diffJson({ meta: { x: 1 } }, {}, { ignorePaths: ['$.meta'] })).toEqual([]);
    expect(paths(['$.meta']).some((p) => p.startsWith('$.meta'))).toBe(false);
  });

  it('$..timestamp leaves out that key at any depth, and nothing else', () => {
    expect(paths(['$..timestamp'])).toEqual([
      '$.meta.requestId',
      '$.meta.generatedAt',
      '$.meta.region',
      '$.items[0].id',
      '$.items[1].id',
      '$.items[1].price',
    ]);
  });

  it('$.items[*].id leaves out the id of every element', () => {
    expect(paths(['$.items[*].id', '$.meta.*', '$..timestamp'])).toEqual(['$.items[1].price']);
  });

  it('a bare name means that key anywhere ($..name)', () => {
    expect(paths(['timestamp'])).toEqual(paths(['$..timestamp']));
    expect(paths(['audit.timestamp'])).toContain('$.timestamp');
    expect(paths(['audit.timestamp'])).not.toContain('$.items[0].audit.timestamp');
  });

  it('understands indexes, bracketed names and wildcards in brackets', () => {
    expect(paths(['$.items[1]'])).not.toContain('$.items[1].price');
    expect(paths(['$.items[1]'])).toContain('$.items[0].id');
    expect(paths(["$['meta']['region']"])).not.toContain('$.meta.region');
    expect(paths(['$["meta"].requestId'])).not.toContain('$.meta.requestId');
    expect(paths(['$.items[*]'])).not.toContain('$.items[1].price');
    expect(paths(['$..[0]'])).not.toContain('$.items[0].id');
    expect(paths(['$..[0]'])).toContain('$.items[1].id');
    expect(paths(['$'])).toEqual([]);
    expect(paths(['$..*'])).toEqual([]);
  });

  it('a path the diff printed can be pasted back as a pattern', () => {
    const x = { headers: { 'x-trace': 'a', keep: 1 } };
    const y = { headers: { 'x-trace': 'b', keep: 2 } };
    const printed = diffJson(x, y).map((c) => c.path);
    expect(printed).toEqual(['$.headers["x-trace"]', '$.headers.keep']);
    expect(diffJson(x, y, { ignorePaths: [printed[0]!] }).map((c) => c.path)).toEqual([
      '$.headers.keep',
    ]);
  });

  it.each(['$.items[', '$..', '$.a[x]', "$.a['b]", '', '$a', '$.a..'])(
    'refuses %j with a reason',
    (pattern) => {
      expect(checkIgnorePath(pattern)).toEqual(expect.any(String));
      expect(() => diffJson({}, {}, { ignorePaths: [pattern] })).toThrow(/ignore path/);
    },
  );

  it.each(['$.meta.*', '$..timestamp', '$.items[*].id', '$["a b"]', "$['x']", 'id', '.meta'])(
    'accepts %j',
    (pattern) => {
      expect(checkIgnorePath(pattern)).toBeUndefined();
    },
  );
});

describe('jsonType', () => {
  it('names JSON types, arrays and null apart from objects', () => {
    expect([null, true, 1, 's', [], {}].map(jsonType)).toEqual([
      'null',
      'boolean',
      'number',
      'string',
      'array',
      'object',
    ]);
  });
});
