/**
 * Select an exchange as soon as the list has it. A resend answers with the new exchange's
 * id, but the exchange itself reaches the list with the next batch, and selecting an id
 * the store does not hold yet is undone at its next frame. Gives up when the user selects
 * something else meanwhile, or after 15 s (capture paused, or the log rolled over).
 */
import { onScopeDispose, watch } from 'vue';
import { useTrafficStore } from '../../stores/traffic.js';

const GIVE_UP_MS = 15_000;

export function useSelectWhenListed(): (id: number) => void {
  const traffic = useTrafficStore();
  let stop: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function cancel(): void {
    stop?.();
    stop = undefined;
    clearTimeout(timer);
  }
  onScopeDispose(cancel);

  return (id) => {
    cancel();
    // New exchanges go on top, so this finds a fresh one at once.
    const listed = (): boolean => traffic.entries.some((e) => e.id === id);
    if (listed()) {
      traffic.select(id);
      return;
    }
    const from = traffic.selectedId;
    stop = watch(
      () => [traffic.entries, traffic.selectedId] as const,
      ([, selected]) => {
        if (selected !== from) cancel();
        else if (listed()) {
          cancel();
          traffic.select(id);
        }
      },
    );
    timer = setTimeout(cancel, GIVE_UP_MS);
  };
}
