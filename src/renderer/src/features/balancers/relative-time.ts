/** "3 s ago", "12 min ago", "2 h ago": how the balancer view says when something happened. */
export function ago(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 1) return 'just now';
  if (s < 120) return `${s} s ago`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min ago`;
  return `${Math.round(min / 60)} h ago`;
}
