/**
 * Light and dark themes. The app follows the OS (naive-ui's `useOsTheme`, i.e. the
 * `prefers-color-scheme` media query) unless the user picks one; the pick is remembered
 * in localStorage, which both hosts keep per origin.
 */
import { darkTheme, useOsTheme, type GlobalTheme, type GlobalThemeOverrides } from 'naive-ui';
import { computed, ref, watch, type ComputedRef, type Ref } from 'vue';

export const THEME_CHOICES = ['system', 'light', 'dark'] as const;
export type ThemeChoice = (typeof THEME_CHOICES)[number];

const STORAGE_KEY = 'switchyard.theme';

function storedChoice(): ThemeChoice {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return THEME_CHOICES.find((c) => c === value) ?? 'system';
  } catch {
    // Storage can be unavailable (privacy settings); the OS theme still works.
    return 'system';
  }
}

// One accent for both schemes, lighter in dark mode for contrast on dark surfaces
// (both pass WCAG AA for text on their background).
const ACCENT = { light: '#0b7d72', dark: '#4fd1c5' } as const;

function overrides(dark: boolean): GlobalThemeOverrides {
  const accent = dark ? ACCENT.dark : ACCENT.light;
  return {
    common: {
      primaryColor: accent,
      primaryColorHover: dark ? '#6ee0d5' : '#0a9a8c',
      primaryColorPressed: dark ? '#38b2a6' : '#086a61',
      primaryColorSuppl: accent,
      fontFamily:
        "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
      fontFamilyMono: "ui-monospace, 'SF Mono', 'Cascadia Mono', 'DejaVu Sans Mono', monospace",
    },
  };
}

export interface AppTheme {
  choice: Ref<ThemeChoice>;
  dark: ComputedRef<boolean>;
  theme: ComputedRef<GlobalTheme | null>;
  overrides: ComputedRef<GlobalThemeOverrides>;
}

export function useAppTheme(): AppTheme {
  const os = useOsTheme();
  const choice = ref<ThemeChoice>(storedChoice());
  watch(choice, (value) => {
    try {
      localStorage.setItem(STORAGE_KEY, value);
    } catch {
      // Not remembered; still applied for this session.
    }
  });
  const dark = computed(() =>
    choice.value === 'system' ? os.value === 'dark' : choice.value === 'dark',
  );
  return {
    choice,
    dark,
    theme: computed(() => (dark.value ? darkTheme : null)),
    overrides: computed(() => overrides(dark.value)),
  };
}
