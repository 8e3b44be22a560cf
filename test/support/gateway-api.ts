/**
 * Validation of exported Kubernetes manifests, independent of the exporter:
 * - Gateway, HTTPRoute, GRPCRoute: the `openAPIV3Schema` of each served version of the
 *   Gateway API v1.6.1 CRDs (test/fixtures/gateway-api-v1.6.1/, copied unchanged),
 *   compiled with ajv. Kubernetes schemas carry `x-kubernetes-*` keywords and formats
 *   such as int32 that JSON Schema does not know, so ajv runs with `strict: false` (unknown
 *   keywords ignored) and the formats are declared here. Objects with `properties` are
 *   closed (no other fields), as `kubectl apply`'s strict field validation treats them, and
 *   `x-kubernetes-list-type` map/set lists must not repeat a key.
 * - The CRDs' CEL rules (`x-kubernetes-validations`), which JSON Schema validators skip,
 *   for the rules an exporter can break: restated below, each with the CRD's message.
 * - Service and EndpointSlice: the fields and formats the core API's validation requires.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';

export const CRD_DIR = join(import.meta.dirname, '../fixtures/gateway-api-v1.6.1');

type Schema = Record<string, unknown>;

/** Close objects that list their properties, as kubectl's strict field validation does. */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) out[k] = closeObjects(v);
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const int = (bits: number) => ({
    type: 'number' as const,
    validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** (bits - 1),
  });
  ajv.addFormat('int32', int(32));
  ajv.addFormat('int64', int(64));
  ajv.addFormat('date-time', true);
  ajv.addFormat('ipv4', true);
  ajv.addFormat('ipv6', true);
  return ajv;
}

interface Crd {
  validate: ValidateFunction;
  schema: Schema;
}

/** `gateway.networking.k8s.io/v1 HTTPRoute` → the compiled schema of that served version. */
export function loadCrds(): Map<string, Crd> {
  const ajv = newAjv();
  const crds = new Map<string, Crd>();
  for (const file of ['gateways.yaml', 'httproutes.yaml', 'grpcroutes.yaml']) {
    const crd = parse(readFileSync(join(CRD_DIR, file), 'utf8')) as {
      spec: {
        group: string;
        names: { kind: string };
        versions: { name: string; served: boolean; schema: { openAPIV3Schema: Schema } }[];
      };
    };
    for (const v of crd.spec.versions.filter((x) => x.served)) {
      const schema = closeObjects(v.schema.openAPIV3Schema) as Schema;
      crds.set(`${crd.spec.group}/${v.name} ${crd.spec.names.kind}`, {
        validate: ajv.compile(schema),
        schema,
      });
    }
  }
  return crds;
}

/** x-kubernetes-list-type map (unique keys) and set (unique items), walked with the schema. */
function listTypeErrors(schema: Schema, value: unknown, path: string): string[] {
  const errors: string[] = [];
  if (Array.isArray(value)) {
    const type = schema['x-kubernetes-list-type'];
    const keys = schema['x-kubernetes-list-map-keys'] as string[] | undefined;
    if (type === 'map' || type === 'set') {
      const seen = value.map((item) =>
        JSON.stringify(type === 'map' && keys ? keys.map((k) => (item as Schema)[k]) : item),
      );
      if (new Set(seen).size !== seen.length) errors.push(`${path}: repeated ${type} key`);
    }
    const items = schema.items as Schema | undefined;
    if (items) value.forEach((v, i) => errors.push(...listTypeErrors(items, v, `${path}[${i}]`)));
  } else if (value !== null && typeof value === 'object') {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [k, v] of Object.entries(value)) {
      if (props[k]) errors.push(...listTypeErrors(props[k], v, `${path}.${k}`));
    }
  }
  return errors;
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/;

function filterErrors(filters: Obj[] | undefined, at: string): string[] {
  const errors: string[] = [];
  const list = filters ?? [];
  const fields: Record<string, string> = {
    RequestHeaderModifier: 'requestHeaderModifier',
    ResponseHeaderModifier: 'responseHeaderModifier',
    RequestRedirect: 'requestRedirect',
    URLRewrite: 'urlRewrite',
    RequestMirror: 'requestMirror',
    ExtensionRef: 'extensionRef',
    CORS: 'cors',
  };
  for (const [type, field] of Object.entries(fields)) {
    if (list.filter((f) => f.type === type).length > 1)
      errors.push(`${at}: ${type} filter cannot be repeated`);
    for (const f of list) {
      if ((f[field] !== undefined) !== (f.type === type))
        errors.push(
          `${at}: filter.${field} must be specified for ${type} filter.type, and only then`,
        );
    }
  }
  if (list.some((f) => f.type === 'RequestRedirect') && list.some((f) => f.type === 'URLRewrite'))
    errors.push(
      `${at}: May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both`,
    );
  for (const f of list) {
    const p = (f.requestRedirect ?? f.urlRewrite)?.path as Obj | undefined;
    if (!p) continue;
    if ((p.type === 'ReplaceFullPath') !== (p.replaceFullPath !== undefined))
      errors.push(
        `${at}: replaceFullPath must be specified when type is set to 'ReplaceFullPath' (and only then)`,
      );
    if ((p.type === 'ReplacePrefixMatch') !== (p.replacePrefixMatch !== undefined))
      errors.push(
        `${at}: replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch' (and only then)`,
      );
  }
  return errors;
}

/** The CEL rules of the HTTPRoute and GRPCRoute CRDs that an exporter can break. */
function routeCelErrors(m: Obj): string[] {
  const errors: string[] = [];
  const rules = (m.spec?.rules ?? []) as Obj[];
  const total = rules.reduce((n, r) => n + ((r.matches as unknown[] | undefined)?.length ?? 0), 0);
  if (total > 128)
    errors.push('the total number of matches across all rules in a route must be less than 128');
  const names = rules.map((r) => r.name).filter((n) => n !== undefined);
  if (new Set(names).size !== names.length) errors.push('rule names must be unique within a route');
  rules.forEach((r, i) => {
    const at = `spec.rules[${i}]`;
    const filters = r.filters as Obj[] | undefined;
    errors.push(...filterErrors(filters, at));
    const refs = (r.backendRefs ?? []) as Obj[];
    if (refs.length > 0 && (filters ?? []).some((f) => f.requestRedirect))
      errors.push(`${at}: RequestRedirect filter must not be used together with backendRefs`);
    refs.forEach((b, j) => {
      if ((b.group ?? '') === '' && (b.kind ?? 'Service') === 'Service' && b.port === undefined)
        errors.push(`${at}.backendRefs[${j}]: Must have port for Service reference`);
      errors.push(...filterErrors(b.filters as Obj[] | undefined, `${at}.backendRefs[${j}]`));
    });
    if (
      (filters ?? []).some(
        (f) => (f.requestRedirect ?? f.urlRewrite)?.path?.type === 'ReplacePrefixMatch',
      )
    ) {
      const matches = (r.matches ?? []) as Obj[];
      if (matches.length !== 1 || matches[0]?.path?.type !== 'PathPrefix')
        errors.push(
          `${at}: When using URLRewrite or RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified`,
        );
    }
    ((r.matches ?? []) as Obj[]).forEach((match, j) => {
      const p = match.path as Obj | undefined;
      if (!p || !['Exact', 'PathPrefix'].includes(p.type)) return;
      const v = p.value as string;
      const bad =
        !v.startsWith('/') ||
        v.includes('//') ||
        v.includes('/./') ||
        v.includes('/../') ||
        /%2f/i.test(v) ||
        v.includes('#') ||
        v.endsWith('/..') ||
        v.endsWith('/.') ||
        !PATH_CHARS.test(v);
      if (bad) errors.push(`${at}.matches[${j}].path: '${v}' is not a valid ${p.type} path`);
    });
  });
  return errors;
}

/** The CEL rules of the Gateway CRD's listeners. */
function gatewayCelErrors(m: Obj): string[] {
  const errors: string[] = [];
  const listeners = (m.spec?.listeners ?? []) as Obj[];
  const combos = listeners.map((l) => `${l.port}/${l.protocol}/${l.hostname ?? ''}`);
  if (new Set(combos).size !== combos.length)
    errors.push('Combination of port, protocol and hostname must be unique for each listener');
  for (const l of listeners) {
    if (['HTTP', 'TCP', 'UDP'].includes(l.protocol) && l.tls)
      errors.push(
        `listener ${l.name}: tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']`,
      );
    if (l.protocol === 'HTTPS' && (l.tls?.certificateRefs ?? []).length === 0)
      errors.push(
        `listener ${l.name}: certificateRefs or options must be specified when mode is Terminate`,
      );
  }
  return errors;
}

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const DNS_1035 = '^[a-z]([-a-z0-9]*[a-z0-9])?$';
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
const labels = {
  type: 'object',
  additionalProperties: { type: 'string', maxLength: 63, pattern: LABEL_VALUE },
};
const port = { type: 'integer', minimum: 1, maximum: 65535 };
const portName = { type: 'string', maxLength: 15, pattern: DNS_LABEL };
const protocol = { enum: ['TCP', 'UDP', 'SCTP'] };

/** What the core API's validation (pkg/apis/core/validation) requires of a Service. */
const SERVICE: Schema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'v1' },
    kind: { const: 'Service' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string', maxLength: 63, pattern: DNS_1035 }, labels },
    },
    spec: {
      type: 'object',
      required: ['ports'],
      properties: {
        type: { enum: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] },
        externalName: { type: 'string', maxLength: 253, pattern: DNS_SUBDOMAIN },
        selector: labels,
        ports: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['port'],
            additionalProperties: false,
            properties: {
              name: portName,
              protocol,
              port,
              targetPort: { oneOf: [port, { type: 'string', pattern: DNS_LABEL }] },
              appProtocol: { type: 'string' },
            },
          },
        },
      },
      // ExternalName needs externalName and takes no selector; others have no externalName.
      if: { properties: { type: { const: 'ExternalName' } }, required: ['type'] },
      then: { required: ['externalName'], not: { required: ['selector'] } },
      else: { not: { required: ['externalName'] } },
    },
  },
};

/** discovery.k8s.io/v1 EndpointSlice (pkg/apis/discovery/validation). */
const ENDPOINT_SLICE: Schema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'addressType', 'endpoints'],
  properties: {
    apiVersion: { const: 'discovery.k8s.io/v1' },
    kind: { const: 'EndpointSlice' },
    metadata: {
      type: 'object',
      required: ['name', 'labels'],
      properties: {
        name: { type: 'string', maxLength: 253, pattern: DNS_SUBDOMAIN },
        labels: { ...labels, required: ['kubernetes.io/service-name'] },
      },
    },
    addressType: { enum: ['IPv4', 'IPv6', 'FQDN'] },
    ports: {
      type: 'array',
      maxItems: 20000,
      items: {
        type: 'object',
        additionalProperties: false,
        properties: { name: portName, protocol, port, appProtocol: { type: 'string' } },
      },
    },
    endpoints: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['addresses'],
        properties: {
          addresses: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string' } },
        },
      },
    },
  },
};

export interface ManifestCheck {
  kind: string;
  name: string;
  errors: string[];
}

/** Validate one parsed manifest; unknown kinds are errors. */
export function validator(): (m: Obj) => ManifestCheck {
  const crds = loadCrds();
  const ajv = newAjv();
  const core = new Map<string, ValidateFunction>([
    ['v1 Service', ajv.compile(SERVICE)],
    ['discovery.k8s.io/v1 EndpointSlice', ajv.compile(ENDPOINT_SLICE)],
  ]);
  return (m) => {
    const key = `${m.apiVersion} ${m.kind}`;
    const result: ManifestCheck = { kind: m.kind, name: m.metadata?.name, errors: [] };
    const crd = crds.get(key);
    const validate = crd?.validate ?? core.get(key);
    if (!validate) {
      result.errors.push(`no schema for ${key}`);
      return result;
    }
    if (!validate(m))
      result.errors.push(
        ...(validate.errors ?? []).map(
          (e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
        ),
      );
    if (crd) result.errors.push(...listTypeErrors(crd.schema, m, ''));
    if (m.kind === 'HTTPRoute' || m.kind === 'GRPCRoute') result.errors.push(...routeCelErrors(m));
    if (m.kind === 'Gateway') result.errors.push(...gatewayCelErrors(m));
    return result;
  };
}

/** Every document of a multi-document YAML stream, failing on any YAML error. */
export function parseManifests(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(d.errors.map((e) => e.message).join('\n'));
      return d.toJS() as Obj;
    })
    .filter((m) => m !== null);
}
