/**
 * Who may reach the headless UI (SPEC §7: the UI's API is not reachable from web pages).
 *
 * - The access token, 32 random bytes per run, is only in the URL `switchyard` prints,
 *   after `#`, so the browser never sends it in a request line, a log or a Referer; the
 *   page hands it to the WebSocket upgrade. Every upgrade without it is refused.
 * - The Host header must name this server by a loopback name and its port. A web page
 *   that rebinds its own DNS name to 127.0.0.1 still sends its own name as Host, so DNS
 *   rebinding cannot reach even the static files.
 * - A browser's WebSocket upgrade always carries the page's Origin; only the UI's own
 *   origins pass. Non-browser clients (tests, scripts) send none and need the token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh token: 32 random bytes, base64url (43 characters, URL- and fragment-safe). */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison; hashing first makes the time independent of the lengths too. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string' || given === '') return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(given));
}

/** Host header values that name this server: loopback names with exactly this port. */
export function allowedHosts(port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

export function hostAllowed(host: string | undefined, port: number): boolean {
  return host !== undefined && allowedHosts(port).has(host.toLowerCase());
}

/** The page origins of the UI itself. */
export function allowedOrigins(port: number): ReadonlySet<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
}

/** No Origin (not a browser) passes; a browser's must be the UI's own. */
export function originAllowed(origin: string | undefined, port: number): boolean {
  return origin === undefined || allowedOrigins(port).has(origin.toLowerCase());
}
