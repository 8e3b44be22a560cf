/**
 * The renderer's Content Security Policy. It is written twice on purpose: as the meta tag
 * in src/renderer/index.html (which is what applies to a file:// page, and what the
 * headless command serves to a browser) and as a response header main sets on every
 * response in the app's session. A page gets the intersection of both, so the header may
 * only narrow the meta tag, never widen it (csp.test.ts checks that):
 *   - `connect-src 'self'`: the desktop app talks to the engine over IPC and opens no
 *     socket, so the meta tag's loopback WebSocket origins (for the headless command's
 *     bridge) are withdrawn; a compromised page cannot reach other local services.
 *   - `frame-ancestors 'none'`, which browsers ignore in a meta tag.
 *
 * `style-src 'unsafe-inline'`: Vue's transitions and the component kit set inline styles;
 * scripts stay 'self' only.
 */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export const HEADER_CSP = [
  ...RENDERER_CSP.split('; ').filter((d) => !d.startsWith('connect-src ')),
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Directive name → its sources, for comparing policies written in different orders. */
export function parseCsp(policy: string): Map<string, string> {
  const directives = new Map<string, string>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources.join(' '));
  }
  return directives;
}

/** Response headers with our CSP in place of any the response had. */
export function withCsp(
  headers: Record<string, string[]> | undefined,
  policy = HEADER_CSP,
): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') result[name] = value;
  }
  result['Content-Security-Policy'] = [policy];
  return result;
}
