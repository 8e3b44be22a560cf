// @vitest-environment happy-dom
/**
 * The inspector's gRPC and SSE panes with a fake ProxyClient: messages protobufjs encoded,
 * split and decoded in the renderer, named when the engine gives a schema, raw hex on
 * demand, filling in when the exchange progresses; SSE events listed with their times.
 */
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { reactive } from 'vue';
import GrpcMessages from '../../../src/renderer/src/features/traffic/GrpcMessages.vue';
import SseEvents from '../../../src/renderer/src/features/traffic/SseEvents.vue';
import { messageTypesOf } from '../../../src/engine/grpc/message-types.js';
import type { BodyInfo } from '../../../src/shared/exchange.js';
import { createFakeClient, type FakeClient } from '../../support/fake-client.js';
import { mountWithClient } from '../../support/renderer-mount.js';

const root = protobuf
  .parse(
    `syntax = "proto3"; package demo;
     message Ping { string text = 1; repeated int32 n = 2; Inner inner = 3; }
     message Inner { sint32 delta = 1; }`,
    { keepCase: true },
  )
  .root.resolveAll();
const Ping = root.lookupType('demo.Ping');

function frame(message: Uint8Array, compressed = false): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  out[0] = compressed ? 1 : 0;
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

function ping(text: string, delta: number): Uint8Array {
  return frame(Ping.encode(Ping.fromObject({ text, n: [1, 2], inner: { delta } })).finish());
}

const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const info = (size: number, extra: Partial<BodyInfo> = {}): BodyInfo => ({
  size,
  captured: size,
  truncated: false,
  ...extra,
});

describe('GrpcMessages', () => {
  let view: VueWrapper | undefined;
  afterEach(() => view?.unmount());

  function mountFor(client: FakeClient, props: Record<string, unknown>) {
    view = mountWithClient(GrpcMessages, client, props);
    return view;
  }

  it('lists each message with its fields named from the schema, and hex on demand', async () => {
    const client = createFakeClient();
    const up = ping('hello', -3);
    const down = concat(ping('pong', 7), frame(Uint8Array.from([1, 2, 3]), true));
    client.data.bodies.set('5:request', up);
    client.data.bodies.set('5:response', down);
    client.respond('grpcSchema', () => ({
      request: 'demo.Ping',
      response: 'demo.Ping',
      types: messageTypesOf([Ping]),
      source: 'proto',
      origin: '/work/demo.proto',
    }));
    const v = mountFor(client, {
      exchangeId: 5,
      requestBody: info(up.length),
      responseBody: info(down.length, { arrivals: [0, 12, down.length - 4, 40] }),
      revision: 1,
    });
    await flushPromises();
    const text = v.text();
    expect(text).toContain('Field names from /work/demo.proto');
    expect(text).toContain('Request messages (1)');
    expect(text).toContain('Response messages (2)');
    expect(text).toContain('1 text');
    expect(text).toContain('"hello"');
    expect(text).toContain('[1, 2]');
    expect(text).toContain('-3');
    expect(text).toContain('compressed');
    expect(text).toContain('+40 ms');
    expect(client.callsOf('grpcSchema')).toEqual([[5]]);

    const hex = v.findAll('button').find((b) => b.text() === 'Hex')!;
    expect(v.find('pre.hex').exists()).toBe(false);
    await hex.trigger('click');
    expect(v.find('pre.hex').text()).toMatch(/^00000000 {2}0a 05 68 65 6c 6c 6f/);
  });

  it('shows field numbers and wire types without a schema, and fills in as the call goes on', async () => {
    const client = createFakeClient();
    client.data.bodies.set('6:request', ping('a', 1));
    client.data.bodies.set('6:response', ping('b', 2));
    const props = reactive({
      exchangeId: 6,
      requestBody: info(10),
      responseBody: info(10),
      revision: 1,
    });
    const v = mountFor(client, props);
    await flushPromises();
    expect(v.text()).toContain('No schema: field numbers and wire types only (no .proto file)');
    expect(v.text()).toContain('Response messages (1)');
    expect(v.text()).toMatch(/3\s*len/);
    expect(v.text()).toMatch(/2 \(zigzag 1\)/);

    client.data.bodies.set('6:response', concat(ping('b', 2), ping('c', 3), ping('d', 4)));
    props.revision = 2;
    await flushPromises();
    expect(v.text()).toContain('Response messages (3)');
    expect(v.text()).toContain('"d"');
    expect(client.callsOf('grpcSchema')).toHaveLength(1);
  });
});

describe('GrpcMessages: .proto files opened in the app', () => {
  it('sends their text to the engine, asks for the schema again and shows problems', async () => {
    const client = createFakeClient();
    client.data.bodies.set('7:request', ping('a', 1));
    client.data.bodies.set('7:response', ping('b', 2));
    let opened = false;
    client.respond('openProtos', (files) => {
      opened = true;
      return { loaded: [files[0]!.name], problems: ['bad.proto:3: illegal token'] };
    });
    client.respond('grpcSchema', () =>
      opened
        ? {
            request: 'demo.Ping',
            response: 'demo.Ping',
            types: messageTypesOf([Ping]),
            source: 'proto' as const,
            origin: 'demo.proto (opened in the app)',
          }
        : { types: {}, source: 'none' as const },
    );
    const view = mountWithClient(GrpcMessages, client, {
      exchangeId: 7,
      requestBody: info(10),
      responseBody: info(10),
      revision: 1,
    });
    try {
      await flushPromises();
      expect(view.text()).not.toContain('1 text');
      const input = view.find('input[type="file"]');
      const file = new File(['syntax = "proto3";'], 'demo.proto');
      Object.defineProperty(input.element, 'files', { value: [file], configurable: true });
      await input.trigger('change');
      await flushPromises();
      await new Promise((r) => setTimeout(r, 0));
      await flushPromises();
      expect(client.callsOf('openProtos')).toEqual([
        [[{ name: 'demo.proto', text: 'syntax = "proto3";' }]],
      ]);
      expect(client.callsOf('grpcSchema')).toHaveLength(2);
      expect(view.text()).toContain('Field names from demo.proto (opened in the app)');
      expect(view.text()).toContain('1 text');
      expect(view.find('[role="alert"]').text()).toBe('bad.proto:3: illegal token');

      // Too big or too many: said here, naming the file, and nothing is sent.
      const huge = new File(['x'.repeat(600 * 1024)], 'huge.proto');
      Object.defineProperty(input.element, 'files', { value: [huge], configurable: true });
      await input.trigger('change');
      await flushPromises();
      expect(view.find('[role="alert"]').text()).toBe(
        'huge.proto is 600 KiB; a .proto file opened here may be at most 512 KiB.',
      );
      const many = Array.from({ length: 11 }, (_, i) => new File(['x'], `f${i}.proto`));
      Object.defineProperty(input.element, 'files', { value: many, configurable: true });
      await input.trigger('change');
      await flushPromises();
      expect(view.find('[role="alert"]').text()).toContain('11 files chosen; open at most 10');
      expect(client.callsOf('openProtos')).toHaveLength(1);
    } finally {
      view.unmount();
    }
  });
});

describe('SseEvents', () => {
  it('lists events with their arrival times and grows with the stream', async () => {
    const client = createFakeClient();
    const first = 'id: 1\nevent: tick\ndata: one\n\n';
    client.data.bodies.set('9:response', new TextEncoder().encode(first));
    const props = reactive({
      exchangeId: 9,
      info: info(first.length, { arrivals: [0, 15] }),
      revision: 1,
    });
    const view = mountWithClient(SseEvents, client, props);
    try {
      await flushPromises();
      expect(view.findAll('tbody tr').map((r) => r.findAll('td').map((c) => c.text()))).toEqual([
        ['1', '+15 ms', '1', 'tick', 'one'],
      ]);
      const more = `${first}: ping\ndata: two\ndata: lines\n\n`;
      client.data.bodies.set('9:response', new TextEncoder().encode(more));
      props.info = info(more.length, { arrivals: [0, 15, first.length, 1015] });
      props.revision = 2;
      await flushPromises();
      expect(view.findAll('tbody tr')).toHaveLength(2);
      expect(view.findAll('tbody tr')[1]!.text()).toContain('+1015 ms');
      expect(view.text()).toContain('1 comment lines');
      expect(view.findAll('tbody tr')[1]!.find('pre').text()).toBe('two\nlines');
    } finally {
      view.unmount();
    }
  });
});
