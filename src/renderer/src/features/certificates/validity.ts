/** How a certificate's validity reads to a person: dates, and how long is left. */
export function formatDate(ms: number): string {
  return new Date(ms).toLocaleDateString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
  });
}

const DAY_MS = 86_400_000;

export function describeRemaining(notAfter: number, now = Date.now()): string {
  const days = Math.floor((notAfter - now) / DAY_MS);
  if (notAfter <= now) return 'expired';
  if (days < 1) return 'expires today';
  if (days < 60) return `${days} day${days === 1 ? '' : 's'} left`;
  const months = Math.floor(days / 30);
  if (months < 24) return `${months} months left`;
  return `${Math.floor(days / 365)} years left`;
}
