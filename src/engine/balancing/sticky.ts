/**
 * Sticky sessions as Apache mod_proxy_balancer does them: the session id carries the
 * member's route after a dot (`JSESSIONID=abc123.2` → route `2`), found in the
 * `;jsessionid=` path parameter or the `jsessionid` query parameter first, then in the
 * cookie. URL parameter names match case-insensitively, the cookie name exactly.
 */

export interface StickyRoute {
  route: string;
  source: 'cookie' | 'path parameter' | 'query parameter';
  /** The whole session id, `abc123.2`. */
  session: string;
}

function routeOf(sessionId: string): string | undefined {
  const dot = sessionId.indexOf('.');
  if (dot === -1 || dot === sessionId.length - 1) return undefined;
  return sessionId.slice(dot + 1);
}

/** A malformed %-escape is taken as written rather than failing the request. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function escape(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class StickySession {
  readonly name: string;
  readonly #pathParam: RegExp;
  readonly #queryParam: RegExp;

  constructor(name: string) {
    this.name = name;
    this.#pathParam = new RegExp(`;${escape(name)}=([^;/?]*)`, 'i');
    this.#queryParam = new RegExp(`[?&]${escape(name)}=([^&#]*)`, 'i');
  }

  find(
    path: string,
    query: string,
    cookieHeader: string | string[] | undefined,
  ): StickyRoute | undefined {
    const fromPath = this.#pathParam.exec(path)?.[1];
    if (fromPath) {
      const route = routeOf(fromPath);
      if (route) return { route, source: 'path parameter', session: fromPath };
    }
    const fromQuery = this.#queryParam.exec(query)?.[1];
    if (fromQuery) {
      const session = safeDecode(fromQuery);
      const route = routeOf(session);
      if (route) return { route, source: 'query parameter', session };
    }
    const cookies = Array.isArray(cookieHeader) ? cookieHeader.join('; ') : (cookieHeader ?? '');
    for (const pair of cookies.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1 || pair.slice(0, eq).trim() !== this.name) continue;
      const session = pair
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, '');
      const route = routeOf(session);
      if (route) return { route, source: 'cookie', session };
    }
    return undefined;
  }
}
