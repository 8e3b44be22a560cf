/**
 * The app's views as the shell knows them: a key (kept in the URL's `?view=`, so a
 * reload or a shared link opens the same view), a label for the navigation, and the
 * component. The shell does not import the features; App.vue lists them.
 */
import { inject, type Component, type InjectionKey } from 'vue';

export interface AppView {
  key: string;
  label: string;
  /** One line for the navigation's tooltip and for screen readers. */
  description: string;
  icon: 'routes' | 'traffic' | 'apps' | 'balancers' | 'certificates';
  component: Component;
}

const PARAM = 'view';

export function viewFromUrl(views: readonly AppView[], fallback: string): string {
  const key = new URLSearchParams(window.location.search).get(PARAM);
  return views.some((v) => v.key === key) && key !== null ? key : fallback;
}

/** Remember the view in the URL without a navigation (the hash holds the UI token). */
export function writeViewToUrl(key: string): void {
  const url = new URL(window.location.href);
  url.searchParams.set(PARAM, key);
  window.history.replaceState(window.history.state, '', url);
}

/**
 * Open another view from inside one (the Apps view's "Traffic" link). App.vue provides
 * it; outside the app (a view mounted alone) it does nothing.
 */
export const OPEN_VIEW_KEY: InjectionKey<(key: string) => void> = Symbol('open-view');

export function useOpenView(): (key: string) => void {
  return inject(OPEN_VIEW_KEY, () => undefined);
}
