/**
 * Protobuf message shapes as plain data: what the engine makes of `.proto` files or of a
 * backend's server reflection, and what the renderer's wire decoder (protobuf-wire.ts) uses
 * to name fields and type their values. No I/O, no protobufjs: the renderer bundles this.
 *
 * Message fields refer to other messages by full name through one `types` table rather
 * than by nesting: protobuf types may be recursive (a tree node holding nodes), and a
 * recursive object would neither cross IPC as JSON nor validate with a plain zod schema.
 */
import { z } from 'zod';

export const SCALAR_TYPES = [
  'double',
  'float',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
  'bool',
  'string',
  'bytes',
] as const;

export const FIELD_TYPES = [...SCALAR_TYPES, 'enum', 'message'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export const fieldSchemaSchema = z.object({
  number: z.number().int().min(1),
  name: z.string(),
  type: z.enum(FIELD_TYPES),
  repeated: z.boolean().optional(),
  /** For `message` fields: the full name of the field's type, a key of `types`. */
  message: z.string().optional(),
  /** For `enum` fields: the enum's name and its values. */
  enumName: z.string().optional(),
  enumValues: z.array(z.object({ name: z.string(), number: z.number().int() })).optional(),
});
export type FieldSchema = z.infer<typeof fieldSchemaSchema>;

export const messageSchemaSchema = z.object({
  /** Full name without the leading dot: `shop.v1.Order`. */
  name: z.string(),
  fields: z.array(fieldSchemaSchema),
});
export type MessageSchema = z.infer<typeof messageSchemaSchema>;

/** Every message type a call's request and response reach, by full name. */
export const messageTypesSchema = z.record(z.string(), messageSchemaSchema);
export type MessageTypes = z.infer<typeof messageTypesSchema>;

export const GRPC_SCHEMA_SOURCES = ['proto', 'reflection', 'none'] as const;

/** What the engine knows about a gRPC call's messages (API `grpcSchema`). */
export const grpcCallSchemaSchema = z.object({
  /** Full name of the request type, a key of `types`. */
  request: z.string().optional(),
  response: z.string().optional(),
  types: messageTypesSchema,
  source: z.enum(GRPC_SCHEMA_SOURCES),
  /** Where it came from: the .proto file, or the backend asked by reflection. */
  origin: z.string().optional(),
  /** Why there is none (no .proto describes it, reflection failed or is pending). */
  note: z.string().optional(),
});
export type GrpcCallSchema = z.infer<typeof grpcCallSchemaSchema>;
