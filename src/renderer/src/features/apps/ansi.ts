/**
 * ANSI escape sequences in an app's output, as a terminal would show them: SGR (colours,
 * bold, dim, italic, underline, inverse) becomes styled segments; every other sequence
 * (cursor moves, erase, OSC titles and hyperlinks, charset switches, DCS…) is dropped,
 * keeping the text around it (an OSC 8 hyperlink keeps its label).
 *
 * Segments are plain text plus a style object, rendered with text interpolation and a
 * `:style` binding built here from numbers and a fixed palette, so nothing an app writes
 * can become markup or arbitrary CSS.
 */

/** 0–255: the xterm palette (0–15 follow the theme); a string: `#rrggbb` (24-bit colour). */
export type AnsiColor = number | string;

export interface AnsiStyle {
  readonly fg?: AnsiColor;
  readonly bg?: AnsiColor;
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly italic?: boolean;
  readonly underline?: boolean;
  readonly inverse?: boolean;
}

export interface AnsiSegment {
  text: string;
  style: AnsiStyle;
}

const PLAIN: AnsiStyle = Object.freeze({});

const ESC = 0x1b;
const BEL = 0x07;
/** C1 controls some programs write in their 8-bit form. */
const C1_CSI = 0x9b;
const C1_OSC = 0x9d;
const C1_ST = 0x9c;

function sameStyle(a: AnsiStyle, b: AnsiStyle): boolean {
  return (
    a.fg === b.fg &&
    a.bg === b.bg &&
    !a.bold === !b.bold &&
    !a.dim === !b.dim &&
    !a.italic === !b.italic &&
    !a.underline === !b.underline &&
    !a.inverse === !b.inverse
  );
}

function byte(n: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.min(255, Math.trunc(n))) : 0;
}

function hex(r: number, g: number, b: number): string {
  return `#${[r, g, b].map((v) => byte(v).toString(16).padStart(2, '0')).join('')}`;
}

/**
 * `38;5;n` / `38;2;r;g;b` (and the colon forms `38:5:n`, `38:2::r:g:b`): the colour and how
 * many of the `;` parameters after the 38 it used.
 */
function extendedColor(
  params: readonly string[],
  at: number,
): { color: AnsiColor | undefined; used: number } {
  const own = params[at]!;
  if (own.includes(':')) {
    const parts = own.split(':').map((p) => Number(p || 0));
    if (parts[1] === 5) return { color: byte(parts[2] ?? 0), used: 0 };
    // 38:2:colourspace:r:g:b, or 38:2:r:g:b without the colour space id.
    const rgb = parts.length >= 6 ? parts.slice(3, 6) : parts.slice(2, 5);
    if (parts[1] === 2 && rgb.length === 3)
      return { color: hex(rgb[0]!, rgb[1]!, rgb[2]!), used: 0 };
    return { color: undefined, used: 0 };
  }
  const kind = Number(params[at + 1]);
  if (kind === 5 && params.length > at + 2) {
    return { color: byte(Number(params[at + 2] || 0)), used: 2 };
  }
  if (kind === 2 && params.length > at + 4) {
    const [r, g, b] = params.slice(at + 2, at + 5).map((p) => Number(p || 0));
    return { color: hex(r!, g!, b!), used: 4 };
  }
  // Malformed: skip what is there, as terminals do, rather than reading it as other codes.
  return { color: undefined, used: params.length - at - 1 };
}

/** The style after one SGR sequence (`ESC [ params m`). */
export function applySgr(style: AnsiStyle, paramText: string): AnsiStyle {
  const params = paramText === '' ? ['0'] : paramText.split(';');
  let next: { -readonly [K in keyof AnsiStyle]: AnsiStyle[K] } = { ...style };
  for (let i = 0; i < params.length; i++) {
    const param = params[i]!;
    const code = Number(param.split(':')[0] || 0);
    if (code === 0) next = {};
    else if (code === 1) next.bold = true;
    else if (code === 2) next.dim = true;
    else if (code === 3) next.italic = true;
    else if (code === 4) next.underline = param !== '4:0';
    else if (code === 7) next.inverse = true;
    else if (code === 22) next.bold = next.dim = false;
    else if (code === 23) next.italic = false;
    else if (code === 24) next.underline = false;
    else if (code === 27) next.inverse = false;
    else if (code >= 30 && code <= 37) next.fg = code - 30;
    else if (code >= 90 && code <= 97) next.fg = code - 90 + 8;
    else if (code >= 40 && code <= 47) next.bg = code - 40;
    else if (code >= 100 && code <= 107) next.bg = code - 100 + 8;
    else if (code === 39) next.fg = undefined;
    else if (code === 49) next.bg = undefined;
    else if (code === 38 || code === 48 || code === 58) {
      const { color, used } = extendedColor(params, i);
      i += used;
      if (code === 38 && color !== undefined) next.fg = color;
      if (code === 48 && color !== undefined) next.bg = color;
      // 58 (underline colour) is read only so its numbers are not taken as other codes.
    }
    // Anything else (blink, strike-through, fonts…) is left out.
  }
  const cleaned = Object.fromEntries(
    Object.entries(next).filter(([, v]) => v !== undefined && v !== false),
  ) as AnsiStyle;
  return Object.keys(cleaned).length === 0 ? PLAIN : cleaned;
}

/** Where a string-terminated sequence (OSC, DCS, SOS, PM, APC) ends: after BEL or ST. */
function endOfString(input: string, from: number): number {
  for (let j = from; j < input.length; j++) {
    const c = input.charCodeAt(j);
    if (c === BEL || c === C1_ST) return j + 1;
    if (c === ESC && input.charCodeAt(j + 1) === 0x5c) return j + 2;
  }
  return input.length;
}

/**
 * A CSI sequence from `from` (just after `ESC [`): its end, and its SGR parameters when it
 * is a plain SGR (`m` final, no private marker, no intermediates).
 */
function csi(input: string, from: number): { end: number; sgr?: string } {
  let j = from;
  while (j < input.length) {
    const c = input.charCodeAt(j);
    if (c >= 0x40 && c <= 0x7e) {
      const params = input.slice(from, j);
      const sgr = c === 0x6d && /^[\d;:]*$/.test(params) ? params : undefined;
      return sgr === undefined ? { end: j + 1 } : { end: j + 1, sgr };
    }
    // Parameter and intermediate bytes; anything else cuts the sequence short.
    if (c < 0x20 || c > 0x3f) return { end: j };
    j++;
  }
  return { end: input.length };
}

/** The text and styles of one line of terminal output. */
export function parseAnsi(input: string): AnsiSegment[] {
  const out: AnsiSegment[] = [];
  let style = PLAIN;
  /** A carriage return was seen: the next text overwrites the line (progress bars). */
  let returned = false;

  const emit = (text: string): void => {
    if (text === '') return;
    if (returned) {
      out.length = 0;
      returned = false;
    }
    const last = out[out.length - 1];
    if (last && sameStyle(last.style, style)) last.text += text;
    else out.push({ text, style });
  };

  let i = 0;
  let runStart = 0;
  while (i < input.length) {
    const c = input.charCodeAt(i);
    const control = c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f);
    if (!control || c === 0x09) {
      i++;
      continue;
    }
    emit(input.slice(runStart, i));
    if (c === ESC || c === C1_CSI || c === C1_OSC) {
      i = escapeEnd(input, i, (params) => (style = applySgr(style, params)));
    } else {
      if (c === 0x0d) returned = true;
      i++; // other controls (backspace, bell, form feed…) are dropped
    }
    runStart = i;
  }
  emit(input.slice(runStart));
  return out;
}

/** Where the escape sequence starting at `at` ends; SGR parameters go to `onSgr`. */
function escapeEnd(input: string, at: number, onSgr: (params: string) => void): number {
  const c = input.charCodeAt(at);
  if (c === C1_CSI) return csiEnd(input, at + 1, onSgr);
  if (c === C1_OSC) return endOfString(input, at + 1);
  const next = input.charCodeAt(at + 1);
  if (Number.isNaN(next)) return at + 1;
  if (next === 0x5b) return csiEnd(input, at + 2, onSgr); // [
  // ] OSC, P DCS, X SOS, ^ PM, _ APC: up to the string terminator.
  if (next === 0x5d || next === 0x50 || next === 0x58 || next === 0x5e || next === 0x5f) {
    return endOfString(input, at + 2);
  }
  if (next >= 0x20 && next <= 0x2f) {
    // ESC ( B and kin: intermediates, then one final byte.
    let j = at + 2;
    while (j < input.length && input.charCodeAt(j) >= 0x20 && input.charCodeAt(j) <= 0x2f) j++;
    return Math.min(j + 1, input.length);
  }
  if (next >= 0x30 && next <= 0x7e) return at + 2; // ESC 7, ESC c, ESC =…
  return at + 1; // a lone ESC
}

function csiEnd(input: string, from: number, onSgr: (params: string) => void): number {
  const { end, sgr } = csi(input, from);
  if (sgr !== undefined) onSgr(sgr);
  return end;
}

/** The text alone, as it would read in a terminal. */
export function stripAnsi(input: string): string {
  let text = '';
  for (const s of parseAnsi(input)) text += s.text;
  return text;
}

// ---------------------------------------------------------------------------------------
// Colours

/**
 * The 16 theme colours, light and dark (VS Code's terminal palettes: "white" is grey on a
 * light background so it stays readable), as `light-dark()` pairs that follow the
 * `color-scheme` the shell sets.
 */
const PALETTE: readonly (readonly [light: string, dark: string])[] = [
  ['#000000', '#000000'],
  ['#cd3131', '#cd3131'],
  ['#00bc00', '#0dbc79'],
  ['#949800', '#e5e510'],
  ['#0451a5', '#2472c8'],
  ['#bc05bc', '#bc3fbc'],
  ['#0598bc', '#11a8cd'],
  ['#555555', '#e5e5e5'],
  ['#666666', '#666666'],
  ['#cd3131', '#f14c4c'],
  ['#14ce14', '#23d18b'],
  ['#b5ba00', '#f5f543'],
  ['#0451a5', '#3b8eea'],
  ['#bc05bc', '#d670d6'],
  ['#0598bc', '#29b8db'],
  ['#a5a5a5', '#e5e5e5'],
];

/** CSS custom properties `--ansi-0` … `--ansi-15` for the element that holds the log. */
export function ansiPaletteVars(): Record<string, string> {
  return Object.fromEntries(
    PALETTE.map(([light, dark], n) => [`--ansi-${n}`, `light-dark(${light}, ${dark})`]),
  );
}

const CUBE = [0, 95, 135, 175, 215, 255];

/** A colour as CSS: the theme's 16 by variable, the rest of the 256 computed. */
export function ansiColor(color: AnsiColor): string {
  if (typeof color === 'string') return color;
  if (color < 16) return `var(--ansi-${color}, ${PALETTE[color]![1]})`;
  if (color < 232) {
    const n = color - 16;
    return hex(CUBE[Math.floor(n / 36)]!, CUBE[Math.floor(n / 6) % 6]!, CUBE[n % 6]!);
  }
  const grey = 8 + (color - 232) * 10;
  return hex(grey, grey, grey);
}

/** The inline style for a segment; undefined when it has none. */
export function ansiCss(style: AnsiStyle): Record<string, string> | undefined {
  if (style === PLAIN) return undefined;
  const css: Record<string, string> = {};
  let fg = style.fg === undefined ? undefined : ansiColor(style.fg);
  let bg = style.bg === undefined ? undefined : ansiColor(style.bg);
  if (style.inverse)
    [fg, bg] = [bg ?? 'var(--ansi-bg, Canvas)', fg ?? 'var(--ansi-fg, CanvasText)'];
  if (fg !== undefined) css.color = fg;
  if (bg !== undefined) css.backgroundColor = bg;
  if (style.bold) css.fontWeight = '700';
  if (style.dim) css.opacity = '0.7';
  if (style.italic) css.fontStyle = 'italic';
  if (style.underline) css.textDecoration = 'underline';
  return Object.keys(css).length === 0 ? undefined : css;
}
