/**
 * A subscription any number of views can hold: the first `start()` opens it, the last
 * stop closes it, and each stop function works once. Stores use it so a view can simply
 * start on mount and stop on unmount.
 */
export function sharedSubscription(open: () => () => void): () => () => void {
  let holders = 0;
  let close: (() => void) | undefined;
  return () => {
    holders++;
    if (holders === 1) close = open();
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      holders--;
      if (holders === 0) {
        close?.();
        close = undefined;
      }
    };
  };
}
