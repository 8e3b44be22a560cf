/**
 * Where the inspector's gRPC message schemas come from: the routing file's .proto files
 * first, then the backend's server reflection, asked once per backend and service and
 * remembered (a failure too, for a while, so a backend without reflection is not asked on
 * every click). Reflection runs only when the UI asks for a call's schema, on its own
 * connection: proxied calls never wait for it.
 */
import type { GrpcConfig } from '../../shared/config.js';
import type { GrpcCallSchema } from '../../shared/protobuf-schema.js';
import { methodTypes } from './message-types.js';
import {
  formatProtoProblem,
  loadProtoFiles,
  loadProtoTexts,
  type LoadedProto,
  type ProtoText,
} from './proto-files.js';
import { reflectService, type ReflectionOptions } from './reflection.js';
import type protobuf from 'protobufjs';

/** A failed reflection is tried again after this long; a schema is asked again after REFRESH_MS. */
const RETRY_FAILED_MS = 30_000;
const REFRESH_MS = 5 * 60_000;
/** Files opened in the app kept at most. */
const MAX_OPENED = 50;
/** Backend+service pairs remembered at most. */
const MAX_CACHED = 200;

type Reflected = { at: number } & ({ ok: true; root: protobuf.Root } | { ok: false; note: string });

export class GrpcSchemas {
  #protos: LoadedProto[] = [];
  /** Files the user opened in the app, newest first: kept for the session, not saved. */
  #opened: LoadedProto[] = [];
  #protosKey = '';
  readonly #reflected = new Map<string, Promise<Reflected>>();
  readonly #reflection: ReflectionOptions;

  constructor(reflection: ReflectionOptions = {}) {
    this.#reflection = reflection;
  }

  /**
   * Load the routing file's .proto files (relative paths from `baseDir`). Returns the
   * problems, one sentence each, for the engine to report; files that load are used.
   */
  async configure(config: GrpcConfig | undefined, baseDir: string): Promise<string[]> {
    const files = config?.protos ?? [];
    const key = JSON.stringify([baseDir, files]);
    if (key === this.#protosKey) return [];
    const { loaded, problems } = await loadProtoFiles(files, baseDir);
    this.#protos = loaded;
    this.#protosKey = problems.length === 0 ? key : '';
    return problems.map((p) => `grpc.protos: ${formatProtoProblem(p)}`);
  }

  /**
   * .proto files the user opened in the app (imports resolve among them): used after the
   * routing file's, for this session. Returns the files that loaded and the problems.
   */
  async open(files: readonly ProtoText[]): Promise<{ loaded: string[]; problems: string[] }> {
    const { loaded, problems } = await loadProtoTexts(files);
    const names = new Set(loaded.map((l) => l.file));
    this.#opened = [...loaded, ...this.#opened.filter((o) => !names.has(o.file))].slice(
      0,
      MAX_OPENED,
    );
    return { loaded: loaded.map((l) => l.file), problems: problems.map(formatProtoProblem) };
  }

  /**
   * The schema of `service/method`. `backend` is the origin to ask by reflection
   * (`http://` for h2c, `https://` for h2), or undefined when reflection must not be used.
   */
  async schemaFor(
    service: string,
    method: string,
    backend: string | undefined,
  ): Promise<GrpcCallSchema> {
    for (const proto of this.#protos) {
      const found = methodTypes(proto.root, service, method);
      if (found) return { ...found, source: 'proto', origin: proto.file };
    }
    for (const proto of this.#opened) {
      const found = methodTypes(proto.root, service, method);
      if (found) return { ...found, source: 'proto', origin: `${proto.file} (opened in the app)` };
    }
    if (backend === undefined) {
      return { types: {}, source: 'none', note: `no .proto file describes ${service}` };
    }
    const reflected = await this.#reflect(backend, service);
    if (!reflected.ok) return { types: {}, source: 'none', note: reflected.note };
    const found = methodTypes(reflected.root, service, method);
    return found
      ? { ...found, source: 'reflection', origin: backend }
      : {
          types: {},
          source: 'none',
          note: `${backend} reflection does not describe ${service}/${method}`,
        };
  }

  #reflect(backend: string, service: string): Promise<Reflected> {
    const key = `${backend} ${service}`;
    const cached = this.#reflected.get(key);
    if (cached) {
      return cached.then((r) => {
        if (Date.now() - r.at < (r.ok ? REFRESH_MS : RETRY_FAILED_MS)) return r;
        this.#reflected.delete(key);
        return this.#reflect(backend, service);
      });
    }
    if (this.#reflected.size >= MAX_CACHED) {
      this.#reflected.delete(this.#reflected.keys().next().value!);
    }
    const pending = reflectService(backend, service, this.#reflection).then(
      (root): Reflected => ({ ok: true, root, at: Date.now() }),
      (e: Error): Reflected => ({ ok: false, note: `reflection: ${e.message}`, at: Date.now() }),
    );
    this.#reflected.set(key, pending);
    return pending;
  }
}
