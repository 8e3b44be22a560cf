/**
 * The routing file's `grpc.protos`: .proto files read and parsed with protobufjs, each
 * with its imports, into one Root per listed file (a broken file then spoils only itself).
 *
 * Files are read here rather than with protobufjs's own `Root.load`: that one resolves
 * types inside a file-read callback, so an unknown type name throws where nothing can
 * catch it and takes the process down. Problems come back as data (file, line, message).
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import protobuf from 'protobufjs';

export interface ProtoProblem {
  file: string;
  line?: number;
  message: string;
}

export interface LoadedProto {
  file: string;
  root: protobuf.Root;
}

/** Files (the listed one and its imports) read per listed file at most. */
const MAX_FILES = 200;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

function lineOf(message: string): { line?: number; message: string } {
  const m = /\s*\(line (\d+)\)$/.exec(message);
  return m ? { line: Number(m[1]), message: message.slice(0, m.index) } : { message };
}

async function readProto(path: string): Promise<string> {
  const info = await stat(path);
  if (info.size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
  return readFile(path, 'utf8');
}

/** Where a file's text comes from, and where an import of it is looked for. */
interface ProtoSource {
  read(path: string): Promise<string>;
  /** Candidate paths for `name` imported by `from`; the first that exists is taken. */
  locate(name: string, from: string): Promise<string>;
}

/** One file and everything it imports, into a fresh Root. */
async function loadOne(file: string, source: ProtoSource): Promise<LoadedProto | ProtoProblem> {
  const root = new protobuf.Root();
  const seen = new Set<string>();
  const queue: { path: string; from?: string }[] = [{ path: file }];
  while (queue.length > 0) {
    const { path, from } = queue.shift()!;
    if (seen.has(path)) continue;
    if (seen.size >= MAX_FILES) return { file, message: `imports more than ${MAX_FILES} files` };
    seen.add(path);
    let text: string;
    try {
      text = await source.read(path);
    } catch (error) {
      const why =
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'file not found'
          : (error as Error).message;
      return from === undefined
        ? { file: path, message: why }
        : { file: from, message: `cannot import ${path}: ${why}` };
    }
    let parsed: protobuf.IParserResult;
    try {
      parsed = protobuf.parse(text, root, { keepCase: true, alternateCommentMode: true });
    } catch (error) {
      return { file: path, ...lineOf((error as Error).message) };
    }
    for (const name of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
      const common = name.startsWith('google/protobuf/') ? protobuf.common.get(name) : null;
      if (common) {
        // protobufjs ships the well-known types; add each once.
        if (!seen.has(name)) {
          seen.add(name);
          root.addJSON(common.nested ?? {});
        }
        continue;
      }
      queue.push({ path: await source.locate(name, path), from: path });
    }
  }
  try {
    root.resolveAll();
  } catch (error) {
    return { file, message: (error as Error).message };
  }
  return { file, root };
}

function diskSource(includeDirs: string[]): ProtoSource {
  const isFile = (p: string) =>
    stat(p).then(
      (s) => s.isFile(),
      () => false,
    );
  return {
    read: readProto,
    async locate(name, from) {
      const candidates = isAbsolute(name)
        ? [name]
        : [join(dirname(from), name), ...includeDirs.map((d) => join(d, name))];
      for (const c of candidates) if (await isFile(c)) return c;
      return candidates[0]!;
    },
  };
}

/** Files opened in the UI are read nowhere else: imports resolve among them, by name. */
export interface ProtoText {
  name: string;
  text: string;
}

export function loadProtoTexts(files: readonly ProtoText[]): Promise<{
  loaded: LoadedProto[];
  problems: ProtoProblem[];
}> {
  const byName = new Map(files.map((f) => [f.name, f.text]));
  const base = (n: string) => n.slice(n.lastIndexOf('/') + 1);
  const source: ProtoSource = {
    read: async (name) => {
      const text = byName.get(name);
      if (text === undefined) throw new Error('not among the files opened');
      return text;
    },
    locate: async (name) =>
      byName.has(name) ? name : (files.find((f) => base(f.name) === base(name))?.name ?? name),
  };
  return collect(
    files.map((f) => f.name),
    (f) => loadOne(f, source),
  );
}

async function collect(
  files: readonly string[],
  load: (file: string) => Promise<LoadedProto | ProtoProblem>,
): Promise<{ loaded: LoadedProto[]; problems: ProtoProblem[] }> {
  const loaded: LoadedProto[] = [];
  const problems: ProtoProblem[] = [];
  for (const f of files) {
    const result = await load(f);
    if ('root' in result) loaded.push(result);
    else problems.push(result);
  }
  return { loaded, problems };
}

/** Load every listed file (relative paths from `baseDir`); problems instead of throwing. */
export async function loadProtoFiles(
  files: readonly string[],
  baseDir: string,
): Promise<{ loaded: LoadedProto[]; problems: ProtoProblem[] }> {
  return collect(
    files.map((f) => resolve(baseDir, f)),
    (path) => loadOne(path, diskSource([dirname(path), baseDir])),
  );
}

export function formatProtoProblem(p: ProtoProblem): string {
  return `${p.file}${p.line === undefined ? '' : `:${p.line}`}: ${p.message}`;
}
