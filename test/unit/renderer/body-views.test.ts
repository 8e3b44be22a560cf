/**
 * The body views' pure logic: the JSON tree model (paths, lazy children, pages, expand
 * all), form parsing (URL-encoded and multipart), the HTML/XML pretty-printer (tolerant
 * and bounded), and the decompression line.
 */
import { describe, expect, it } from 'vitest';
import { decodingLine } from '../../../src/renderer/src/features/traffic/body-views.js';
import {
  parseForm,
  parseMultipart,
  parseUrlEncoded,
} from '../../../src/renderer/src/features/traffic/form-fields.js';
import {
  CHILD_PAGE,
  childNodes,
  expandAll,
  jsonPath,
  rootNode,
  STRING_SHOWN,
  valueText,
  visibleRows,
  type JsonRow,
} from '../../../src/renderer/src/features/traffic/json-tree.js';
import { prettyMarkup } from '../../../src/renderer/src/features/traffic/markup-pretty.js';

const rowPaths = (rows: JsonRow[]): string[] =>
  rows.map((r) => (r.kind === 'node' ? r.node.path : `more ${r.parent.path} ${r.hidden}`));

describe('JSON tree', () => {
  it('writes JSONPath with shorthand names and brackets for odd keys', () => {
    expect(jsonPath(jsonPath(jsonPath('$', 'items'), 2), 'price')).toBe('$.items[2].price');
    expect(jsonPath('$', 'content-type')).toBe('$["content-type"]');
    expect(jsonPath('$', 'a b')).toBe('$["a b"]');
    expect(jsonPath('$', '1st')).toBe('$["1st"]');
    expect(jsonPath('$', '')).toBe('$[""]');
    expect(jsonPath('$', 'say "hi"\\')).toBe('$["say \\"hi\\"\\\\"]');
    expect(jsonPath('$', 'ключ')).toBe('$["ключ"]');
    expect(jsonPath('$', '_id9')).toBe('$._id9');
  });

  it('gives every child its path, key and kind', () => {
    const root = rootNode(JSON.parse('{"items":[{"price":9.5}],"content-type":"x","n":null}'));
    expect(root).toMatchObject({ path: '$', kind: 'object', count: 3 });
    const [items, type, n] = childNodes(root);
    expect(type).toMatchObject({ path: '$["content-type"]', key: 'content-type', kind: 'string' });
    expect(n).toMatchObject({ path: '$.n', kind: 'null', count: 0 });
    const price = childNodes(childNodes(items!)[0]!)[0]!;
    expect(price).toMatchObject({ path: '$.items[0].price', key: 'price', value: 9.5 });
    expect(childNodes(price)).toEqual([]);
  });

  it('lists only the children of open containers', () => {
    const root = rootNode({ a: { b: 1 }, c: [true, 'x'] });
    expect(rowPaths(visibleRows(root, new Set()))).toEqual(['$']);
    expect(rowPaths(visibleRows(root, new Set(['$'])))).toEqual(['$', '$.a', '$.c']);
    const rows = visibleRows(root, new Set(['$', '$.c']));
    expect(rowPaths(rows)).toEqual(['$', '$.a', '$.c', '$.c[0]', '$.c[1]']);
    expect(rows.map((r) => r.kind === 'node' && r.open)).toEqual([true, false, true, false, false]);
    expect(rows.map((r) => r.depth)).toEqual([0, 1, 1, 2, 2]);
    // A closed parent hides an open child.
    expect(rowPaths(visibleRows(root, new Set(['$.c'])))).toEqual(['$']);
  });

  it('pages a big array: a thousand rows, then "more" with the count not shown', () => {
    const big = Array.from({ length: 2500 }, (_, i) => ({ id: i }));
    const root = rootNode(big);
    const rows = visibleRows(root, new Set(['$']));
    expect(rows).toHaveLength(1 + CHILD_PAGE + 1);
    expect(rowPaths(rows).at(-2)).toBe('$[999]');
    expect(rows.at(-1)).toMatchObject({ kind: 'more', depth: 1, hidden: 1500 });
    const more = visibleRows(root, new Set(['$']), new Map([['$', 2 * CHILD_PAGE]]));
    expect(rowPaths(more).at(-1)).toBe('more $ 500');
    const all = visibleRows(root, new Set(['$']), new Map([['$', 3 * CHILD_PAGE]]));
    expect(rowPaths(all).at(-1)).toBe('$[2499]');
  });

  it('keeps a 5 MB body to the rows on screen', () => {
    const text = JSON.stringify({
      items: Array.from({ length: 110_000 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a'] })),
    });
    expect(text.length).toBeGreaterThan(5_000_000);
    const root = rootNode(JSON.parse(text));
    const rows = visibleRows(root, new Set(['$', '$.items']));
    expect(rows).toHaveLength(2 + CHILD_PAGE + 1);
    expect(rows.at(-1)).toMatchObject({ kind: 'more', hidden: 109_000 });
    const all = expandAll(root);
    expect(all.complete).toBe(false);
    expect(all.open.has('$.items')).toBe(true);
  });

  it('lists deeply nested values in order, each one level deeper', () => {
    let value: unknown = 'core';
    const open = new Set<string>(['$']);
    let path = '$';
    for (let i = 0; i < 2000; i++) {
      value = { 'a-b': value };
      path += '["a-b"]';
      open.add(path);
    }
    const rows = visibleRows(rootNode(value), open);
    expect(rows).toHaveLength(2001);
    expect(rows.every((r, i) => r.depth === i)).toBe(true);
    expect(rows.at(-1)).toMatchObject({ kind: 'node', node: { value: 'core', path } });
  });

  it('expands all breadth first, within the row budget', () => {
    const root = rootNode({ a: { b: { c: { d: 1 } } }, e: [1, 2] });
    expect(expandAll(root)).toEqual({
      open: new Set(['$', '$.a', '$.e', '$.a.b', '$.a.b.c']),
      complete: true,
    });
    // Root and its two children are 3 rows, $.a adds 1, $.e would add 2 more than 5.
    const partial = expandAll(root, 5);
    expect(partial).toEqual({ open: new Set(['$', '$.a']), complete: false });
  });

  it('describes values: sizes for containers, JSON for leaves, long strings cut', () => {
    const [obj, arr, str, num, yes, nil] = childNodes(
      rootNode([{ a: 1 }, [1, 2], 'say "x"', 1.5e-7, true, null]),
    );
    expect([obj, arr, str, num, yes, nil].map((n) => valueText(n!))).toEqual([
      '{1 key}',
      '[2 items]',
      '"say \\"x\\""',
      '1.5e-7',
      'true',
      'null',
    ]);
    const long = valueText(rootNode('x'.repeat(STRING_SHOWN + 5)));
    expect(long.endsWith('… (5 more characters)')).toBe(true);
    expect(long.length).toBeLessThan(STRING_SHOWN + 40);
  });
});

describe('form fields', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

  it('reads URL-encoded pairs: + as space, %-escapes, repeats, malformed escapes kept', () => {
    expect(
      parseUrlEncoded('q=red+shoes&tag=a&tag=b&check=%E2%9C%93&bad=100%&empty=').fields,
    ).toEqual([
      { name: 'q', value: 'red shoes', size: 9 },
      { name: 'tag', value: 'a', size: 1 },
      { name: 'tag', value: 'b', size: 1 },
      { name: 'check', value: '✓', size: 3 },
      { name: 'bad', value: '100%', size: 4 },
      { name: 'empty', value: '', size: 0 },
    ]);
    expect(parseForm(new Uint8Array([0, 1, 2]), 'application/x-www-form-urlencoded')).toEqual({
      fields: [],
      note: 'The body is not text.',
    });
  });

  it('reads multipart parts: names, files, types, sizes, text values', () => {
    const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x80, 0x9f, 0xff];
    const head = bytes(
      '--XyZ\r\nContent-Disposition: form-data; name="title"\r\n\r\nHello, wörld\r\n' +
        '--XyZ\r\nContent-Disposition: form-data; name="photo"; filename="cat \\"1\\".png"\r\n' +
        'Content-Type: image/png\r\n\r\n',
    );
    const tail = bytes(
      '\r\n--XyZ\r\nContent-Disposition: form-data; name="notes"; filename*=UTF-8\'\'na%C3%AFve.txt\r\n' +
        'Content-Type: text/plain\r\n\r\nline 1\r\nline 2\r\n--XyZ--\r\n',
    );
    const body = new Uint8Array([...head, ...png, ...tail]);
    const form = parseForm(body, 'multipart/form-data; boundary="XyZ"');
    expect(form).toEqual({
      fields: [
        { name: 'title', value: 'Hello, wörld', size: 13 },
        { name: 'photo', filename: 'cat "1".png', type: 'image/png', size: png.length },
        {
          name: 'notes',
          filename: 'naïve.txt',
          type: 'text/plain',
          value: 'line 1\r\nline 2',
          size: 14,
        },
      ],
    });
  });

  it('tolerates bare LF, a preamble, a part without headers and a body cut short', () => {
    const lf = parseMultipart(
      bytes('preamble\n--b\nContent-Disposition: form-data; name=a\n\n1\n--b\n\nnameless\n--b--'),
      'multipart/form-data; boundary=b',
    );
    expect(lf).toEqual({
      fields: [
        { name: 'a', value: '1', size: 1 },
        { name: '', value: 'nameless', size: 8 },
      ],
    });
    const cut = parseMultipart(
      bytes('--b\r\nContent-Disposition: form-data; name="big"\r\n\r\nabcdef'),
      'multipart/form-data; boundary=b',
    );
    expect(cut.fields).toEqual([{ name: 'big', value: 'abcdef', size: 6 }]);
    expect(cut.note).toMatch(/ends inside a part/);
  });

  it('says what is wrong with a multipart body it cannot read', () => {
    expect(parseForm(bytes('x'), 'multipart/form-data').note).toBe(
      'The Content-Type names no multipart boundary.',
    );
    expect(parseForm(bytes('no parts here'), 'multipart/form-data; boundary=q').note).toBe(
      'The boundary q does not occur in the body.',
    );
  });
});

describe('prettyMarkup', () => {
  it('indents HTML: void elements, raw script text, comments, short text inline', () => {
    const html =
      '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Shop</title>' +
      '<script>if (a < b) { x("</div>"); }</script></head><body><!-- nav --><ul><li>one<li>two</ul>' +
      '<p>Hi <b>you</b><br>bye</p><img\n   src="a.png"   alt="x > y"><hr/></body></html>';
    expect(prettyMarkup(html, 'html')).toEqual({
      text: [
        '<!DOCTYPE html>',
        '<html>',
        '  <head>',
        '    <meta charset="utf-8">',
        '    <title>Shop</title>',
        '    <script>if (a < b) { x("</div>"); }</script>',
        '  </head>',
        '  <body>',
        '    <!-- nav -->',
        '    <ul>',
        '      <li>',
        '        one',
        '      <li>',
        '        two',
        '    </ul>',
        '    <p>',
        '      Hi',
        '      <b>you</b>',
        '      <br>',
        '      bye',
        '    </p>',
        '    <img src="a.png" alt="x > y">',
        '    <hr/>',
        '  </body>',
        '</html>',
      ].join('\n'),
    });
  });

  it('indents XML: declaration, multi-line comments, CDATA, self-closing elements', () => {
    const xml =
      '<?xml version="1.0"?><feed xmlns="urn:x"><!--\n    generated\n      at noon\n  -->' +
      '<entry id="1"><title>A &amp; B</title><empty /><br></br>' +
      '<data><![CDATA[\n<not a tag> & raw\n]]></data><Img>kept</Img></entry></feed>';
    expect(prettyMarkup(xml, 'xml').text.split('\n')).toEqual([
      '<?xml version="1.0"?>',
      '<feed xmlns="urn:x">',
      '  <!--',
      '    generated',
      '      at noon',
      '  -->',
      '  <entry id="1">',
      '    <title>A &amp; B</title>',
      '    <empty />',
      '    <br></br>',
      '    <data>',
      '      <![CDATA[',
      '      <not a tag> & raw',
      '      ]]>',
      '    </data>',
      '    <Img>kept</Img>',
      '  </entry>',
      '</feed>',
    ]);
  });

  it('tolerates stray and missing end tags, lone "<" and quotes that never close', () => {
    expect(prettyMarkup("<div><span>open</div></p><a title=don't>x</a> 1 < 2 <", 'html').text).toBe(
      [
        '<div>',
        '  <span>',
        '    open',
        '</div>',
        '</p>',
        "<a title=don't>x</a>",
        '1',
        '< 2',
        '<',
      ].join('\n'),
    );
  });

  it('never throws on malformed input and keeps every non-space character', () => {
    const sample =
      '<?xml?><!DOCTYPE x><a b="1" c=\'>\'><!-- c --><![CDATA[x]]><b/><script>1<2</script></a>';
    const squash = (s: string): string => s.replace(/\s+/g, '');
    for (let end = 0; end <= sample.length; end++) {
      for (const flavour of ['html', 'xml'] as const) {
        const source = sample.slice(0, end) + '<' + sample.slice(end + 3);
        const result = prettyMarkup(source, flavour);
        expect(squash(result.text)).toBe(squash(source));
      }
    }
  });

  it('re-indents a script of 200,000 lines without running out of arguments', () => {
    const script = `<script>\n${'    x();\n'.repeat(200_000)}</script>`;
    const lines = prettyMarkup(script, 'html').text.split('\n');
    expect(lines).toHaveLength(200_002);
    expect(lines.slice(0, 2)).toEqual(['<script>', '  x();']);
    expect(lines.at(-1)).toBe('</script>');
  });

  it('stops indenting at a depth that would make lines unreadable', () => {
    const deep = '<d>'.repeat(500) + 'x' + '</d>'.repeat(500);
    const lines = prettyMarkup(deep, 'xml').text.split('\n');
    expect(lines).toHaveLength(999);
    expect(Math.max(...lines.map((l) => l.length - l.trimStart().length))).toBe(80);
  });

  it('formats only the first characters and for a bounded time, then shows the rest as sent', () => {
    const page = '<p><b>x</b></p>'.repeat(10);
    const cut = prettyMarkup(page, 'html', { maxChars: 15 });
    expect(cut.text).toBe(`<p>\n  <b>x</b>\n</p>\n${page.slice(15)}`);
    expect(cut.note).toBe('Formatted the first 15 characters; the rest is shown as sent.');

    let clock = 0;
    const many = '<i>a</i>'.repeat(5000);
    const slow = prettyMarkup(many, 'xml', { maxMs: 10, now: () => (clock += 1) });
    expect(slow.note).toBe('Formatting stopped after 10 ms; the rest is shown as sent.');
    expect(slow.text.endsWith('<i>a</i><i>a</i>')).toBe(true);
    expect(slow.text.replace(/\s+/g, '')).toBe(many);
  });
});

describe('decodingLine', () => {
  it('names the encodings undone and the sizes before and after', () => {
    const body = { base64: '', size: 1234, decodedSize: 8602 };
    expect(decodingLine({ ...body, encodings: ['gzip'] })).toBe('gzip, 1.2 KiB → 8.4 KiB');
    expect(decodingLine({ ...body, encodings: ['gzip', 'br'] })).toBe(
      'gzip, br, 1.2 KiB → 8.4 KiB',
    );
    expect(decodingLine({ ...body, encodings: [], note: 'x' })).toBeUndefined();
  });
});
