/**
 * The inspector's wire decoder on bytes protobufjs encodes from real messages, with and
 * without a schema, and on hostile bodies (huge lengths, deep nesting, endless fields).
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import type { MessageSchema } from '../../../src/shared/protobuf-schema.js';
import {
  decodeMessage,
  MAX_DEPTH,
  splitGrpcMessages,
  type WireField,
} from '../../../src/shared/protobuf-wire.js';

const PROTO = `
syntax = "proto3";
package shop.v1;
enum Status { UNKNOWN = 0; PAID = 2; }
message Line { string sku = 1; uint32 quantity = 2; }
message Order {
  uint64 id = 1;
  string customer = 2;
  repeated Line lines = 3;
  repeated int32 scores = 4;
  bytes token = 5;
  sint64 delta = 6;
  int32 balance = 7;
  double price = 8;
  fixed32 code = 9;
  Status status = 10;
  bool gift = 11;
  repeated string tags = 12;
}`;

const root = protobuf.parse(PROTO).root.resolveAll();
const Order = root.lookupType('shop.v1.Order');
const VALUE = {
  id: 1234567890123,
  customer: 'Zoë',
  lines: [
    { sku: 'A-1', quantity: 2 },
    { sku: 'B-2', quantity: 300 },
  ],
  scores: [1, -2, 300],
  token: Uint8Array.from([0, 1, 2, 250, 255]),
  delta: -5,
  balance: -7,
  price: 12.5,
  code: 4242,
  status: 2,
  gift: true,
  tags: ['x', 'y'],
};
const encoded = Order.encode(Order.fromObject(VALUE)).finish();

function field(fields: WireField[], number: number): WireField {
  const found = fields.find((f) => f.number === number);
  if (!found) throw new Error(`no field ${number}`);
  return found;
}

/** The schema a .proto gives, written out as the engine would produce it. */
const SCHEMA: Record<string, MessageSchema> = {
  'shop.v1.Line': {
    name: 'shop.v1.Line',
    fields: [
      { number: 1, name: 'sku', type: 'string' },
      { number: 2, name: 'quantity', type: 'uint32' },
    ],
  },
  'shop.v1.Order': {
    name: 'shop.v1.Order',
    fields: Order.fieldsArray.map((f) => ({
      number: f.id,
      name: f.name,
      type:
        f.resolvedType instanceof protobuf.Type
          ? 'message'
          : f.resolvedType
            ? 'enum'
            : (f.type as 'string'),
      ...(f.repeated ? { repeated: true } : {}),
      ...(f.resolvedType instanceof protobuf.Type ? { message: 'shop.v1.Line' } : {}),
      ...(f.resolvedType instanceof protobuf.Enum
        ? {
            enumName: 'shop.v1.Status',
            enumValues: Object.entries(f.resolvedType.values).map(([name, number]) => ({
              name,
              number,
            })),
          }
        : {}),
    })),
  },
};

describe('gRPC body framing', () => {
  const frame = (flag: number, payload: Uint8Array) => {
    const head = new Uint8Array(5);
    head[0] = flag;
    new DataView(head.buffer).setUint32(1, payload.length);
    return [...head, ...payload];
  };

  it('splits length-prefixed messages, flags compressed ones and reports a truncated last one', () => {
    const body = Uint8Array.from([
      ...frame(0, encoded),
      ...frame(1, Uint8Array.from([9, 9, 9])),
      ...frame(0, new Uint8Array(0)),
      ...frame(0, encoded).slice(0, 12),
    ]);
    const frames = splitGrpcMessages(body);
    expect(frames.map((f) => [f.compressed, f.length, f.bytes.length, f.truncated])).toEqual([
      [false, encoded.length, encoded.length, false],
      [true, 3, 3, false],
      [false, 0, 0, false],
      [false, encoded.length, 7, true],
    ]);
    expect(Order.decode(frames[0]!.bytes).toJSON()).toMatchObject({ customer: 'Zoë' });
  });

  it('reports a prefix cut short and survives a length of 4 GiB', () => {
    expect(splitGrpcMessages(Uint8Array.from([0, 0, 0]))).toMatchObject([
      { length: -1, truncated: true },
    ]);
    const huge = splitGrpcMessages(Uint8Array.from([0, 255, 255, 255, 255, 1, 2]));
    expect(huge).toMatchObject([{ length: 0xffffffff, truncated: true }]);
    expect(huge[0]!.bytes.length).toBe(2);
  });
});

describe('protobuf fields without a schema', () => {
  const { fields, note } = decodeMessage(encoded);

  it('reads every field with its number and wire type', () => {
    expect(note).toBeUndefined();
    expect(fields.map((f) => [f.number, f.wireType])).toEqual([
      [1, 'varint'],
      [2, 'len'],
      [3, 'len'],
      [3, 'len'],
      [4, 'len'],
      [5, 'len'],
      [6, 'varint'],
      [7, 'varint'],
      [8, 'i64'],
      [9, 'i32'],
      [10, 'varint'],
      [11, 'varint'],
      [12, 'len'],
      [12, 'len'],
    ]);
  });

  it('shows varints unsigned with a zigzag hint, and negative int32 as 2^64 - n', () => {
    expect(field(fields, 1).value).toMatchObject({ kind: 'varint', unsigned: String(VALUE.id) });
    expect(field(fields, 6).value).toMatchObject({ kind: 'varint', zigzag: '-5' });
    expect(field(fields, 7).value).toMatchObject({ unsigned: String(2n ** 64n - 7n) });
    expect(field(fields, 8).value).toMatchObject({ kind: 'i64', double: 12.5 });
    expect(field(fields, 9).value).toMatchObject({ kind: 'i32', unsigned: 4242 });
  });

  it('reads strings as text, nested messages as fields, binary as hex', () => {
    expect(field(fields, 2).value).toEqual({ kind: 'string', text: 'Zoë' });
    const line = field(fields, 3).value;
    expect(line.kind).toBe('message');
    if (line.kind !== 'message') return;
    expect(field(line.fields, 1).value).toEqual({ kind: 'string', text: 'A-1' });
    expect(field(line.fields, 2).value).toMatchObject({ unsigned: '2' });
    expect(field(fields, 5).value).toEqual({ kind: 'bytes', size: 5, hex: '00 01 02 fa ff' });
  });
});

describe('protobuf fields with a schema', () => {
  const { fields, note } = decodeMessage(encoded, {
    schema: SCHEMA['shop.v1.Order'],
    types: SCHEMA,
  });

  it('names fields and types values as the .proto says', () => {
    expect(note).toBeUndefined();
    expect(field(fields, 2)).toMatchObject({ name: 'customer', type: 'string' });
    expect(field(fields, 7).value).toMatchObject({ text: '-7' });
    expect(field(fields, 6).value).toMatchObject({ text: '-5' });
    expect(field(fields, 10)).toMatchObject({
      name: 'status',
      type: 'shop.v1.Status',
      value: { text: 'PAID (2)' },
    });
    expect(field(fields, 11).value).toMatchObject({ text: 'true' });
    expect(field(fields, 8).value).toMatchObject({ text: '12.5' });
  });

  it('decodes packed repeated scalars and nested messages by their type', () => {
    expect(field(fields, 4)).toMatchObject({
      name: 'scores',
      value: { kind: 'packed', values: ['1', '-2', '300'] },
    });
    const lines = fields.filter((f) => f.number === 3);
    expect(lines).toHaveLength(2);
    const second = lines[1]!.value;
    expect(second).toMatchObject({ kind: 'message', typeName: 'shop.v1.Line' });
    if (second.kind !== 'message') return;
    expect(
      second.fields.map((f) => [f.name, f.value.kind === 'varint' ? f.value.text : f.value]),
    ).toEqual([
      ['sku', { kind: 'string', text: 'B-2' }],
      ['quantity', '300'],
    ]);
  });
});

describe('hostile protobuf', () => {
  it('stops at a length running past the end, without throwing', () => {
    const out = decodeMessage(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]));
    expect(out.fields).toEqual([]);
    expect(out.note).toMatch(/runs past the end/);
  });

  it('stops at a group with a note, keeping the fields before it', () => {
    const out = decodeMessage(Uint8Array.from([0x08, 0x01, 0x13, 0x08, 0x02, 0x14]));
    expect(out.fields).toHaveLength(1);
    expect(out.note).toMatch(/group/);
  });

  it('rejects an over-long varint and field number 0', () => {
    expect(decodeMessage(new Uint8Array(12).fill(0xff)).note).toMatch(/bad field tag/);
    expect(decodeMessage(Uint8Array.from([0x00, 0x01])).note).toMatch(/bad field tag/);
  });

  it('caps nesting depth on a message nested 10,000 deep', () => {
    let bytes: Uint8Array = Uint8Array.from([0x08, 0x01]);
    for (let i = 0; i < 10_000; i++) {
      const w = protobuf.Writer.create();
      w.uint32(0x0a).bytes(bytes);
      bytes = w.finish();
    }
    const started = performance.now();
    let depth = 0;
    let value = decodeMessage(bytes).fields[0]?.value;
    while (value?.kind === 'message') {
      depth++;
      value = value.fields[0]?.value;
    }
    expect(depth).toBeLessThanOrEqual(MAX_DEPTH);
    expect(depth).toBeGreaterThan(0);
    expect(value?.kind).toBe('bytes');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('bounds the work on a megabyte of one-byte fields and of random bytes', () => {
    const many = new Uint8Array(1024 * 1024);
    for (let i = 0; i < many.length; i += 2) many.set([0x08, 0x01], i);
    const started = performance.now();
    const out = decodeMessage(many);
    expect(out.note).toMatch(/fields: decoding stopped/);
    let seed = 7;
    const random = Uint8Array.from(
      { length: 256 * 1024 },
      () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24,
    );
    expect(() => decodeMessage(random)).not.toThrow();
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
