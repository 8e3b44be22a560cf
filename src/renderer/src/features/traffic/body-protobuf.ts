/**
 * A plain (non-gRPC) body read as one protobuf message without a schema, the way the gRPC
 * messages view reads a message it has no schema for (shared/protobuf-wire.ts: field
 * numbers, wire types, varints, LEN payloads guessed as nested messages, text or bytes).
 * Decoding is bounded there (depth, a field budget); the tree shown is bounded here, so a
 * body of a hundred thousand tiny fields does not become a hundred thousand DOM rows.
 */
import {
  decodeMessage,
  type DecodedMessage,
  type WireField,
} from '../../../../shared/protobuf-wire.js';

/** Media types that say "this is a protobuf message". */
const PROTOBUF_TYPES = new Set([
  'application/x-protobuf',
  'application/protobuf',
  'application/vnd.google.protobuf',
]);

export function isProtobufType(type: string): boolean {
  return PROTOBUF_TYPES.has(type);
}

/** Fields shown per body at most, nested ones included. */
export const PROTOBUF_SHOWN = 2000;

function clean(fields: WireField[]): boolean {
  return fields.every((f) => f.value.kind !== 'message' || f.value.note === undefined);
}

/**
 * The body as a protobuf message, or undefined when it is not one. A body typed as
 * protobuf needs only one field to decode (a body cut at the capture cap still shows what
 * it holds, with the note saying where it stopped); untyped bytes (octet-stream) must
 * decode fully: to the last byte, nothing nested stopping early.
 */
export function protobufBody(bytes: Uint8Array, type: string): DecodedMessage | undefined {
  const typed = isProtobufType(type);
  if (bytes.length === 0 || (!typed && type !== 'application/octet-stream')) return undefined;
  const decoded = decodeMessage(bytes);
  if (decoded.fields.length === 0) return undefined;
  if (!typed && (decoded.note !== undefined || !clean(decoded.fields))) return undefined;
  return decoded;
}

/**
 * The message with at most `limit` fields in all (depth first, as the tree reads); each
 * level that lost fields says how many.
 */
export function limitFields(message: DecodedMessage, limit = PROTOBUF_SHOWN): DecodedMessage {
  let left = limit;
  const cut = (fields: WireField[], note: string | undefined): DecodedMessage => {
    const kept: WireField[] = [];
    for (const f of fields) {
      if (left <= 0) break;
      left--;
      if (f.value.kind === 'message') {
        const inner = cut(f.value.fields, f.value.note);
        kept.push({ ...f, value: { ...f.value, fields: inner.fields, note: inner.note } });
      } else {
        kept.push(f);
      }
    }
    const hidden = fields.length - kept.length;
    if (hidden === 0) return note === undefined ? { fields: kept } : { fields: kept, note };
    const more = `${hidden} more field${hidden === 1 ? '' : 's'} not shown (the first ${limit} are)`;
    return { fields: kept, note: note === undefined ? more : `${note}; ${more}` };
  };
  return cut(message.fields, message.note);
}
