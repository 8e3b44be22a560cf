/**
 * The theme's colours as CSS custom properties (`--sy-*`) for the app's own markup
 * (tables, the traffic list, the status bar), so plain elements follow light and dark
 * exactly like naive-ui's components do.
 */
import type { ThemeCommonVars } from 'naive-ui';

/** `#rrggbb` (or `#rgb`) with an alpha, as rgba(); other colour forms pass unchanged. */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color)?.[1];
  if (!hex) return color;
  const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
  const n = Number.parseInt(full, 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export function shellColors(vars: ThemeCommonVars, dark: boolean): Record<string, string> {
  return {
    '--sy-text-1': vars.textColor1,
    '--sy-text-2': vars.textColor2,
    '--sy-text-3': vars.textColor3,
    '--sy-border': vars.borderColor,
    '--sy-divider': vars.dividerColor,
    '--sy-hover': vars.hoverColor,
    '--sy-body': vars.bodyColor,
    '--sy-surface': vars.cardColor,
    // The navigation and status bar sit one step off the body colour.
    '--sy-surface-2': dark ? '#1b1d21' : '#f3f5f7',
    '--sy-input-bg': vars.inputColor,
    '--sy-code-bg': vars.codeColor,
    '--sy-accent': vars.primaryColor,
    '--sy-accent-soft': withAlpha(vars.primaryColor, dark ? 0.16 : 0.1),
    '--sy-selected': withAlpha(vars.primaryColor, dark ? 0.24 : 0.16),
    '--sy-success': vars.successColor,
    '--sy-warning': vars.warningColor,
    '--sy-error': vars.errorColor,
    '--sy-info': vars.infoColor,
    '--sy-mono': vars.fontFamilyMono,
    '--sy-font': vars.fontFamily,
    // Native controls (select popups, scrollbars) follow the app's theme, not only the OS.
    'color-scheme': dark ? 'dark' : 'light',
  };
}
