// @vitest-environment happy-dom
/**
 * The protobuf body view: offered first for protobuf types, after hex for octet-stream
 * bytes that decode fully (and never for random bytes), the fields decoded without a
 * schema (a nested message, a string, a varint), the shown tree bounded, and BodyPanel
 * rendering it.
 */
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import BodyPanel from '../../../src/renderer/src/features/traffic/BodyPanel.vue';
import {
  limitFields,
  protobufBody,
} from '../../../src/renderer/src/features/traffic/body-protobuf.js';
import { bodyContent, bodyViews } from '../../../src/renderer/src/features/traffic/body-views.js';
import { MAX_DEPTH, type WireField } from '../../../src/shared/protobuf-wire.js';
import { createFakeClient } from '../../support/fake-client.js';
import { mountWithClient, settle } from '../../support/renderer-mount.js';

const root = protobuf.parse(`
  syntax = "proto3";
  message Address { string city = 1; int32 zip = 2; }
  message Person { string name = 1; int32 id = 2; Address address = 3; }
`).root;
const Person = root.lookupType('Person');

/** A real protobufjs encoding: {name: "Ada", id: 150, address: {city: "Zürich", zip: 8001}}. */
const person = Person.encode(
  Person.create({ name: 'Ada', id: 150, address: { city: 'Zürich', zip: 8001 } }),
).finish();

const toB64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const views = (bytes: Uint8Array, type: string | undefined) =>
  bodyViews(bodyContent(toB64(bytes), type));

/** A varint, by hand. */
function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n >>>= 7) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return out;
}

/** Deterministic pseudo-random bytes (a 32-bit LCG, high bits). */
function randomBytes(seed: number, length: number): Uint8Array {
  let s = seed >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe('protobuf body view: which bodies offer it', () => {
  it('comes first for the protobuf media types, parameters and case ignored', () => {
    for (const type of [
      'application/x-protobuf',
      'application/protobuf',
      'Application/Vnd.Google.Protobuf; proto=Person',
    ]) {
      expect(views(person, type)[0]).toBe('protobuf');
      expect(views(person, type).at(-1)).toBe('hex');
    }
  });

  it('comes after hex for octet-stream bytes that decode fully', () => {
    expect(views(person, 'application/octet-stream')).toEqual(['hex', 'protobuf']);
  });

  it('is not offered for other types, even when the bytes are a message', () => {
    expect(views(person, undefined)).not.toContain('protobuf');
    expect(views(person, 'image/png')).not.toContain('protobuf');
    expect(views(person, 'application/grpc')).not.toContain('protobuf');
  });

  it('is not offered for octet-stream bytes that stop early: cut short or nested junk', () => {
    // Cut one byte short: the last varint is incomplete.
    expect(views(person.subarray(0, person.length - 1), 'application/octet-stream')).toEqual([
      'hex',
    ]);
    // JSON text starts with '{' = field 15 as a group: not a message.
    expect(views(new TextEncoder().encode('{"a":1}'), 'application/octet-stream')).not.toContain(
      'protobuf',
    );
  });

  it('is not offered for random octet-stream bytes', () => {
    const offered: number[] = [];
    for (let seed = 1; seed <= 300; seed++) {
      const bytes = randomBytes(seed, 64 + (seed % 7) * 50);
      if (views(bytes, 'application/octet-stream').includes('protobuf')) offered.push(seed);
    }
    expect(offered).toEqual([]);
  });

  it('for a protobuf type cut at the capture cap, shows what decoded and where it stopped', () => {
    const cut = protobufBody(person.subarray(0, person.length - 1), 'application/x-protobuf');
    expect(cut?.fields.map((f) => f.number)).toEqual([1, 2]);
    expect(cut?.note).toMatch(/field 3: length \d+ at offset \d+ runs past the end/);
    // Bytes that decode to nothing are not offered, whatever the type says.
    expect(views(new Uint8Array([0xff, 0xff]), 'application/x-protobuf')).toEqual(['hex']);
  });
});

describe('protobuf body view: the decoded fields', () => {
  it('shows field numbers, wire types, a string, a varint and a nested message', () => {
    const decoded = bodyContent(toB64(person), 'application/x-protobuf').protobuf!;
    expect(decoded.note).toBeUndefined();
    const [name, id, address] = decoded.fields as [WireField, WireField, WireField];
    expect(name).toMatchObject({
      number: 1,
      wireType: 'len',
      value: { kind: 'string', text: 'Ada' },
    });
    expect(id).toMatchObject({
      number: 2,
      wireType: 'varint',
      value: { kind: 'varint', unsigned: '150' },
    });
    expect(address).toMatchObject({ number: 3, wireType: 'len', value: { kind: 'message' } });
    expect(address.value.kind === 'message' && address.value.fields).toMatchObject([
      { number: 1, value: { kind: 'string', text: 'Zürich' } },
      { number: 2, value: { kind: 'varint', unsigned: '8001' } },
    ]);
  });

  it('bounds the tree shown and says how much was left out', () => {
    // 5,000 varint fields (field 1 = i), hand-encoded: tag 0x08, then the varint.
    const parts: number[] = [];
    for (let i = 0; i < 5000; i++) parts.push(0x08, ...varint(i));
    const decoded = protobufBody(new Uint8Array(parts), 'application/octet-stream')!;
    expect(decoded.fields).toHaveLength(5000);
    const shown = limitFields(decoded, 100);
    expect(shown.fields).toHaveLength(100);
    expect(shown.fields.at(-1)?.value).toMatchObject({ kind: 'varint', unsigned: '99' });
    expect(shown.note).toBe('4900 more fields not shown (the first 100 are)');
    // The budget counts nested fields too: the nested message loses what does not fit.
    const nested = limitFields(protobufBody(person, 'application/protobuf')!, 3);
    expect(nested.note).toBeUndefined();
    const address = nested.fields[2]!.value;
    expect(address.kind === 'message' && address.fields.map((f) => f.number)).toEqual([]);
    expect(address.kind === 'message' && address.note).toBe(
      '2 more fields not shown (the first 3 are)',
    );
  });

  it('stops nesting at the depth limit without throwing', () => {
    // 200 levels of field 1 = message(...), the innermost field 2 = varint 1.
    let bytes = Uint8Array.from([0x10, 0x01]);
    for (let i = 0; i < 200; i++)
      bytes = Uint8Array.from([0x0a, ...varint(bytes.length), ...bytes]);
    const decoded = protobufBody(bytes, 'application/x-protobuf')!;
    expect(decoded.note).toBeUndefined();
    let depth = 0;
    let innermost = decoded.fields[0]!;
    while (innermost.value.kind === 'message') {
      innermost = innermost.value.fields[0]!;
      depth++;
    }
    expect(depth).toBe(MAX_DEPTH);
    expect(innermost.value.kind).toBe('bytes');
  });
});

describe('BodyPanel with a protobuf body', () => {
  let view: VueWrapper | undefined;
  afterEach(() => view?.unmount());

  it('opens on the field tree, and switches to hex', async () => {
    const client = createFakeClient();
    client.data.bodies.set('7:response', person);
    const info = {
      size: person.length,
      captured: person.length,
      truncated: false,
      contentType: 'application/x-protobuf',
    };
    view = mountWithClient(BodyPanel, client, {
      exchangeId: 7,
      side: 'response',
      info,
      revision: 1,
    });
    await settle();
    await flushPromises();
    const select = view.find('select[aria-label="Show response body as"]');
    expect(select.element).toHaveProperty('value', 'protobuf');
    expect(select.findAll('option').map((o) => o.text())).toEqual(['Protobuf fields', 'Hex']);
    const tree = view.find('[data-testid="body-protobuf"]');
    const leaves = tree.findAll('.leaf').map((l) =>
      l
        .findAll('span')
        .map((span) => span.text())
        .join(' '),
    );
    expect(leaves).toEqual([
      '1 len "Ada"',
      '2 varint 150 (zigzag 75)',
      '1 len "Zürich"',
      '2 varint 8001 (zigzag -4001)',
    ]);
    expect(
      tree
        .find('details summary')
        .findAll('span')
        .map((span) => span.text())
        .join(' '),
    ).toBe('3 len message (2 fields)');
    await select.setValue('hex');
    expect(view.find('[data-testid="body-protobuf"]').exists()).toBe(false);
    expect(view.find('pre.hex').text()).toContain('0a 03 41 64 61');
  });
});
