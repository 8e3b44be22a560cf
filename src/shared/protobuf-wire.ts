/**
 * gRPC bodies and protobuf messages at the wire level, for the inspector (no I/O, no Node
 * imports: the renderer runs this). A gRPC body is a run of length-prefixed messages (a
 * 1-byte compressed flag, a 4-byte big-endian length, the bytes); each message is a run of
 * tagged fields. Without a schema a field is its number, wire type and a best guess of
 * its value; with one (protobuf-schema.ts) it is named and typed.
 *
 * Bodies come from anywhere, so nothing here trusts a length: every read is checked
 * against the bytes there are, nesting stops at MAX_DEPTH, and a work budget bounds the
 * fields looked at (guessed nested messages that turn out not to parse count too), so a
 * hostile body costs bounded time and never throws.
 */
import type { FieldSchema, MessageSchema, MessageTypes } from './protobuf-schema.js';

export interface GrpcFrame {
  index: number;
  /** Offset of the 5-byte prefix in the body. */
  offset: number;
  compressed: boolean;
  /** The length the prefix declares. */
  length: number;
  /** The message bytes the body holds (fewer than `length` when truncated). */
  bytes: Uint8Array;
  /** The body ended before the message did (capture cap, or the call is still open). */
  truncated: boolean;
}

/** Messages listed per body at most; a body of empty messages could hold 200,000 in 1 MiB. */
export const MAX_FRAMES = 10_000;

/**
 * The length-prefixed messages of a gRPC body. A prefix cut short is reported as a
 * truncated message of unknown (-1) length.
 */
export function splitGrpcMessages(body: Uint8Array): GrpcFrame[] {
  const frames: GrpcFrame[] = [];
  let at = 0;
  while (at < body.length && frames.length < MAX_FRAMES) {
    const flag = body[at]!;
    if (body.length - at < 5) {
      frames.push({
        index: frames.length,
        offset: at,
        compressed: (flag & 1) === 1,
        length: -1,
        bytes: new Uint8Array(0),
        truncated: true,
      });
      break;
    }
    const length =
      ((body[at + 1]! << 24) >>> 0) + (body[at + 2]! << 16) + (body[at + 3]! << 8) + body[at + 4]!;
    const start = at + 5;
    const end = Math.min(body.length, start + length);
    frames.push({
      index: frames.length,
      offset: at,
      compressed: (flag & 1) === 1,
      length,
      bytes: body.subarray(start, end),
      truncated: end - start < length,
    });
    at = start + length;
  }
  return frames;
}

export const WIRE_TYPES = ['varint', 'i64', 'len', 'sgroup', 'egroup', 'i32'] as const;
export type WireType = (typeof WIRE_TYPES)[number];

export type WireValue =
  /** `unsigned` as read; `zigzag` as sint would read it; `text` typed by the schema. */
  | { kind: 'varint'; unsigned: string; zigzag: string; text?: string }
  | { kind: 'i64'; unsigned: string; signed: string; double: number; text?: string }
  | { kind: 'i32'; unsigned: number; signed: number; float: number; text?: string }
  | { kind: 'message'; fields: WireField[]; typeName?: string; note?: string }
  | { kind: 'string'; text: string }
  | { kind: 'bytes'; size: number; hex: string }
  /** A packed repeated scalar (schema only): its values, typed. */
  | { kind: 'packed'; values: string[] };

export interface WireField {
  number: number;
  wireType: WireType;
  /** Offset of the field's tag in its message. */
  offset: number;
  /** Bytes of the value (LEN fields: the payload). */
  size: number;
  /** From the schema, when there is one and it knows the field. */
  name?: string;
  type?: string;
  value: WireValue;
}

export interface DecodedMessage {
  fields: WireField[];
  /** Why decoding stopped before the end, when it did. */
  note?: string;
}

export interface DecodeOptions {
  /** The message's type; its fields are named and typed. */
  schema?: MessageSchema | undefined;
  /** Every type the schema's message fields refer to, by full name. */
  types?: MessageTypes | undefined;
}

export const MAX_DEPTH = 32;
/** Fields looked at per decode, guesses included. */
export const MAX_FIELDS = 100_000;
/** Bytes shown in hex per bytes value. */
export const BYTES_PREVIEW = 64;

const WIRE_BY_NUMBER: (WireType | undefined)[] = [...WIRE_TYPES];

interface Budget {
  steps: number;
}

class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}

  /** A varint, or undefined when it is cut short or longer than 10 bytes. */
  varint(): bigint | undefined {
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.bytes.length) return undefined;
      const b = this.bytes[this.at++]!;
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    return undefined;
  }
}

export function hexPreview(bytes: Uint8Array, limit = BYTES_PREVIEW): string {
  let out = '';
  const end = Math.min(bytes.length, limit);
  for (let i = 0; i < end; i++) out += (i > 0 ? ' ' : '') + bytes[i]!.toString(16).padStart(2, '0');
  return bytes.length > limit ? `${out} …` : out;
}

/** UTF-8 text a person would read, or undefined. */
export function printableText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

function zigzag(n: bigint): bigint {
  return (n >> 1n) ^ -(n & 1n);
}

/** A varint as the schema's scalar type reads it. */
function typedVarint(n: bigint, field: FieldSchema): string {
  switch (field.type) {
    case 'int32':
      return String(BigInt.asIntN(32, n));
    case 'int64':
      return String(BigInt.asIntN(64, n));
    case 'uint32':
      return String(BigInt.asUintN(32, n));
    case 'sint32':
    case 'sint64':
      return String(zigzag(n));
    case 'bool':
      return n === 0n ? 'false' : 'true';
    case 'enum': {
      const v = Number(BigInt.asIntN(32, n));
      const name = field.enumValues?.find((e) => e.number === v)?.name;
      return name === undefined ? String(v) : `${name} (${v})`;
    }
    default:
      return String(n);
  }
}

function i64Parts(bytes: Uint8Array, at: number) {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
  const unsigned = view.getBigUint64(0, true);
  return {
    unsigned: String(unsigned),
    signed: String(BigInt.asIntN(64, unsigned)),
    double: view.getFloat64(0, true),
  };
}

function i32Parts(bytes: Uint8Array, at: number) {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 4);
  return {
    unsigned: view.getUint32(0, true),
    signed: view.getInt32(0, true),
    float: view.getFloat32(0, true),
  };
}

const VARINT_TYPES = new Set([
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'bool',
  'enum',
]);
const I64_TYPES = new Set(['fixed64', 'sfixed64', 'double']);
const I32_TYPES = new Set(['fixed32', 'sfixed32', 'float']);

function expectedWire(field: FieldSchema): WireType {
  if (VARINT_TYPES.has(field.type)) return 'varint';
  if (I64_TYPES.has(field.type)) return 'i64';
  if (I32_TYPES.has(field.type)) return 'i32';
  return 'len';
}

/** Values of a packed repeated scalar, or undefined when the bytes do not divide into them. */
function packedValues(bytes: Uint8Array, field: FieldSchema, budget: Budget): string[] | undefined {
  const wire = expectedWire(field);
  const values: string[] = [];
  if (wire === 'varint') {
    const r = new Reader(bytes);
    while (r.at < bytes.length) {
      if (--budget.steps < 0) return undefined;
      const n = r.varint();
      if (n === undefined) return undefined;
      values.push(typedVarint(n, field));
    }
    return values;
  }
  const width = wire === 'i64' ? 8 : 4;
  if (bytes.length % width !== 0) return undefined;
  for (let at = 0; at < bytes.length; at += width) {
    if (--budget.steps < 0) return undefined;
    values.push(
      width === 8
        ? typedI64(i64Parts(bytes, at), field.type)
        : typedI32(i32Parts(bytes, at), field.type),
    );
  }
  return values;
}

function typedI64(p: ReturnType<typeof i64Parts>, type: string): string {
  return type === 'double' ? String(p.double) : type === 'sfixed64' ? p.signed : p.unsigned;
}

function typedI32(p: ReturnType<typeof i32Parts>, type: string): string {
  return type === 'float'
    ? String(p.float)
    : type === 'sfixed32'
      ? String(p.signed)
      : String(p.unsigned);
}

/** A LEN payload without a schema: a nested message if it parses plausibly, else text, else bytes. */
function guessLen(bytes: Uint8Array, depth: number, budget: Budget): WireValue {
  const text = printableText(bytes);
  if (depth < MAX_DEPTH && bytes.length > 0) {
    const nested = decodeAt(bytes, depth + 1, budget, {});
    // A message parses "plausibly" when it ends exactly and nothing in it stopped early.
    // Text of plain printable characters can parse too ("ab" is field 12 = 98): text with no
    // control character at all is taken as text; a message's length bytes are rarely printable.
    const plausible =
      nested.note === undefined && nested.fields.length > 0 && !containsNote(nested.fields);
    // eslint-disable-next-line no-control-regex
    if (plausible && (text === undefined || /[\u0000-\u001f]/.test(text))) {
      return { kind: 'message', fields: nested.fields };
    }
  }
  if (text !== undefined) return { kind: 'string', text };
  return { kind: 'bytes', size: bytes.length, hex: hexPreview(bytes) };
}

function containsNote(fields: WireField[]): boolean {
  return fields.some((f) => f.value.kind === 'message' && f.value.note !== undefined);
}

function lenValue(
  bytes: Uint8Array,
  field: FieldSchema | undefined,
  depth: number,
  budget: Budget,
  options: DecodeOptions,
): WireValue {
  if (field === undefined) return guessLen(bytes, depth, budget);
  switch (field.type) {
    case 'string':
      return { kind: 'string', text: new TextDecoder('utf-8').decode(bytes) };
    case 'bytes':
      return { kind: 'bytes', size: bytes.length, hex: hexPreview(bytes) };
    case 'message': {
      const schema = field.message === undefined ? undefined : options.types?.[field.message];
      if (depth >= MAX_DEPTH) {
        return {
          kind: 'message',
          fields: [],
          typeName: field.message,
          note: `nesting deeper than ${MAX_DEPTH}: not decoded`,
        };
      }
      const nested = decodeAt(bytes, depth + 1, budget, { ...options, schema });
      return {
        kind: 'message',
        fields: nested.fields,
        ...(field.message === undefined ? {} : { typeName: field.message }),
        ...(nested.note === undefined ? {} : { note: nested.note }),
      };
    }
    default: {
      const values = packedValues(bytes, field, budget);
      return values === undefined ? guessLen(bytes, depth, budget) : { kind: 'packed', values };
    }
  }
}

function decodeAt(
  bytes: Uint8Array,
  depth: number,
  budget: Budget,
  options: DecodeOptions,
): DecodedMessage {
  const fields: WireField[] = [];
  const r = new Reader(bytes);
  const byNumber = new Map(options.schema?.fields.map((f) => [f.number, f]));
  const stop = (note: string): DecodedMessage => ({ fields, note });
  while (r.at < bytes.length) {
    if (--budget.steps < 0) return stop(`more than ${MAX_FIELDS} fields: decoding stopped`);
    const offset = r.at;
    const tag = r.varint();
    if (tag === undefined || tag > 0xffffffffn) return stop(`bad field tag at offset ${offset}`);
    const number = Number(tag >> 3n);
    const wireType = WIRE_BY_NUMBER[Number(tag & 7n)];
    if (number === 0 || wireType === undefined) {
      return stop(
        `bad field tag at offset ${offset} (field ${number}, wire type ${Number(tag & 7n)})`,
      );
    }
    if (wireType === 'sgroup' || wireType === 'egroup') {
      return stop(
        `field ${number} at offset ${offset} is a group (obsolete wire type): decoding stopped`,
      );
    }
    const schema = byNumber.get(number);
    const named =
      schema === undefined
        ? {}
        : { name: schema.name, type: schema.message ?? schema.enumName ?? schema.type };
    const mismatch =
      schema !== undefined &&
      expectedWire(schema) !== wireType &&
      !(schema.repeated && wireType === 'len');
    const typed = mismatch ? undefined : schema;
    let value: WireValue;
    let size: number;
    if (wireType === 'varint') {
      const start = r.at;
      const n = r.varint();
      if (n === undefined) return stop(`field ${number}: varint cut short at offset ${start}`);
      size = r.at - start;
      value = {
        kind: 'varint',
        unsigned: String(n),
        zigzag: String(zigzag(n)),
        ...(typed ? { text: typedVarint(n, typed) } : {}),
      };
    } else if (wireType === 'i64' || wireType === 'i32') {
      size = wireType === 'i64' ? 8 : 4;
      if (bytes.length - r.at < size)
        return stop(`field ${number}: ${size}-byte value cut short at offset ${r.at}`);
      if (wireType === 'i64') {
        const p = i64Parts(bytes, r.at);
        value = { kind: 'i64', ...p, ...(typed ? { text: typedI64(p, typed.type) } : {}) };
      } else {
        const p = i32Parts(bytes, r.at);
        value = { kind: 'i32', ...p, ...(typed ? { text: typedI32(p, typed.type) } : {}) };
      }
      r.at += size;
    } else {
      const start = r.at;
      const length = r.varint();
      if (length === undefined) return stop(`field ${number}: length cut short at offset ${start}`);
      if (length > BigInt(bytes.length - r.at)) {
        return stop(
          `field ${number}: length ${length} at offset ${start} runs past the end (${bytes.length - r.at} bytes left)`,
        );
      }
      size = Number(length);
      value = lenValue(bytes.subarray(r.at, r.at + size), typed, depth, budget, options);
      r.at += size;
    }
    fields.push({ number, wireType, offset, size, ...named, value });
  }
  return { fields };
}

/** One protobuf message's fields; never throws, whatever the bytes. */
export function decodeMessage(bytes: Uint8Array, options: DecodeOptions = {}): DecodedMessage {
  return decodeAt(bytes, 0, { steps: MAX_FIELDS }, options);
}
