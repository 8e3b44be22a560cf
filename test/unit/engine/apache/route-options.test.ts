/**
 * Apache settings that become per-route options of the routing file: AllowEncodedSlashes
 * (→ encodedSlashes) at server and virtual-host scope, and header rules on message
 * framing (Content-Length, Transfer-Encoding), which a route may not have.
 */
import { describe, expect, it } from 'vitest';
import { importApacheText } from '../../../../src/engine/apache/to-routing.js';
import { importToYaml } from '../../../../src/engine/apache/to-yaml.js';
import { parseRoutingText } from '../../../../src/engine/config-file.js';
import { imported, lines, warnings } from '../../../support/apache-import.js';

describe('Apache import: AllowEncodedSlashes', () => {
  it.each([
    ['On', 'decode'],
    ['NoDecode', 'passthrough'],
    ['nodecode', 'passthrough'],
    ['Off', undefined],
  ])('maps AllowEncodedSlashes %s to encodedSlashes: %s', (value, expected) => {
    const v = imported(
      lines(
        'Listen 127.0.0.1:8080',
        '<VirtualHost *:8080>',
        `  AllowEncodedSlashes ${value}`,
        '  ProxyPass /app http://127.0.0.1:3000/app',
        '</VirtualHost>',
      ),
    );
    expect(v.config.routes[0]?.encodedSlashes).toBe(expected);
    expect('encodedSlashes' in (v.input.routes?.[0] ?? {})).toBe(expected !== undefined);
    expect(warnings(v)).not.toContainEqual(expect.stringMatching(/AllowEncodedSlashes/));
  });

  it('leaves routes at Apache’s default (Off: 404) without the directive', () => {
    const v = imported(lines('Listen 127.0.0.1:8080', 'ProxyPass / http://127.0.0.1:1/'));
    expect(v.config.routes[0]?.encodedSlashes).toBeUndefined();
  });

  it('gives virtual hosts the main server’s setting unless they have their own, Off included', () => {
    const v = imported(
      lines(
        'Listen 127.0.0.1:8080',
        'AllowEncodedSlashes NoDecode',
        'ProxyPass /main http://127.0.0.1:9/main',
        '<VirtualHost *:8080>',
        '  ServerName inherits.test',
        '  ProxyPass / http://127.0.0.1:1/',
        '</VirtualHost>',
        '<VirtualHost *:8080>',
        '  ServerName on.test',
        '  AllowEncodedSlashes On',
        '  ProxyPass / http://127.0.0.1:2/',
        '</VirtualHost>',
        '<VirtualHost *:8080>',
        '  ServerName off.test',
        '  AllowEncodedSlashes Off',
        '  ProxyPass / http://127.0.0.1:3/',
        '</VirtualHost>',
      ),
    );
    expect(v.config.routes.map((r) => [r.match.host, r.to, r.encodedSlashes])).toEqual([
      ['on.test', 'http://127.0.0.1:9/main', 'decode'],
      ['on.test', 'http://127.0.0.1:2/', 'decode'],
      ['off.test', 'http://127.0.0.1:9/main', undefined],
      ['off.test', 'http://127.0.0.1:3/', undefined],
      [undefined, 'http://127.0.0.1:9/main', 'passthrough'],
      [undefined, 'http://127.0.0.1:1/', 'passthrough'],
    ]);
  });

  it('keeps the setting on a route split by a <Location>, and names the line in the YAML', () => {
    const v = imported(
      lines(
        'Listen 127.0.0.1:8080',
        'AllowEncodedSlashes On',
        'ProxyPass /app http://127.0.0.1:1/app',
        '<Location /app/admin>',
        '  RequestHeader set X-Admin 1',
        '</Location>',
      ),
    );
    expect(v.config.routes.map((r) => [r.match.path, r.encodedSlashes])).toEqual([
      ['/app/admin', 'decode'],
      ['/app', 'decode'],
    ]);
    const yaml = importToYaml(v, 'httpd.conf');
    expect(yaml).toContain('# httpd.conf:2 AllowEncodedSlashes On');
    const back = parseRoutingText(yaml, 'switchyard.yaml');
    expect(back.ok && back.config.routes.map((r) => r.encodedSlashes)).toEqual([
      'decode',
      'decode',
    ]);
  });

  it('reports a value Apache does not know, and AllowEncodedSlashes inside <Location>', () => {
    const v = imported(
      lines(
        'Listen 127.0.0.1:8080',
        'AllowEncodedSlashes Yes',
        'ProxyPass /app http://127.0.0.1:1/app',
        '<Location /app>',
        '  AllowEncodedSlashes On',
        '</Location>',
      ),
    );
    expect(v.config.routes[0]?.encodedSlashes).toBeUndefined();
    expect(warnings(v)).toEqual(
      expect.arrayContaining([
        '2: AllowEncodedSlashes needs On, Off or NoDecode; ignored',
        '5: AllowEncodedSlashes is not allowed in <Location> (Apache would refuse it); ignored',
      ]),
    );
  });
});

describe('Apache import: header rules on message framing', () => {
  it('drops RequestHeader and Header rules on Content-Length and Transfer-Encoding with a warning', () => {
    const v = imported(
      lines(
        'Listen 127.0.0.1:8080',
        'RequestHeader set Content-Length 0',
        'RequestHeader unset transfer-encoding',
        'Header always set Transfer-Encoding chunked',
        'Header unset Content-Length',
        'Header append Content-Length 5',
        'RequestHeader set X-Kept yes',
        'ProxyPass / http://127.0.0.1:1/',
      ),
    );
    expect(v.config.routes[0]?.headers).toEqual({
      request: { set: { 'X-Kept': 'yes' }, remove: [] },
      response: { set: {}, remove: [] },
    });
    expect(warnings(v)).toEqual(
      expect.arrayContaining([
        '2: RequestHeader set Content-Length: Content-Length is message framing, which Switchyard sets from the body it forwards, so a route may neither set nor remove it; ignored',
        expect.stringMatching(/^3: RequestHeader unset transfer-encoding: .*message framing/),
        expect.stringMatching(/^4: Header set Transfer-Encoding: .*message framing/),
        expect.stringMatching(/^5: Header unset Content-Length: .*message framing/),
        expect.stringMatching(/^6: Header append Content-Length: .*message framing/),
      ]),
    );
  });

  it('drops them inside <Location> and <VirtualHost> too, so the file still loads', () => {
    const r = importApacheText(
      lines(
        'Listen 127.0.0.1:8080',
        '<VirtualHost *:8080>',
        '  RequestHeader unset Content-Length',
        '  ProxyPass /up http://127.0.0.1:1/up',
        '  <Location /up/big>',
        '    RequestHeader set Transfer-Encoding chunked',
        '  </Location>',
        '</VirtualHost>',
      ),
      'httpd.conf',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // With its only rule dropped, the <Location> changes nothing: no route is split for it.
    expect(r.value.config.routes.map((x) => [x.match.path, x.headers.request])).toEqual([
      ['/up', { set: {}, remove: [] }],
    ]);
    expect(warnings(r.value).filter((w) => w.includes('message framing'))).toHaveLength(2);
  });
});

describe('Apache import: HTTP/2 backends (mod_proxy_http2)', () => {
  it('keeps h2c:// and h2:// targets of ProxyPass and BalancerMember, and the YAML loads', () => {
    const v = imported(
      lines(
        'Listen 127.0.0.1:8080',
        'ProxyPass /grpc h2c://127.0.0.1:50051/',
        'ProxyPass /secure h2://localhost:8443/api',
        '<Proxy balancer://h2pool>',
        '  BalancerMember h2c://127.0.0.1:50061',
        '  BalancerMember h2c://127.0.0.1:50062',
        '</Proxy>',
        'ProxyPass /pool balancer://h2pool/',
      ),
    );
    expect(v.config.routes.map((r) => r.to)).toEqual([
      'h2c://127.0.0.1:50051/',
      'h2://localhost:8443/api',
      'balancer://h2pool/',
    ]);
    expect(v.config.balancers[0]?.members.map((m) => m.url)).toEqual([
      'h2c://127.0.0.1:50061',
      'h2c://127.0.0.1:50062',
    ]);
    expect(warnings(v).filter((w) => /not supported/.test(w))).toEqual([]);
    expect(parseRoutingText(importToYaml(v, 'httpd.conf'), 'switchyard.yaml').ok).toBe(true);
  });
});
