/**
 * The hosts-file block: written in place of the old one or at the end, removed when no
 * hosts are left, every other line and the file's line endings kept, and nothing that is
 * not a hostname let in.
 */
import { describe, expect, it } from 'vitest';
import {
  HOSTS_BLOCK_BEGIN,
  HOSTS_BLOCK_END,
  HOSTS_FILE_PATH,
  hostsBlockOf,
  hostsFilePath,
  withHostsBlock,
} from '../../src/engine/apps/hosts-file.js';

const BEGIN = '# >>> switchyard apps (managed; edit apps in Switchyard) >>>';
const END = '# <<< switchyard apps <<<';

const SYSTEM = ['127.0.0.1 localhost', '::1 localhost', '# a comment', '', '10.0.0.5 nas.lan'];
const lf = (lines: string[]): string => `${lines.join('\n')}\n`;
const crlf = (lines: string[]): string => `${lines.join('\r\n')}\r\n`;

describe('withHostsBlock', () => {
  it('uses the documented marker lines', () => {
    expect(HOSTS_BLOCK_BEGIN).toBe(BEGIN);
    expect(HOSTS_BLOCK_END).toBe(END);
  });

  it('appends a block, sorted and deduplicated, each host on 127.0.0.1 and ::1', () => {
    const out = withHostsBlock(lf(SYSTEM), ['shop.localhost', 'api.localhost', 'shop.localhost']);
    expect(out).toBe(
      lf([
        ...SYSTEM,
        BEGIN,
        '127.0.0.1 api.localhost',
        '::1 api.localhost',
        '127.0.0.1 shop.localhost',
        '::1 shop.localhost',
        END,
      ]),
    );
  });

  it('replaces the block where it is, keeping the lines around it', () => {
    const before = lf([
      '# top',
      BEGIN,
      '127.0.0.1 old.localhost',
      '::1 old.localhost',
      END,
      '# bottom',
    ]);
    expect(withHostsBlock(before, ['new.localhost'])).toBe(
      lf(['# top', BEGIN, '127.0.0.1 new.localhost', '::1 new.localhost', END, '# bottom']),
    );
  });

  it('removes the block entirely when no hosts are left', () => {
    const with_ = withHostsBlock(lf(SYSTEM), ['shop.localhost']);
    expect(with_).toContain(BEGIN);
    expect(withHostsBlock(with_, [])).toBe(lf(SYSTEM));
    expect(withHostsBlock(lf(SYSTEM), [])).toBe(lf(SYSTEM));
  });

  it('keeps CRLF line endings of a Windows file', () => {
    const out = withHostsBlock(crlf(SYSTEM), ['shop.localhost']);
    expect(out).toBe(
      crlf([...SYSTEM, BEGIN, '127.0.0.1 shop.localhost', '::1 shop.localhost', END]),
    );
    expect(out.replaceAll('\r\n', '')).not.toContain('\n');
    expect(withHostsBlock(out, [])).toBe(crlf(SYSTEM));
  });

  it('keeps a missing final newline missing, and round-trips', () => {
    const text = '127.0.0.1 localhost';
    const out = withHostsBlock(text, ['a.localhost']);
    expect(out).toBe(
      ['127.0.0.1 localhost', BEGIN, '127.0.0.1 a.localhost', '::1 a.localhost', END].join('\n'),
    );
    expect(withHostsBlock(out, [])).toBe(text);
  });

  it('writes into an empty file with a final newline, and empties it again', () => {
    const out = withHostsBlock('', ['a.localhost']);
    expect(out).toBe(lf([BEGIN, '127.0.0.1 a.localhost', '::1 a.localhost', END]));
    expect(withHostsBlock(out, [])).toBe('');
  });

  it('lowercases hosts, so case variants are one host', () => {
    expect(hostsBlockOf(withHostsBlock('', ['Shop.Localhost', 'shop.localhost']))).toEqual([
      'shop.localhost',
    ]);
  });

  it('merges duplicate blocks into the first one', () => {
    const text = lf([
      '# a',
      BEGIN,
      '127.0.0.1 x.localhost',
      END,
      '# b',
      BEGIN,
      '::1 y.localhost',
      END,
      '# c',
    ]);
    expect(withHostsBlock(text, ['z.localhost'])).toBe(
      lf(['# a', BEGIN, '127.0.0.1 z.localhost', '::1 z.localhost', END, '# b', '# c']),
    );
  });

  it('keeps lines below a block whose end marker was lost', () => {
    const text = lf([
      BEGIN,
      '127.0.0.1 x.localhost',
      '::1 x.localhost',
      '# mine',
      '10.0.0.1 mine.lan',
    ]);
    expect(withHostsBlock(text, [])).toBe(lf(['# mine', '10.0.0.1 mine.lan']));
  });

  it('recognises marker lines with stray surrounding spaces', () => {
    const text = lf([`  ${BEGIN}`, '127.0.0.1 x.localhost', `${END}  `, '# mine']);
    expect(withHostsBlock(text, [])).toBe(lf(['# mine']));
  });

  it.each([
    ['a newline', 'evil.localhost\n0.0.0.0 bank.example'],
    ['a space', 'a.localhost b.localhost'],
    ['a comment', 'a.localhost#'],
    ['an empty label', 'a..localhost'],
    ['a leading dash', '-a.localhost'],
    ['an underscore', 'a_b.localhost'],
    ['a label over 63', `${'a'.repeat(64)}.localhost`],
    ['a name over 253', `${Array(4).fill('a'.repeat(63)).join('.')}.localhost`],
    ['nothing', ''],
    ['an IP-looking name with a colon', '::1'],
  ])('rejects a host with %s', (_what, host) => {
    expect(() => withHostsBlock('', ['ok.localhost', host])).toThrow(/not a valid hostname/);
  });

  it('accepts the longest labels and names', () => {
    const label = 'a'.repeat(63);
    const host = `${label}.${label}.${label}.localhost`;
    expect(hostsBlockOf(withHostsBlock('', [host]))).toEqual([host]);
  });
});

describe('hostsBlockOf', () => {
  it('lists the hosts of the block only, sorted, once', () => {
    const text = lf([
      '127.0.0.1 outside.localhost',
      BEGIN,
      '127.0.0.1 b.localhost',
      '::1 b.localhost',
      '127.0.0.1 a.localhost  # note',
      '# 127.0.0.1 commented.localhost',
      END,
    ]);
    expect(hostsBlockOf(text)).toEqual(['a.localhost', 'b.localhost']);
  });

  it('is empty without a block', () => {
    expect(hostsBlockOf(lf(SYSTEM))).toEqual([]);
    expect(hostsBlockOf('')).toEqual([]);
  });

  it('reads what withHostsBlock wrote, CRLF too', () => {
    const hosts = ['z.localhost', 'feature-x.shop.localhost', 'shop.localhost'];
    expect(hostsBlockOf(withHostsBlock(crlf(SYSTEM), hosts))).toEqual([...hosts].sort());
  });
});

describe('hosts file path', () => {
  it('is /etc/hosts outside Windows', () => {
    expect(hostsFilePath('linux', {})).toBe('/etc/hosts');
    expect(hostsFilePath('darwin', {})).toBe('/etc/hosts');
  });

  it('follows SystemRoot on Windows', () => {
    expect(hostsFilePath('win32', { SystemRoot: 'D:\\Win' })).toBe(
      'D:\\Win\\System32\\drivers\\etc\\hosts',
    );
    expect(hostsFilePath('win32', {})).toBe('C:\\Windows\\System32\\drivers\\etc\\hosts');
  });

  it('HOSTS_FILE_PATH is this platform’s', () => {
    expect(HOSTS_FILE_PATH).toBe(hostsFilePath(process.platform, process.env));
    if (process.platform !== 'win32') expect(HOSTS_FILE_PATH).toBe('/etc/hosts');
  });
});
