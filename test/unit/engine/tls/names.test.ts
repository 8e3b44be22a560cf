import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PERMITTED,
  InvalidHostnameError,
  OutsideConstraintsError,
  constraintsFor,
  describePermitted,
  normalizeHostname,
  permits,
} from '../../../../src/engine/tls/names.js';
import { leafFileStem } from '../../../../src/engine/tls/leaf-store.js';

describe('normalizeHostname', () => {
  it('lower-cases, drops a trailing dot, and converts IDNs to punycode', () => {
    expect(normalizeHostname('App.LocalHost.')).toBe('app.localhost');
    expect(normalizeHostname('bücher.test')).toBe('xn--bcher-kva.test');
  });

  it('keeps IP literals, unbracketed and in canonical IPv6 form', () => {
    expect(normalizeHostname('127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeHostname('[::1]')).toBe('::1');
    expect(normalizeHostname('0:0:0:0:0:0:0:1')).toBe('::1');
  });

  it('refuses wildcards and names that cannot be in a certificate', () => {
    expect(() => normalizeHostname('*.localhost')).toThrow(/wildcard.*exact hostname/);
    // The URL host parser would turn some of these into other names: a/b.test → a,
    // a%41.test → aa.test, 0x7f.1 → 127.0.0.1.
    const bad = ['', 'a..b', '-x.test', 'x_y.test', '../etc/passwd', 'a/b.test', 'x y'];
    bad.push('a%41.test', '0x7f.1', '1.2.3', 'a?b.localhost', 'a\\b.test');
    for (const name of bad) {
      expect(() => normalizeHostname(name), name).toThrow(InvalidHostnameError);
    }
    expect(() => normalizeHostname(`${'a'.repeat(64)}.test`)).toThrow(InvalidHostnameError);
  });
});

describe('permits (RFC 5280 name constraints as OpenSSL reads them)', () => {
  const p = DEFAULT_PERMITTED;

  it('covers localhost, its subdomains, .test names and loopback addresses', () => {
    for (const name of ['localhost', 'app.localhost', 'a.b.localhost', 'x.test', 'test']) {
      expect(permits(p, name), name).toBe(true);
    }
    for (const ip of ['127.0.0.1', '127.1.2.3', '::1']) expect(permits(p, ip), ip).toBe(true);
  });

  it('does not cover look-alikes or other addresses', () => {
    for (const name of ['example.com', 'notlocalhost', 'localhost.com', 'x.testing', 'test.com']) {
      expect(permits(p, name), name).toBe(false);
    }
    for (const ip of ['10.0.0.1', '128.0.0.1', '::2', '::ffff:7f00:1']) {
      expect(permits(p, ip), ip).toBe(false);
    }
  });

  it('reads a leading dot as subdomains only', () => {
    expect(permits(['.shop.example'], 'shop.example')).toBe(false);
    expect(permits(['.shop.example'], 'a.shop.example')).toBe(true);
    expect(permits(['shop.example'], 'shop.example')).toBe(true);
    expect(permits(['shop.example'], 'a.shop.example')).toBe(true);
    expect(permits(['shop.example'], 'xshop.example')).toBe(false);
  });

  it('answers for *.domain patterns: are all subdomains covered?', () => {
    expect(permits(p, '*.shop.test')).toBe(true);
    expect(permits(p, '*.shop.example')).toBe(false);
    expect(permits(['.shop.example'], '*.shop.example')).toBe(true);
    expect(permits(['a.shop.example'], '*.shop.example')).toBe(false);
  });
});

describe('constraintsFor', () => {
  it('is the defaults when no names are given', () => {
    expect(constraintsFor()).toEqual([...DEFAULT_PERMITTED]);
  });

  it('adds exact names, IPs and wildcard domains the defaults do not cover', () => {
    expect(
      constraintsFor([
        'App.Example.com',
        'app.localhost', // covered already
        '*.shop.test', // covered already
        '*.shop.example',
        'x.shop.example', // covered by the line before
        '192.168.1.5',
        'fd00::5',
      ]),
    ).toEqual([
      ...DEFAULT_PERMITTED,
      '.shop.example',
      '192.168.1.5/32',
      'app.example.com',
      'fd00::5/128',
      'shop.example',
    ]);
  });

  it('refuses single-label names, which would permit a whole top-level domain', () => {
    expect(() => constraintsFor(['com'])).toThrow(/single label/);
    expect(() => constraintsFor(['*.com'])).toThrow(/single label/);
    expect(() => constraintsFor(['*'])).toThrow(InvalidHostnameError);
  });
});

describe('messages and file names', () => {
  it('describes the constraints as users read them', () => {
    expect(describePermitted(DEFAULT_PERMITTED)).toBe(
      'localhost, *.localhost, test, *.test, 127.0.0.0/8, ::1',
    );
  });

  it('explains an outside name and what to do about it', () => {
    expect(new OutsideConstraintsError('example.com', DEFAULT_PERMITTED).message).toBe(
      "'example.com' is outside this CA's name constraints (localhost, *.localhost, test, " +
        '*.test, 127.0.0.0/8, ::1); add it to a TLS route and re-issue the CA ' +
        '(`switchyard ca reissue`; the new CA must be trusted again)',
    );
  });

  it('maps IPv6 literals to file names without colons', () => {
    expect(leafFileStem('app.localhost')).toBe('app.localhost');
    expect(leafFileStem('127.0.0.1')).toBe('127.0.0.1');
    expect(leafFileStem('::1')).toBe('ipv6___1');
  });
});
