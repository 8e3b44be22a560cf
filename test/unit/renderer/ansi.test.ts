/**
 * ANSI in app output: SGR colours and attributes become styled segments; every other
 * escape sequence goes and the text around it stays; styles become CSS only from numbers
 * and a fixed palette.
 */
import { describe, expect, it } from 'vitest';
import {
  ansiColor,
  ansiCss,
  ansiPaletteVars,
  parseAnsi,
  stripAnsi,
  type AnsiStyle,
} from '../../../src/renderer/src/features/apps/ansi.js';

const E = '\u001b';

/** Segments as [text, style] pairs, for compact expectations. */
function parts(text: string): [string, AnsiStyle][] {
  return parseAnsi(text).map((s) => [s.text, s.style]);
}

describe('parseAnsi: SGR', () => {
  it('leaves plain text as one unstyled segment, and nothing for an empty line', () => {
    expect(parts('GET /api 200 in 4ms')).toEqual([['GET /api 200 in 4ms', {}]]);
    expect(parseAnsi('')).toEqual([]);
  });

  it.each([
    [30, 0],
    [31, 1],
    [37, 7],
    [90, 8],
    [91, 9],
    [97, 15],
  ])('reads foreground %i as palette colour %i', (code, colour) => {
    expect(parts(`${E}[${code}mx${E}[39my`)).toEqual([
      ['x', { fg: colour }],
      ['y', {}],
    ]);
  });

  it.each([
    [40, 0],
    [42, 2],
    [47, 7],
    [100, 8],
    [107, 15],
  ])('reads background %i as palette colour %i', (code, colour) => {
    expect(parts(`${E}[${code}mx${E}[49my`)).toEqual([
      ['x', { bg: colour }],
      ['y', {}],
    ]);
  });

  it('reads 256-colour and 24-bit colours, with semicolons or colons', () => {
    expect(parts(`${E}[38;5;208mo`)).toEqual([['o', { fg: 208 }]]);
    expect(parts(`${E}[48;5;21mb`)).toEqual([['b', { bg: 21 }]]);
    expect(parts(`${E}[38;2;255;128;0mt`)).toEqual([['t', { fg: '#ff8000' }]]);
    expect(parts(`${E}[48;2;1;2;3mt`)).toEqual([['t', { bg: '#010203' }]]);
    expect(parts(`${E}[38:5:196mc`)).toEqual([['c', { fg: 196 }]]);
    expect(parts(`${E}[38:2::10:20:30mc`)).toEqual([['c', { fg: '#0a141e' }]]);
    // Out-of-range components are clamped, not passed through.
    expect(parts(`${E}[38;2;999;300;12mc`)).toEqual([['c', { fg: '#ffff0c' }]]);
  });

  it('keeps codes after an extended colour apart from its numbers', () => {
    // 38;5;1 is colour 1, not "red" (31) nor "bold" (1) on top.
    expect(parts(`${E}[38;5;1;4mx`)).toEqual([['x', { fg: 1, underline: true }]]);
    expect(parts(`${E}[1;38;2;0;0;255;3mx`)).toEqual([
      ['x', { bold: true, fg: '#0000ff', italic: true }],
    ]);
    // Underline colour (58) is read and ignored.
    expect(parts(`${E}[58;5;9;4mx`)).toEqual([['x', { underline: true }]]);
  });

  it('applies bold, dim, italic, underline and inverse, and their resets', () => {
    expect(parts(`${E}[1mb${E}[2md${E}[22mn`)).toEqual([
      ['b', { bold: true }],
      ['d', { bold: true, dim: true }],
      ['n', {}],
    ]);
    expect(parts(`${E}[3;4mi${E}[23mu${E}[24mp`)).toEqual([
      ['i', { italic: true, underline: true }],
      ['u', { underline: true }],
      ['p', {}],
    ]);
    expect(parts(`${E}[7mr${E}[27mn`)).toEqual([
      ['r', { inverse: true }],
      ['n', {}],
    ]);
  });

  it('resets everything with 0 and with an empty parameter list', () => {
    expect(parts(`${E}[1;31;44mx${E}[0my${E}[32mz${E}[mw`)).toEqual([
      ['x', { bold: true, fg: 1, bg: 4 }],
      ['y', {}],
      ['z', { fg: 2 }],
      ['w', {}],
    ]);
  });

  it('merges neighbours with the same style and drops empty runs', () => {
    expect(parts(`${E}[31ma${E}[31mb${E}[1m${E}[22mc`)).toEqual([['abc', { fg: 1 }]]);
  });

  it('reads a typical dev server line', () => {
    const line = `  ${E}[32m${E}[1mVITE${E}[22m v5.0.0${E}[39m  ready in ${E}[1m312${E}[22m ms`;
    expect(stripAnsi(line)).toBe('  VITE v5.0.0  ready in 312 ms');
    expect(parts(line)).toEqual([
      ['  ', {}],
      ['VITE', { fg: 2, bold: true }],
      [' v5.0.0', { fg: 2 }],
      ['  ready in ', {}],
      ['312', { bold: true }],
      [' ms', {}],
    ]);
  });
});

describe('parseAnsi: other sequences', () => {
  it.each([
    ['cursor moves and erases', `a${E}[2K${E}[1Gb${E}[3Ac${E}[?25ld`, 'abcd'],
    ['a private-mode SGR lookalike', `a${E}[>4;2mb`, 'ab'],
    ['an OSC title ended by BEL', `${E}]0;my title\u0007done`, 'done'],
    ['an OSC ended by ST', `${E}]2;title${E}\\done`, 'done'],
    ['charset and keypad switches', `${E}(Ba${E}=b${E}7c${E}8`, 'abc'],
    ['DCS and APC strings', `${E}Pq#0;2;0;0;0${E}\\a${E}_hidden${E}\\b`, 'ab'],
    ['8-bit CSI and OSC', `\u009b31mred\u009b0m \u009d0;t\u0007x`, 'red x'],
    ['a sequence cut off at the end', `text${E}[31`, 'text'],
    ['an unterminated OSC', `text${E}]8;;http://x`, 'text'],
    ['a lone ESC', `a${E}`, 'a'],
    ['bells, backspaces and other controls', 'a\u0007b\u0008c\u0000d\u007fe', 'abcde'],
  ])('drops %s', (_, input, text) => {
    expect(stripAnsi(input)).toBe(text);
  });

  it('keeps the text of an OSC 8 hyperlink, not its target', () => {
    const link = `see ${E}]8;;https://example.test/docs${E}\\the docs${E}]8;;${E}\\ now`;
    expect(stripAnsi(link)).toBe('see the docs now');
    const bel = `${E}]8;id=1;http://x\u0007label${E}]8;;\u0007`;
    expect(stripAnsi(bel)).toBe('label');
  });

  it('keeps a colour across a stripped sequence', () => {
    expect(parts(`${E}[31mer${E}[Kror${E}[0m`)).toEqual([['error', { fg: 1 }]]);
  });

  it('cuts a sequence short at a byte that cannot belong to it', () => {
    // ESC [ 3 followed by a newline-free letter run: "1" ends nothing, "x" is a final byte.
    expect(stripAnsi(`${E}[31\u0001mx`)).toBe('mx');
  });

  it('keeps tabs', () => {
    expect(stripAnsi('a\tb')).toBe('a\tb');
  });

  it('shows what a carriage return overwrote last (progress bars)', () => {
    expect(stripAnsi('10%\r50%\r100% done')).toBe('100% done');
    expect(parts(`${E}[33m10%\r${E}[32m100%`)).toEqual([['100%', { fg: 2 }]]);
    // A trailing CR (CRLF output) overwrites nothing.
    expect(stripAnsi('line\r')).toBe('line');
    expect(stripAnsi(`line\r${E}[0m`)).toBe('line');
  });

  it('never lets text turn into markup: segments are text', () => {
    const segments = parseAnsi(`${E}[31m<img src=x onerror=alert(1)>${E}[0m`);
    expect(segments).toEqual([{ text: '<img src=x onerror=alert(1)>', style: { fg: 1 } }]);
  });
});

describe('ansiCss and colours', () => {
  it('gives no style to plain text', () => {
    expect(ansiCss(parseAnsi('x')[0]!.style)).toBeUndefined();
  });

  it('uses the theme palette for the 16 colours and computes the rest of the 256', () => {
    expect(ansiColor(1)).toBe('var(--ansi-1, #cd3131)');
    expect(ansiColor(16)).toBe('#000000');
    expect(ansiColor(196)).toBe('#ff0000');
    expect(ansiColor(231)).toBe('#ffffff');
    expect(ansiColor(232)).toBe('#080808');
    expect(ansiColor(255)).toBe('#eeeeee');
    expect(ansiColor('#123456')).toBe('#123456');
  });

  it('turns attributes into CSS properties', () => {
    expect(ansiCss({ fg: 2, bg: 4, bold: true, dim: true, italic: true, underline: true })).toEqual(
      {
        color: 'var(--ansi-2, #0dbc79)',
        backgroundColor: 'var(--ansi-4, #2472c8)',
        fontWeight: '700',
        opacity: '0.7',
        fontStyle: 'italic',
        textDecoration: 'underline',
      },
    );
  });

  it('swaps colours for inverse, defaults included', () => {
    expect(ansiCss({ inverse: true, fg: 1 })).toEqual({
      color: 'var(--ansi-bg, Canvas)',
      backgroundColor: 'var(--ansi-1, #cd3131)',
    });
    expect(ansiCss({ inverse: true })).toEqual({
      color: 'var(--ansi-bg, Canvas)',
      backgroundColor: 'var(--ansi-fg, CanvasText)',
    });
  });

  it('only ever emits colours it built: hex from numbers or palette variables', () => {
    const colours = [
      ...parseAnsi(`${E}[38;2;1;2;3ma${E}[48;5;300mb${E}[38;5;;mc`).map((s) => ansiCss(s.style)),
    ].flatMap((css) => Object.values(css ?? {}));
    for (const c of colours) expect(c).toMatch(/^(#[0-9a-f]{6}|var\(--ansi-\d+, #[0-9a-f]{6}\))$/);
  });

  it('offers the 16 palette colours as light-dark pairs', () => {
    const vars = ansiPaletteVars();
    expect(Object.keys(vars)).toHaveLength(16);
    expect(vars['--ansi-7']).toBe('light-dark(#555555, #e5e5e5)');
  });
});
