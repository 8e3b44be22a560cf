/**
 * Which views a body offers, best first: the content type proposes (JSON, a form, HTML or
 * XML, an image), the bytes dispose (a "JSON" body that does not parse gets no tree, and
 * bytes that are not UTF-8 get no text view). Hex is always there. A protobuf body comes
 * first; octet-stream bytes that decode fully as a protobuf message offer it after hex.
 */
import type { ApiResult } from '../../../../shared/api.js';
import type { DecodedMessage } from '../../../../shared/protobuf-wire.js';
import { base64ToBytes, decodeText, isJsonType, mediaType } from './body-preview.js';
import { isProtobufType, protobufBody } from './body-protobuf.js';
import { formatBytes } from './format.js';
import { isFormType } from './form-fields.js';
import { parseJson } from './json-tree.js';
import type { MarkupFlavour } from './markup-pretty.js';

export type BodyView =
  'json' | 'pretty-json' | 'form' | 'markup' | 'image' | 'protobuf' | 'text' | 'hex';

export type DecodedBody = NonNullable<ApiResult<'getDecodedBody'>>;

export interface BodyContent {
  base64: string;
  bytes: Uint8Array;
  /** The media type, lower case, without parameters ('' when none was sent). */
  type: string;
  /** The whole Content-Type header (multipart needs its boundary). */
  contentType: string | undefined;
  /** UTF-8 text, or undefined for bytes that are not text. */
  text: string | undefined;
  /** The parsed value when the body is JSON. */
  json: { value: unknown } | undefined;
  /** HTML or XML, and which. */
  markup: MarkupFlavour | undefined;
  /** The body as a schema-less protobuf message (protobuf and octet-stream bodies only). */
  protobuf: DecodedMessage | undefined;
}

const IMAGE_TYPES = /^image\/(png|jpe?g|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon|svg\+xml)$/;

function markupFlavour(type: string, text: string | undefined): MarkupFlavour | undefined {
  if (text === undefined) return undefined;
  if (type === 'text/html') return 'html';
  if (type.endsWith('/xml') || type.endsWith('+xml')) return 'xml';
  if (type !== '' && type !== 'text/plain') return undefined;
  // Untyped: decide by the first characters (a BOM and whitespace skipped).
  const head = text.slice(0, 256).replace(/^\uFEFF?\s*/, '');
  if (/^<(!doctype\s+html|html[\s>])/i.test(head)) return 'html';
  return /^<[?!A-Za-z]/.test(head) ? 'xml' : undefined;
}

export function bodyContent(base64: string, contentType: string | undefined): BodyContent {
  const bytes = base64ToBytes(base64);
  const type = mediaType(contentType);
  const text = decodeText(bytes);
  const looksJson =
    text !== undefined &&
    (isJsonType(type) || ((type === '' || type === 'text/plain') && /^\s*[[{]/.test(text)));
  return {
    base64,
    bytes,
    type,
    contentType,
    text,
    json: looksJson ? parseJson(text) : undefined,
    markup: markupFlavour(type, text),
    protobuf: protobufBody(bytes, type),
  };
}

/** The views this body offers; the first is the one shown until the user picks another. */
export function bodyViews(content: BodyContent): BodyView[] {
  if (content.bytes.length === 0) return [];
  const views: BodyView[] = [];
  const protobufFirst = content.protobuf !== undefined && isProtobufType(content.type);
  if (protobufFirst) views.push('protobuf');
  if (content.json) views.push('json', 'pretty-json');
  if (isFormType(content.type)) views.push('form');
  if (IMAGE_TYPES.test(content.type)) views.push('image');
  if (content.markup) views.push('markup');
  if (content.text !== undefined) views.push('text');
  views.push('hex');
  if (content.protobuf && !protobufFirst) views.push('protobuf');
  return views;
}

export function viewLabel(view: BodyView, content: BodyContent): string {
  switch (view) {
    case 'json':
      return 'JSON tree';
    case 'pretty-json':
      return 'Pretty JSON';
    case 'form':
      return 'Form fields';
    case 'markup':
      return content.markup === 'html' ? 'Pretty HTML' : 'Pretty XML';
    case 'image':
      return 'Image';
    case 'text':
      return 'Text';
    case 'protobuf':
      return 'Protobuf fields';
    case 'hex':
      return 'Hex';
  }
}

/** "gzip, 1.2 KiB → 8.4 KiB": what the engine undid; undefined when nothing was. */
export function decodingLine(decoded: DecodedBody): string | undefined {
  if (decoded.encodings.length === 0) return undefined;
  return `${decoded.encodings.join(', ')}, ${formatBytes(decoded.size)} → ${formatBytes(decoded.decodedSize)}`;
}
