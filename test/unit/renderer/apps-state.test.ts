/**
 * How apps read in the view (tags, sentences, which controls apply) and the log search
 * (which lines match, where matches cut the coloured segments).
 */
import { describe, expect, it } from 'vitest';
import {
  appControls,
  appSentence,
  appSource,
  appTag,
  instanceSentence,
  RUN_ONLY_REASONS,
  sortedUrls,
} from '../../../src/renderer/src/features/apps/app-state.js';
import { parseAnsi } from '../../../src/renderer/src/features/apps/ansi.js';
import {
  lineMatches,
  markMatches,
  searchPattern,
} from '../../../src/renderer/src/features/apps/log-search.js';
import { fakeApp, fakeLines } from './apps-fixtures.js';

describe('app state', () => {
  it.each([
    ['stopped', 'Stopped', 'default'],
    ['starting', 'Starting', 'info'],
    ['up', 'Up', 'success'],
    ['unhealthy', 'Unhealthy', 'warning'],
    ['restarting', 'Restarting', 'warning'],
    ['crashed', 'Crashed', 'error'],
    ['alias', 'Alias', 'info'],
  ] as const)('shows %s as a %s tag', (state, label, type) => {
    expect(appTag(fakeApp({ name: 'shop', state }))).toEqual({ label, type });
  });

  it('names the exit code or signal of an app that exited', () => {
    expect(
      appTag(fakeApp({ name: 'a', instances: [{ state: 'exited', exitCode: 3 }] })).label,
    ).toBe('Exited (code 3)');
    expect(
      appTag(
        fakeApp({ name: 'a', instances: [{ state: 'exited', exitCode: null, signal: 'SIGKILL' }] }),
      ).label,
    ).toBe('Exited (SIGKILL)');
  });

  it("prefers the engine's sentence and makes one otherwise", () => {
    const app = fakeApp({
      name: 'shop',
      instances: [{ state: 'starting', port: 4001, detail: 'did not open port 4001 within 60s' }],
    });
    expect(appSentence(app)).toBe('did not open port 4001 within 60s');
    expect(instanceSentence({ ...app.instances[0]!, detail: undefined })).toBe(
      'Waiting for the command to open its port on port 4001.',
    );
    expect(instanceSentence({ ...app.instances[0]!, detail: undefined, state: 'up' })).toBe(
      'Serving on port 4001.',
    );
  });

  it('tells file, run and alias apps apart', () => {
    expect(appSource(fakeApp({ name: 'a' }))).toBe('file');
    expect(appSource(fakeApp({ name: 'a', inFile: false, instances: [{ source: 'run' }] }))).toBe(
      'run',
    );
    const alias = fakeApp({
      name: 'db',
      command: undefined,
      instances: [{ source: 'alias', state: 'alias', port: 5432 }],
    });
    expect(appSource(alias)).toBe('alias');
  });

  it('disables Start while running and Stop while stopped', () => {
    const up = appControls(fakeApp({ name: 'a', state: 'up' }));
    expect(up.start).toEqual({ disabled: true, reason: 'Already running.' });
    expect(up.stop.disabled).toBe(false);
    expect(up.restart.disabled).toBe(false);
    const stopped = appControls(fakeApp({ name: 'a', state: 'stopped' }));
    expect(stopped.start.disabled).toBe(false);
    expect(stopped.stop).toEqual({ disabled: true, reason: 'Not running.' });
    for (const state of ['exited', 'crashed'] as const) {
      expect(appControls(fakeApp({ name: 'a', state })).start.disabled).toBe(false);
    }
  });

  it('says why a switchyard run app or an alias cannot be controlled', () => {
    const run = appControls(
      fakeApp({ name: 'a', inFile: false, instances: [{ source: 'run', state: 'up' }] }),
    );
    expect(run.start).toEqual({ disabled: true, reason: RUN_ONLY_REASONS.start });
    expect(run.stop).toEqual({ disabled: true, reason: RUN_ONLY_REASONS.stop });
    expect(run.restart.disabled).toBe(true);
    const alias = appControls(
      fakeApp({
        name: 'db',
        command: undefined,
        instances: [{ source: 'alias', state: 'alias', port: 5432 }],
      }),
    );
    expect(alias.start.reason).toContain('An alias for port 5432');
    expect([alias.start, alias.stop, alias.restart].every((c) => c.disabled)).toBe(true);
  });

  it('decides a file app by its own process even when a run instance is up beside it', () => {
    const app = fakeApp({
      name: 'a',
      state: 'up',
      instances: [
        { source: 'file', state: 'stopped' },
        { source: 'run', state: 'up', port: 5000 },
      ],
    });
    expect(appControls(app).start.disabled).toBe(false);
    expect(appControls(app).stop.disabled).toBe(true);
  });

  it('puts HTTPS URLs first', () => {
    expect(sortedUrls(['http://a.localhost:8080', 'https://a.localhost:8443'])).toEqual([
      'https://a.localhost:8443',
      'http://a.localhost:8080',
    ]);
  });
});

describe('log search', () => {
  const E = '\u001b';

  it('matches the text as shown, case-insensitively, the search taken literally', () => {
    const [line] = fakeLines([`${E}[31mERR${E}[0m failed (a+b)`]);
    expect(lineMatches(line!, searchPattern('err failed'))).toBe(true);
    expect(lineMatches(line!, searchPattern('(A+B)'))).toBe(true);
    expect(lineMatches(line!, searchPattern('31m'))).toBe(false);
    expect(lineMatches(line!, searchPattern('  '))).toBe(true);
    expect(searchPattern('  ')).toBeNull();
  });

  it('marks matches across coloured segments', () => {
    const segments = parseAnsi(`ab${E}[32mcd${E}[0mef cd`);
    const marked = markMatches(segments, searchPattern('bcd'));
    expect(marked.map((s) => [s.text, s.match, s.style.fg])).toEqual([
      ['a', false, undefined],
      ['b', true, undefined],
      ['cd', true, 2],
      ['ef cd', false, undefined],
    ]);
    expect(
      markMatches(parseAnsi('cd x cd'), searchPattern('CD')).map((s) => [s.text, s.match]),
    ).toEqual([
      ['cd', true],
      [' x ', false],
      ['cd', true],
    ]);
  });

  it('marks nothing without a search', () => {
    expect(markMatches(parseAnsi('abc'), null)).toEqual([{ text: 'abc', style: {}, match: false }]);
  });
});
