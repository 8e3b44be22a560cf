/**
 * protobufjs reflection objects → the plain MessageTypes the inspector decodes with
 * (src/shared/protobuf-schema.ts). Only the types a call's request and response reach are
 * taken, bounded, so one huge .proto does not travel to the UI whole.
 */
import protobuf from 'protobufjs';
import type { FieldSchema, FieldType, MessageTypes } from '../../shared/protobuf-schema.js';
import { SCALAR_TYPES } from '../../shared/protobuf-schema.js';

/** Types taken per call at most. */
const MAX_TYPES = 500;

const SCALARS: ReadonlySet<string> = new Set(SCALAR_TYPES);

function fullName(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, '');
}

function enumValues(e: protobuf.Enum): FieldSchema['enumValues'] {
  return Object.entries(e.values).map(([name, number]) => ({ name, number }));
}

/** A field whose type is a scalar, an enum or a message; `resolved` after resolveAll. */
function fieldOf(
  number: number,
  name: string,
  type: string,
  resolved: protobuf.Type | protobuf.Enum | null,
  repeated: boolean,
  queue: protobuf.Type[],
): FieldSchema {
  const base = { number, name, ...(repeated ? { repeated: true } : {}) };
  if (resolved instanceof protobuf.Type) {
    queue.push(resolved);
    return { ...base, type: 'message', message: fullName(resolved) };
  }
  if (resolved instanceof protobuf.Enum) {
    return {
      ...base,
      type: 'enum',
      enumName: fullName(resolved),
      enumValues: enumValues(resolved),
    };
  }
  return { ...base, type: (SCALARS.has(type) ? type : 'bytes') as FieldType };
}

/** Every message type `roots` reach, by full name (map fields become their entry types). */
export function messageTypesOf(roots: protobuf.Type[]): MessageTypes {
  const types: MessageTypes = {};
  const queue = [...roots];
  while (queue.length > 0 && Object.keys(types).length < MAX_TYPES) {
    const type = queue.shift()!;
    const name = fullName(type);
    if (types[name]) continue;
    const fields: FieldSchema[] = [];
    types[name] = { name, fields };
    for (const f of type.fieldsArray) {
      if (f instanceof protobuf.MapField) {
        // A map is a repeated entry message { key = 1; value = 2; } on the wire.
        const entry = `${name}.${f.name}Entry`;
        types[entry] = {
          name: entry,
          fields: [
            fieldOf(1, 'key', f.keyType, null, false, queue),
            fieldOf(2, 'value', f.type, f.resolvedType, false, queue),
          ],
        };
        fields.push({
          number: f.id,
          name: f.name,
          type: 'message',
          repeated: true,
          message: entry,
        });
      } else {
        fields.push(fieldOf(f.id, f.name, f.type, f.resolvedType, f.repeated, queue));
      }
    }
  }
  return types;
}

export interface MethodTypes {
  request: string;
  response: string;
  types: MessageTypes;
}

/** The request and response types of `service/method` in `root`, if it defines them. */
export function methodTypes(
  root: protobuf.Root,
  service: string,
  method: string,
): MethodTypes | undefined {
  let svc: protobuf.Service;
  try {
    svc = root.lookupService(service);
  } catch {
    return undefined;
  }
  const m = svc.methods[method];
  if (!m) return undefined;
  try {
    m.resolve();
  } catch {
    return undefined;
  }
  const request = m.resolvedRequestType;
  const response = m.resolvedResponseType;
  if (!request || !response) return undefined;
  return {
    request: fullName(request),
    response: fullName(response),
    types: messageTypesOf([request, response]),
  };
}
