import { describe, expect, it } from 'vitest';
import { lex } from '../../../../src/engine/apache/lexer.js';
import { parseApache } from '../../../../src/engine/apache/parse.js';

describe('Apache lexer', () => {
  it('joins continuation lines and keeps the first line number', () => {
    const { lines } = lex(
      '# comment\n\nProxyPass /app \\\n    http://127.0.0.1:3000/app \\\n  timeout=5\nProxyTimeout 9\n',
    );
    expect(lines.map((l) => [l.line, l.name, l.args])).toEqual([
      [3, 'ProxyPass', ['/app', 'http://127.0.0.1:3000/app', 'timeout=5']],
      [6, 'ProxyTimeout', ['9']],
    ]);
  });

  it('reads double- and single-quoted words with escaped quotes', () => {
    const { lines } = lex(`RequestHeader set X-Note "say \\"hi\\" now" 'it''s'\n`);
    expect(lines[0]?.args).toEqual(['set', 'X-Note', 'say "hi" now', 'it', 's']);
  });

  it('tells sections from directives and strips quotes in section arguments', () => {
    const { lines } = lex('<Location "/balancer-manager">\n</Location>\n');
    expect(lines.map((l) => [l.kind, l.name, l.args])).toEqual([
      ['open', 'Location', ['/balancer-manager']],
      ['close', 'Location', []],
    ]);
  });

  it('keeps what follows # after a directive apart, because Apache would not', () => {
    const { lines } = lex('Require ip 192.168.1.0/24 # internal only\n');
    expect(lines[0]?.args).toEqual(['ip', '192.168.1.0/24']);
    expect(lines[0]?.trailingComment).toBe('# internal only');
  });

  it('reads an unclosed quote to the end of the line, as httpd does, with a warning', () => {
    const { lines, problems, warnings } = lex('Header set X "open value\n');
    expect(lines[0]?.args).toEqual(['set', 'X', 'open value']);
    expect(problems).toEqual([]);
    expect(warnings).toEqual([
      {
        line: 1,
        message: 'the double quote is not closed; read to the end of the line, as httpd does',
      },
    ]);
  });

  it('reports a section line without >', () => {
    const { problems } = lex('<Proxy *\n');
    expect(problems).toEqual([{ line: 1, message: "'<Proxy *' has no closing '>'" }]);
  });
});

describe('Apache parser', () => {
  it('nests sections and records where they end', () => {
    const r = parseApache(
      '<VirtualHost *:80>\n  <Proxy *>\n    Require all granted\n  </Proxy>\n</VirtualHost>\n',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const vhost = r.directives[0];
    expect(vhost).toMatchObject({ key: 'virtualhost', args: ['*:80'], line: 1, endLine: 5 });
    expect(vhost?.children?.[0]).toMatchObject({ key: 'proxy', args: ['*'], endLine: 4 });
    expect(vhost?.children?.[0]?.children?.[0]).toMatchObject({ name: 'Require', line: 3 });
  });

  it('matches section names case-insensitively, as Apache does', () => {
    expect(parseApache('<location /x>\n</LOCATION>\n').ok).toBe(true);
  });

  it('reports unclosed, mismatched and stray closing sections with their lines', () => {
    const r = parseApache(
      '<VirtualHost *:80>\n<Location /a>\n</Proxy>\n</Location>\n</Directory>\n',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      { line: 1, message: '<VirtualHost> is never closed (add </VirtualHost>)' },
      { line: 3, message: '</Proxy> does not match <Location> opened on line 2' },
      { line: 5, message: '</Directory> does not match <VirtualHost> opened on line 1' },
    ]);
    const stray = parseApache('ProxyRequests Off\n</Proxy>\n');
    expect(stray.ok ? [] : stray.problems).toEqual([
      { line: 2, message: '</Proxy> closes no open section' },
    ]);
  });
});
