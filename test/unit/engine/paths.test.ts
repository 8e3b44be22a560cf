import { describe, expect, it } from 'vitest';
import {
  mapToBackend,
  mapToPublic,
  matchesPrefix,
  removeDotSegments,
  splitRequestTarget,
} from '../../../src/engine/paths.js';

describe('paths', () => {
  it.each([
    ['/a/b/../c', '/a/c'],
    ['/app/../admin', '/admin'],
    ['/app/%2e%2e/admin', '/admin'],
    ['/app/.%2E/admin', '/admin'],
    ['/a/./b/', '/a/b/'],
    ['/a/..', '/'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/a//b/', '/a//b/'],
    ['/a%2Fb/c', '/a%2Fb/c'],
    ['/v1.2/file.tar.gz', '/v1.2/file.tar.gz'],
  ])('removeDotSegments(%s) = %s', (input, expected) => {
    expect(removeDotSegments(input)).toBe(expected);
  });

  it('splits origin-form targets only', () => {
    expect(splitRequestTarget('/a/../b?x=1&y=/../')).toEqual({ path: '/b', query: '?x=1&y=/../' });
    expect(splitRequestTarget('http://evil.example/')).toBeUndefined();
    expect(splitRequestTarget('*')).toBeUndefined();
  });

  it.each([
    ['/app', '/app', true],
    ['/app/', '/app', true],
    ['/app/x', '/app', true],
    ['/application', '/app', false],
    ['/ap', '/app', false],
    ['/anything', '/', true],
    ['/app', '/app/', false],
    ['/app/x', '/app/', true],
  ])('matchesPrefix(%s, %s) = %s', (path, prefix, expected) => {
    expect(matchesPrefix(path, prefix)).toBe(expected);
  });

  it.each([
    ['/app/page.html', '/app', '/app', '/app/page.html'],
    ['/app', '/app', '/app', '/app'],
    ['/api/users', '/api', '/v1/', '/v1/users'],
    ['/api/users', '/api', '/v1', '/v1/users'],
    ['/api', '/api', '/', '/'],
    ['/x/y', '/', '/', '/x/y'],
    ['//double//slash', '/', '/', '//double//slash'],
    ['/app//x', '/app', '/b', '/b//x'],
    ['/x', '/', '/base/', '/base/x'],
    ['/app/x', '/app/', '/other', '/other/x'],
  ])('mapToBackend(%s, %s, %s) = %s', (path, prefix, target, expected) => {
    expect(mapToBackend(path, prefix, target)).toBe(expected);
  });

  it.each([
    ['/app/login', '/app', '/app', '/app/login'],
    ['/v1/users', '/api', '/v1/', '/api/users'],
    ['/login', '/app', '/', '/app/login'],
    ['/other', '/api', '/v1', undefined],
    ['/v1', '/api', '/v1', '/api'],
    ['/', '/', '/', '/'],
  ])('mapToPublic(%s, %s, %s) = %s', (backend, prefix, target, expected) => {
    expect(mapToPublic(backend, prefix, target)).toBe(expected);
  });
});
