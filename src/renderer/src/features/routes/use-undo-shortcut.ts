/**
 * Ctrl+Z / Cmd+Z undoes the last edit of the draft, Shift (or Ctrl+Y) redoes — except
 * while typing in a field, where the browser's own text undo is what the user means.
 */
import { onMounted, onUnmounted } from 'vue';

function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function useUndoShortcut(actions: { undo(): void; redo(): void }): void {
  const onKeydown = (event: KeyboardEvent): void => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || isTextEntry(event.target)) return;
    const key = event.key.toLowerCase();
    if (key === 'z' && !event.shiftKey) actions.undo();
    else if ((key === 'z' && event.shiftKey) || (key === 'y' && event.ctrlKey)) actions.redo();
    else return;
    event.preventDefault();
  };
  onMounted(() => window.addEventListener('keydown', onKeydown));
  onUnmounted(() => window.removeEventListener('keydown', onKeydown));
}
