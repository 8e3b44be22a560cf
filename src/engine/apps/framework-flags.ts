/**
 * Port flags for dev servers that ignore PORT. An app's command gets PORT, but many dev
 * servers listen on their own default port unless told otherwise on the command line.
 * When the tool is visible in the command's words, `withPortFlags` adds the flags that make
 * it listen on 127.0.0.1:PORT:
 *
 * - `vite`, `vite dev`, `vite serve`, `vite preview`: `--port P --strictPort --host 127.0.0.1`
 * - `astro dev`, `astro preview`: `--port P --host 127.0.0.1`
 * - `ng serve` (`ng dev`, `ng s`): `--port P --host 127.0.0.1`
 * - `react-router dev` (Vite-based): `--port P --strictPort --host 127.0.0.1`
 * - `manage.py runserver`, `django-admin runserver`, `python -m django runserver`:
 *   `127.0.0.1:P` as the address:port argument
 * - `uvicorn`: `--port P --host 127.0.0.1`
 * - `flask run`: `--port P --host 127.0.0.1`
 * - `next dev`, `next start`: nothing; Next.js reads PORT
 *
 * The tool is the command's first word (path and .cmd/.exe stripped), or the word a runner
 * starts: `npx`, `pnpx`, `bunx`, `bun x`, `npm exec`, `pnpm exec`, `pnpm dlx`, `yarn`
 * (`yarn exec`, `yarn dlx`), `node SCRIPT`, `python -m MODULE`, `python SCRIPT`, `uv run`,
 * `poetry run`, `pipenv run`. A script (`npm run dev`) hides its tool: nothing is added.
 * A port the command already sets (`--port 3000`, a runserver address) is kept as it is.
 */

/** What is added per tool, for docs: P stands for the port. */
export const FRAMEWORK_FLAGS: Readonly<Record<string, string>> = {
  vite: '--port P --strictPort --host 127.0.0.1 (vite, vite dev, vite serve, vite preview)',
  astro: '--port P --host 127.0.0.1 (astro dev, astro preview)',
  'ng serve': '--port P --host 127.0.0.1 (also ng dev, ng s)',
  'react-router dev': '--port P --strictPort --host 127.0.0.1',
  'django runserver':
    '127.0.0.1:P as the address (manage.py runserver, django-admin runserver, python -m django runserver)',
  uvicorn: '--port P --host 127.0.0.1',
  'flask run': '--port P --host 127.0.0.1',
  next: 'nothing: Next.js reads PORT',
};

export interface PortFlagsResult {
  /** The command's words with the flags added, or a copy of them unchanged. */
  argv: string[];
  /** Why nothing was added although the tool was recognised. */
  note?: string;
}

type Plan = { add: string[] } | { kept: string } | undefined;

interface Framework {
  /** How notes name it. */
  readonly name: string;
  /** Executable (or python -m module) names it runs as. */
  readonly tools: readonly string[];
  /** Given the words after the tool: what to add for `port`. */
  readonly plan: (args: readonly string[], port: number) => Plan;
}

/** A group of added flags, left out when the command already gives one of `given`. */
interface FlagGroup {
  readonly given: readonly string[];
  readonly add: (port: number) => string[];
}

const HOST = '127.0.0.1';
const portGroup = (...given: string[]): FlagGroup => ({
  given,
  add: (port) => ['--port', String(port)],
});
const hostGroup = (...given: string[]): FlagGroup => ({ given, add: () => ['--host', HOST] });
const strictPort: FlagGroup = {
  given: ['--strictPort', '--strict-port'],
  add: () => ['--strictPort'],
};

/**
 * A plan from option groups: the first group sets the port, and when the command already
 * gives it, the command's port is kept; other groups are added when the command lacks them.
 */
function options(
  serves: (args: readonly string[]) => boolean,
  [port, ...others]: readonly [FlagGroup, ...FlagGroup[]],
): Framework['plan'] {
  return (args, p) => {
    if (!serves(args)) return undefined;
    const given = findOption(args, port.given);
    if (given !== undefined) return { kept: given };
    const add = port.add(p);
    for (const group of others) {
      if (findOption(args, group.given) === undefined) add.push(...group.add(p));
    }
    return { add };
  };
}

/** The first positional word, skipping options and the values of `valueOptions`. */
function firstPositional(
  args: readonly string[],
  valueOptions: readonly string[] = [],
): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') return undefined;
    if (!a.startsWith('-') || a === '-') return a;
    if (valueOptions.includes(a)) i++;
  }
  return undefined;
}

/** Whether the first positional word (a subcommand) is one of `words`. */
function firstIsOneOf(words: readonly string[], valueOptions: readonly string[] = []) {
  return (args: readonly string[]): boolean => {
    const first = firstPositional(args, valueOptions);
    return first !== undefined && words.includes(first);
  };
}

/**
 * Which of the options `names` the words give before any `--`: as `--port 3000`,
 * `--port=3000`, or a short option with its value attached (`-p3000`).
 */
function findOption(args: readonly string[], names: readonly string[]): string | undefined {
  for (const a of args) {
    if (a === '--') return undefined;
    for (const n of names) {
      if (a === n || a.startsWith(`${n}=`)) return n;
      if (/^-[A-Za-z]$/.test(n) && a.startsWith(n)) return n;
    }
  }
  return undefined;
}

const VITE_VALUE_OPTIONS = ['--config', '-c', '--mode', '-m', '--base', '--logLevel', '-l'];
const DJANGO_VALUE_OPTIONS = ['--settings', '--pythonpath', '-v', '--verbosity'];
const DJANGO_SERVERS = ['runserver', 'runserver_plus'];

/** Django's runserver takes `[addr:]port` as a positional argument. */
function djangoPlan(args: readonly string[], port: number): Plan {
  const [command, ...rest] = args;
  if (command === undefined || !DJANGO_SERVERS.includes(command)) return undefined;
  const addrport = firstPositional(rest, DJANGO_VALUE_OPTIONS);
  if (addrport !== undefined) return { kept: `address ${addrport}` };
  return { add: [`${HOST}:${port}`] };
}

const FRAMEWORKS: readonly Framework[] = [
  {
    name: 'vite',
    tools: ['vite'],
    plan: options(
      (args) => !['build', 'optimize'].includes(firstPositional(args, VITE_VALUE_OPTIONS) ?? ''),
      [portGroup('--port'), strictPort, hostGroup('--host')],
    ),
  },
  {
    name: 'astro',
    tools: ['astro'],
    plan: options(firstIsOneOf(['dev', 'preview'], ['--root', '--config']), [
      portGroup('--port'),
      hostGroup('--host'),
    ]),
  },
  {
    name: 'ng serve',
    tools: ['ng'],
    plan: options(firstIsOneOf(['serve', 'dev', 's']), [portGroup('--port'), hostGroup('--host')]),
  },
  {
    name: 'react-router dev',
    tools: ['react-router'],
    // A bare `react-router` (or `react-router DIR`) runs dev too.
    plan: options(
      (args) =>
        !['build', 'routes', 'reveal', 'typegen'].includes(
          firstPositional(args, ['--config', '-c', '--mode', '-m', '--logLevel', '-l']) ?? '',
        ),
      [portGroup('--port', '-p'), strictPort, hostGroup('--host')],
    ),
  },
  {
    name: 'django',
    tools: ['manage.py', 'django-admin', 'django-admin.py', 'django'],
    plan: djangoPlan,
  },
  {
    name: 'uvicorn',
    tools: ['uvicorn'],
    // --uds and --fd bind something other than a TCP port: the command's choice, kept.
    plan: options(() => true, [portGroup('--port', '--uds', '--fd'), hostGroup('--host')]),
  },
  {
    name: 'flask run',
    tools: ['flask'],
    plan: options(firstIsOneOf(['run'], ['--app', '-A', '--env-file', '-e']), [
      portGroup('--port', '-p'),
      hostGroup('--host', '-h'),
    ]),
  },
  {
    name: 'next',
    tools: ['next'],
    // Next.js reads PORT itself; only a port on its command line overrides it.
    plan: (args) => {
      const given = findOption(args, ['--port', '-p']);
      return given === undefined ? { add: [] } : { kept: given };
    },
  },
];

/** A program's name from a path: `C:\x\node_modules\.bin\vite.cmd` → `vite`. */
function programName(word: string): string {
  const base = word.split(/[\\/]/).pop() ?? word;
  return base.replace(/\.(cmd|exe|bat|ps1)$/i, '');
}

interface Runner {
  /** The runner's subcommand that runs a tool (`exec`); undefined: the tool follows directly. */
  readonly subcommands?: readonly string[];
  /** The tool may also follow without a subcommand (`yarn vite`). */
  readonly subcommandOptional?: boolean;
  /** Options before the tool that take a separate value. */
  readonly valueOptions: readonly string[];
  /** Options that make the runner run a shell line instead: the tool is hidden. */
  readonly shellOptions?: readonly string[];
}

const JS_VALUE_OPTIONS = [
  '-p',
  '--package',
  '-w',
  '--workspace',
  '-C',
  '--dir',
  '--cwd',
  '--filter',
  '-F',
  '--prefix',
];
const JS_SHELL_OPTIONS = ['-c', '--call', '--shell-mode'];
const js = (subcommands?: string[], subcommandOptional = false): Runner => ({
  subcommands,
  subcommandOptional,
  valueOptions: JS_VALUE_OPTIONS,
  shellOptions: JS_SHELL_OPTIONS,
});
const PY_RUN_VALUE_OPTIONS = [
  '--with',
  '--with-requirements',
  '--python',
  '-p',
  '--project',
  '--package',
  '--directory',
  '--env-file',
  '--extra',
  '--group',
  '-C',
];

const RUNNERS: Readonly<Record<string, Runner>> = {
  npx: js(),
  pnpx: js(),
  bunx: js(),
  bun: js(['x']),
  npm: js(['exec', 'x']),
  pnpm: js(['exec', 'dlx']),
  yarn: js(['exec', 'dlx', 'run'], true),
  uv: { subcommands: ['run'], valueOptions: PY_RUN_VALUE_OPTIONS },
  poetry: { subcommands: ['run'], valueOptions: ['-C', '--directory', '-P', '--project'] },
  pipenv: { subcommands: ['run'], valueOptions: [] },
  node: {
    valueOptions: [
      '-r',
      '--require',
      '--import',
      '--loader',
      '--experimental-loader',
      '--env-file',
      '-C',
      '--conditions',
    ],
    shellOptions: ['-e', '--eval', '-p', '--print'],
  },
};

const PYTHON = /^(python[0-9.]*w?|py)$/;
const PYTHON_VALUE_OPTIONS = ['-X', '-W', '-Q'];

/** Index of the first word from `i` on that is not an option (or its value); -1: hidden. */
function skipOptions(argv: readonly string[], i: number, runner: Runner): number {
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return i + 1;
    if (!a.startsWith('-')) return i;
    if (runner.shellOptions?.includes(a)) return -1;
    if (runner.valueOptions.includes(a)) i++;
  }
  return -1;
}

/** Where the tool is in the words, and its name. */
function locateTool(
  argv: readonly string[],
  at = 0,
  depth = 0,
): { tool: string; at: number } | undefined {
  const word = argv[at];
  if (word === undefined || depth > 4) return undefined;
  const name = programName(word);

  if (PYTHON.test(name)) {
    for (let i = at + 1; i < argv.length; i++) {
      const a = argv[i] as string;
      if (a === '-m') return moduleAt(argv, i + 1);
      if (a.startsWith('-m')) return { tool: a.slice(2), at: i };
      if (a === '-c' || a === '-') return undefined;
      if (!a.startsWith('-')) return { tool: programName(a), at: i };
      if (PYTHON_VALUE_OPTIONS.includes(a)) i++;
    }
    return undefined;
  }

  const runner = RUNNERS[name];
  if (runner === undefined) return { tool: name, at };
  let next = skipOptions(argv, at + 1, runner);
  if (next < 0) return undefined;
  if (runner.subcommands !== undefined) {
    const sub = argv[next] as string;
    if (runner.subcommands.includes(sub)) next = skipOptions(argv, next + 1, runner);
    else if (!runner.subcommandOptional) return undefined;
    if (next < 0) return undefined;
  }
  if (name === 'node') {
    const script = argv[next];
    if (script === undefined) return undefined;
    return { tool: programName(script).replace(/\.[cm]?js$/, ''), at: next };
  }
  return locateTool(argv, next, depth + 1);
}

function moduleAt(argv: readonly string[], i: number): { tool: string; at: number } | undefined {
  const module = argv[i];
  return module === undefined ? undefined : { tool: module, at: i };
}

/**
 * The command's words with the flags that make its dev server listen on 127.0.0.1:`port`,
 * when the tool is one that ignores PORT (see the list above). Flags go at the end, or
 * before a `--` that follows the tool (what comes after it belongs to something else).
 */
export function withPortFlags(argv: readonly string[], port: number): PortFlagsResult {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`port must be a whole number between 1 and 65535, not ${port}`);
  }
  const copy = [...argv];
  const located = locateTool(argv);
  if (located === undefined) return { argv: copy };
  const framework = FRAMEWORKS.find((f) => f.tools.includes(located.tool));
  if (framework === undefined) return { argv: copy };

  const rest = argv.slice(located.at + 1);
  const plan = framework.plan(rest, port);
  if (plan === undefined) return { argv: copy };
  if ('kept' in plan) {
    return {
      argv: copy,
      note: `${framework.name}: the command's own ${plan.kept} is kept; Switchyard adds no port flags`,
    };
  }
  if (plan.add.length === 0) return { argv: copy };
  const dashes = rest.indexOf('--');
  const insertAt = dashes < 0 ? copy.length : located.at + 1 + dashes;
  copy.splice(insertAt, 0, ...plan.add);
  return { argv: copy };
}
