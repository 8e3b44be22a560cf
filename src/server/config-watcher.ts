/**
 * Watches the routing file and applies valid edits live. Editors save in different ways
 * (write in place, or write a temporary file and rename it over), so the folder is
 * watched, not the file, and bursts of events are coalesced.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export function watchFile(path: string, onChange: () => void, debounceMs = 150): () => void {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dirname(path), (_event, filename) => {
    if (filename !== null && filename !== name) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  watcher.on('error', () => {
    // The folder went away; the running configuration stays as it is.
  });
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
