/**
 * Port flags for dev servers that ignore PORT, as tables: the tool found behind each
 * runner, what is added, and the commands left alone (a script, a port already given).
 */
import { describe, expect, it } from 'vitest';
import { FRAMEWORK_FLAGS, withPortFlags } from '../../src/engine/apps/framework-flags.js';

const P = 4100;
const split = (line: string): string[] => line.split(' ');

describe('withPortFlags adds the port flags', () => {
  it.each([
    ['vite', 'vite --port 4100 --strictPort --host 127.0.0.1'],
    ['vite dev', 'vite dev --port 4100 --strictPort --host 127.0.0.1'],
    ['vite serve --open', 'vite serve --open --port 4100 --strictPort --host 127.0.0.1'],
    ['vite preview', 'vite preview --port 4100 --strictPort --host 127.0.0.1'],
    ['vite --mode staging', 'vite --mode staging --port 4100 --strictPort --host 127.0.0.1'],
    ['astro dev', 'astro dev --port 4100 --host 127.0.0.1'],
    ['astro preview', 'astro preview --port 4100 --host 127.0.0.1'],
    ['ng serve', 'ng serve --port 4100 --host 127.0.0.1'],
    ['ng dev', 'ng dev --port 4100 --host 127.0.0.1'],
    ['ng s my-app', 'ng s my-app --port 4100 --host 127.0.0.1'],
    ['react-router dev', 'react-router dev --port 4100 --strictPort --host 127.0.0.1'],
    ['react-router', 'react-router --port 4100 --strictPort --host 127.0.0.1'],
    ['uvicorn app:app --reload', 'uvicorn app:app --reload --port 4100 --host 127.0.0.1'],
    ['flask run', 'flask run --port 4100 --host 127.0.0.1'],
    ['flask --app hello run --debug', 'flask --app hello run --debug --port 4100 --host 127.0.0.1'],
    ['./manage.py runserver', './manage.py runserver 127.0.0.1:4100'],
    ['django-admin runserver --noreload', 'django-admin runserver --noreload 127.0.0.1:4100'],
    [
      'django-admin runserver --settings shop.settings',
      'django-admin runserver --settings shop.settings 127.0.0.1:4100',
    ],
  ])('%s', (command, expected) => {
    const result = withPortFlags(split(command), P);
    expect(result.argv).toEqual(split(expected));
    expect(result.note).toBeUndefined();
  });
});

describe('withPortFlags finds the tool behind runners', () => {
  it.each([
    ['npx vite', 'npx vite --port 4100 --strictPort --host 127.0.0.1'],
    ['npx -y astro dev', 'npx -y astro dev --port 4100 --host 127.0.0.1'],
    [
      'npx --package @angular/cli ng serve',
      'npx --package @angular/cli ng serve --port 4100 --host 127.0.0.1',
    ],
    ['pnpm exec vite', 'pnpm exec vite --port 4100 --strictPort --host 127.0.0.1'],
    ['pnpm dlx astro dev', 'pnpm dlx astro dev --port 4100 --host 127.0.0.1'],
    [
      'pnpm --filter web exec vite',
      'pnpm --filter web exec vite --port 4100 --strictPort --host 127.0.0.1',
    ],
    ['yarn vite', 'yarn vite --port 4100 --strictPort --host 127.0.0.1'],
    [
      'yarn exec react-router dev',
      'yarn exec react-router dev --port 4100 --strictPort --host 127.0.0.1',
    ],
    ['bunx vite', 'bunx vite --port 4100 --strictPort --host 127.0.0.1'],
    ['bun x vite', 'bun x vite --port 4100 --strictPort --host 127.0.0.1'],
    ['npm exec -- vite', 'npm exec -- vite --port 4100 --strictPort --host 127.0.0.1'],
    ['python -m uvicorn app:app', 'python -m uvicorn app:app --port 4100 --host 127.0.0.1'],
    ['python3 -m uvicorn app:app', 'python3 -m uvicorn app:app --port 4100 --host 127.0.0.1'],
    ['python3.12 -u -m flask run', 'python3.12 -u -m flask run --port 4100 --host 127.0.0.1'],
    ['python manage.py runserver', 'python manage.py runserver 127.0.0.1:4100'],
    ['python -m django runserver', 'python -m django runserver 127.0.0.1:4100'],
    ['uv run uvicorn main:app', 'uv run uvicorn main:app --port 4100 --host 127.0.0.1'],
    [
      'poetry run python manage.py runserver',
      'poetry run python manage.py runserver 127.0.0.1:4100',
    ],
    [
      'node node_modules/vite/bin/vite.js',
      'node node_modules/vite/bin/vite.js --port 4100 --strictPort --host 127.0.0.1',
    ],
    ['/usr/local/bin/vite', '/usr/local/bin/vite --port 4100 --strictPort --host 127.0.0.1'],
  ])('%s', (command, expected) => {
    expect(withPortFlags(split(command), P).argv).toEqual(split(expected));
  });

  it('strips a Windows path and .cmd or .exe', () => {
    expect(withPortFlags(['C:\\app\\node_modules\\.bin\\vite.cmd'], P).argv).toEqual([
      'C:\\app\\node_modules\\.bin\\vite.cmd',
      '--port',
      '4100',
      '--strictPort',
      '--host',
      '127.0.0.1',
    ]);
    expect(
      withPortFlags(['C:\\Python312\\python.exe', '-m', 'uvicorn', 'app:app'], P).argv,
    ).toEqual([
      'C:\\Python312\\python.exe',
      '-m',
      'uvicorn',
      'app:app',
      '--port',
      '4100',
      '--host',
      '127.0.0.1',
    ]);
  });

  it('puts the flags before a -- that follows the tool', () => {
    expect(withPortFlags(split('vite dev -- extra'), P).argv).toEqual(
      split('vite dev --port 4100 --strictPort --host 127.0.0.1 -- extra'),
    );
  });
});

describe('withPortFlags leaves alone', () => {
  it.each([
    ['a script hides its tool', 'npm run dev'],
    ['pnpm run', 'pnpm run dev'],
    ['yarn script', 'yarn dev'],
    ['an unknown tool', 'rails server'],
    ['vite build', 'vite build'],
    ['astro build', 'astro build'],
    ['ng build', 'ng build'],
    ['react-router build', 'react-router build'],
    ['django migrate', 'python manage.py migrate'],
    ['flask routes', 'flask routes'],
    ['next dev: Next.js reads PORT', 'next dev'],
    ['npx next dev', 'npx next dev'],
    ['python -c', 'python -c import uvicorn'],
    ['npx -c runs a shell line', 'npx -c vite'],
    ['a tool named only in an argument', 'echo vite'],
    ['the empty command', ''],
  ])('%s', (_why, command) => {
    const argv = command === '' ? [] : split(command);
    const result = withPortFlags(argv, P);
    expect(result.argv).toEqual(argv);
    expect(result.note).toBeUndefined();
  });

  it.each([
    ['vite --port 3000', '--port'],
    ['vite --port=3000', '--port'],
    ['npx vite dev --port 3000 --host', '--port'],
    ['astro dev --port 3000', '--port'],
    ['ng serve --port=4200', '--port'],
    ['react-router dev -p 3000', '-p'],
    ['uvicorn app:app --port 8001', '--port'],
    ['uvicorn app:app --uds /tmp/app.sock', '--uds'],
    ['flask run -p5001', '-p'],
    ['next dev -p 3001', '-p'],
    ['python manage.py runserver 8001', 'address 8001'],
    ['python manage.py runserver -v 2 0.0.0.0:8001', 'address 0.0.0.0:8001'],
  ])('the port of %s, with a note', (command, kept) => {
    const argv = split(command);
    const result = withPortFlags(argv, P);
    expect(result.argv).toEqual(argv);
    expect(result.note).toContain(`own ${kept} is kept`);
  });

  it('returns a copy, never the array it was given', () => {
    const argv = ['vite', 'build'];
    const result = withPortFlags(argv, P);
    expect(result.argv).not.toBe(argv);
    result.argv.push('x');
    expect(argv).toEqual(['vite', 'build']);
  });
});

describe('withPortFlags keeps what the command already sets', () => {
  it('adds only the port when the host is given', () => {
    expect(withPortFlags(split('uvicorn app:app --host 0.0.0.0'), P).argv).toEqual(
      split('uvicorn app:app --host 0.0.0.0 --port 4100'),
    );
    expect(withPortFlags(split('vite --host --strictPort'), P).argv).toEqual(
      split('vite --host --strictPort --port 4100'),
    );
  });

  it('ignores port options after --', () => {
    expect(withPortFlags(split('vite -- --port 1'), P).argv).toEqual(
      split('vite --port 4100 --strictPort --host 127.0.0.1 -- --port 1'),
    );
  });
});

describe('withPortFlags checks the port', () => {
  it.each([0, -1, 65536, 3.5, Number.NaN])('rejects %s', (port) => {
    expect(() => withPortFlags(['vite'], port)).toThrow(RangeError);
  });
});

describe('FRAMEWORK_FLAGS', () => {
  it('documents every tool, with P for the port', () => {
    expect(Object.keys(FRAMEWORK_FLAGS)).toEqual([
      'vite',
      'astro',
      'ng serve',
      'react-router dev',
      'django runserver',
      'uvicorn',
      'flask run',
      'next',
    ]);
    expect(FRAMEWORK_FLAGS.vite).toContain('--port P --strictPort --host 127.0.0.1');
    expect(FRAMEWORK_FLAGS['django runserver']).toContain('127.0.0.1:P');
    expect(FRAMEWORK_FLAGS.next).toContain('reads PORT');
  });
});
