/**
 * The headless UI's access rules as tables: the token, the Host names and the Origins
 * that pass, and the request paths the static server maps into its root.
 */
import { describe, expect, it } from 'vitest';
import { resolveRequestPath } from '../../../src/server/static-files.js';
import {
  hostAllowed,
  newAccessToken,
  originAllowed,
  tokenMatches,
} from '../../../src/server/ui-access.js';

describe('access token', () => {
  it('is 32 random bytes in base64url, fresh each time', () => {
    const a = newAccessToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(newAccessToken()).not.toBe(a);
  });

  it.each([
    ['the token', (t: string) => t, true],
    ['nothing', () => null, false],
    ['empty', () => '', false],
    ['a prefix', (t: string) => t.slice(0, 20), false],
    ['a longer string', (t: string) => `${t}=`, false],
    ['another token', () => newAccessToken(), false],
  ])('matches %s: %s', (_name, given, ok) => {
    const token = newAccessToken();
    expect(tokenMatches(token, given(token))).toBe(ok);
  });
});

describe('Host and Origin', () => {
  it.each([
    ['127.0.0.1:7070', true],
    ['localhost:7070', true],
    ['LOCALHOST:7070', true],
    ['[::1]:7070', true],
    ['127.0.0.1', false],
    ['127.0.0.1:7071', false],
    ['localhost.evil.test:7070', false],
    ['evil.test:7070', false],
    ['0.0.0.0:7070', false],
    [undefined, false],
  ])('Host %s → %s', (host, ok) => {
    expect(hostAllowed(host, 7070)).toBe(ok);
  });

  it.each([
    [undefined, true],
    ['http://127.0.0.1:7070', true],
    ['http://localhost:7070', true],
    ['https://127.0.0.1:7070', false],
    ['http://127.0.0.1:7071', false],
    ['http://evil.test', false],
    ['null', false],
    ['file://', false],
  ])('Origin %s → %s', (origin, ok) => {
    expect(originAllowed(origin, 7070)).toBe(ok);
  });
});

describe('request paths', () => {
  it.each([
    ['/', ['index.html']],
    ['/?x=1', ['index.html']],
    ['/traffic', ['index.html']],
    ['/assets/', ['index.html']],
    ['/assets/index-1.js', ['assets', 'index-1.js']],
    ['//assets//index-1.js', ['assets', 'index-1.js']],
    ['/assets/a%20b.css', ['assets', 'a b.css']],
  ])('%s → %j', (url, segments) => {
    expect(resolveRequestPath(url)).toEqual({ ok: true, segments });
  });

  it.each([
    '/../package.json',
    '/./index.html',
    '/%2e%2e/package.json',
    '/assets/..%2fx.js',
    '/..%5cx.js',
    '/.env',
    '/x%00.js',
    '/C:%5cx.js',
    '/%E0%A4%A',
    '*',
  ])('%s is refused', (url) => {
    expect(resolveRequestPath(url).ok).toBe(false);
  });
});
