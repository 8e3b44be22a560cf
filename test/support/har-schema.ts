/**
 * HAR 1.2 as a zod schema, written from the spec
 * (http://www.softwareishard.com/blog/har-12-spec/) and independent of the exporter, so
 * tests check exports against the format rather than against the code that wrote them.
 *
 * Besides field presence and types it checks the spec's rules: custom fields start with
 * `_`; startedDateTime is ISO 8601 with a zone; send/wait/receive are ≥ 0 and the other
 * phases ≥ 0 or -1; entry `time` is the sum of the phases that apply; URLs are absolute;
 * postData's `text` and `params` are mutually exclusive.
 */
import { z } from 'zod';

/**
 * An object with the spec's fields that accepts extra fields only when they start with
 * `_` (the spec's rule for custom fields). `extensions` are non-`_` fields tolerated.
 */
function harObject<S extends z.ZodRawShape>(shape: S, extensions: string[] = []) {
  const known = new Set([...Object.keys(shape), ...extensions]);
  return z
    .object(shape)
    .catchall(z.unknown())
    .superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        if (!known.has(key) && !key.startsWith('_')) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown field ${key} (custom fields start with _)`,
          });
        }
      }
    });
}

const comment = z.string().optional();
const integer = z.number().int();
/** -1 when the information is not available. */
const sizeOrUnknown = integer.min(-1);
const isoDate = z.iso.datetime({ offset: true });

const nameValue = harObject({ name: z.string(), value: z.string(), comment });

const cookie = harObject({
  name: z.string(),
  value: z.string(),
  path: z.string().optional(),
  domain: z.string().optional(),
  expires: isoDate.optional(),
  httpOnly: z.boolean().optional(),
  secure: z.boolean().optional(),
  comment,
});

const postData = harObject(
  {
    mimeType: z.string(),
    params: z
      .array(
        harObject({
          name: z.string(),
          value: z.string().optional(),
          fileName: z.string().optional(),
          contentType: z.string().optional(),
          comment,
        }),
      )
      .optional(),
    text: z.string().optional(),
    comment,
  },
  // Not in 1.2 for postData, but the de-facto extension for binary bodies (as content).
  ['encoding'],
).refine((p) => (p.text === undefined) !== (p.params === undefined), {
  message: 'postData needs exactly one of text and params',
});

const absoluteUrl = z.string().refine((url) => URL.canParse(url), 'not an absolute URL');

const request = harObject({
  method: z.string().min(1),
  url: absoluteUrl,
  httpVersion: z.string(),
  cookies: z.array(cookie),
  headers: z.array(nameValue),
  queryString: z.array(nameValue),
  postData: postData.optional(),
  headersSize: sizeOrUnknown,
  bodySize: sizeOrUnknown,
  comment,
});

const content = harObject({
  size: integer,
  compression: integer.optional(),
  mimeType: z.string(),
  text: z.string().optional(),
  encoding: z.string().optional(),
  comment,
});

const response = harObject({
  status: integer,
  statusText: z.string(),
  httpVersion: z.string(),
  cookies: z.array(cookie),
  headers: z.array(nameValue),
  content,
  redirectURL: z.string(),
  headersSize: sizeOrUnknown,
  bodySize: sizeOrUnknown,
  comment,
});

const cacheEntry = harObject({
  expires: isoDate.optional(),
  lastAccess: isoDate,
  eTag: z.string(),
  hitCount: integer,
  comment,
});

const cache = harObject({
  beforeRequest: cacheEntry.nullable().optional(),
  afterRequest: cacheEntry.nullable().optional(),
  comment,
});

const optionalPhase = z.number().min(-1).optional();
const timings = harObject({
  blocked: optionalPhase,
  dns: optionalPhase,
  connect: optionalPhase,
  send: z.number().min(0),
  wait: z.number().min(0),
  receive: z.number().min(0),
  ssl: optionalPhase,
  comment,
});

const entry = harObject({
  pageref: z.string().optional(),
  startedDateTime: isoDate,
  time: z.number().min(0),
  request,
  response,
  cache,
  timings,
  serverIPAddress: z.string().optional(),
  connection: z.string().optional(),
  comment,
}).refine(
  (e) => {
    // ssl is part of connect, so it is not added again.
    const t = e.timings;
    const phases = [t.blocked, t.dns, t.connect, t.send, t.wait, t.receive];
    const sum = phases.reduce<number>((s, p) => s + (p !== undefined && p > 0 ? p : 0), 0);
    return Math.abs(sum - e.time) < 1e-6;
  },
  { message: 'time is not the sum of the timings' },
);

const creator = harObject({ name: z.string(), version: z.string(), comment });

const page = harObject({
  startedDateTime: isoDate,
  id: z.string(),
  title: z.string(),
  pageTimings: harObject({
    onContentLoad: z.number().min(-1).optional(),
    onLoad: z.number().min(-1).optional(),
    comment,
  }),
  comment,
});

export const harSchema = harObject({
  log: harObject({
    version: z.literal('1.2'),
    creator,
    browser: creator.optional(),
    pages: z.array(page).optional(),
    entries: z.array(entry),
    comment,
  }),
});
