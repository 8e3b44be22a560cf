/**
 * The route forms beyond "prefix → URL": a path matched by a regular expression, conditions
 * on headers, host, path or scheme, targets built from what matched, redirects, and answers
 * Switchyard gives itself. They carry Apache's mod_rewrite proxy subset, ProxyPassMatch,
 * <LocationMatch>, mod_alias redirects and `ProxyPass /path !` into the routing file.
 *
 * Regular expressions run on RE2 (re2js): matching is linear in the input whatever the
 * pattern, so no routing file can make a request take exponential time. RE2 has no
 * look-around and no back-references inside a pattern; such a pattern is refused at its
 * line with RE2's reason.
 */
import { RE2JS } from 're2js';
import { z } from 'zod';

/** Compile a pattern, or say why RE2 refuses it. */
export function compilePattern(
  source: string,
  ignoreCase: boolean,
): { pattern: RE2JS } | { error: string } {
  try {
    return { pattern: RE2JS.compile(source, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0) };
  } catch (e) {
    const reason = e instanceof Error ? e.message.replace(/^error parsing regexp: /, '') : '';
    return { error: `is not a regular expression Switchyard can run in linear time (${reason})` };
  }
}

const regex = z
  .string()
  .min(1, 'must not be empty')
  .superRefine((text, ctx) => {
    const result = compilePattern(text, false);
    if ('error' in result) ctx.addIssue({ code: 'custom', message: result.error });
  })
  .meta({
    description:
      'A regular expression (RE2 syntax: linear-time, no look-around or back-references).',
  });

/**
 * Placeholders a target, redirect or body may use:
 * `$0`–`$9` the path pattern's groups, `{{when.N}}` the groups of the last condition that
 * matched by pattern, and `{{request.host}}` (hostname), `{{request.authority}}` (Host as
 * sent), `{{request.path}}`, `{{request.query}}`, `{{request.scheme}}`,
 * `{{request.header.NAME}}`.
 */
export const TEMPLATE_PATTERN = /\$([0-9])|\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

const REQUEST_FIELDS = ['host', 'authority', 'path', 'query', 'scheme'];

/** The first placeholder that names nothing, or undefined. */
export function unknownPlaceholder(template: string): string | undefined {
  for (const m of template.matchAll(TEMPLATE_PATTERN)) {
    const name = m[2];
    if (name === undefined) continue;
    if (/^when\.[0-9]$/.test(name)) continue;
    if (name.startsWith('request.header.') && name.length > 'request.header.'.length) continue;
    if (name.startsWith('request.') && REQUEST_FIELDS.includes(name.slice(8))) continue;
    return m[0];
  }
  return undefined;
}

/** Does the text use a placeholder at all? */
export function hasPlaceholder(template: string): boolean {
  return template.search(TEMPLATE_PATTERN) !== -1;
}

/** Does the text use `$N` (the path pattern's groups)? */
export function usesPathGroups(template: string): boolean {
  return /\$[0-9]/.test(template);
}

/** The template with every placeholder replaced by a sample value, for URL checks. */
export function sampleOf(template: string): string {
  return template.replace(TEMPLATE_PATTERN, (_, group: string | undefined) =>
    group === undefined ? 'x' : '',
  );
}

export const CONDITION_SUBJECT = /^(host|path|scheme|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;

const conditionFields = {
  on: z.string().regex(CONDITION_SUBJECT, 'must be host, path, scheme or header:NAME').meta({
    description:
      "What is tested: 'host' (hostname, no port), 'path', 'scheme' (http or https, as the client reached Switchyard) or 'header:NAME' (empty when absent).",
  }),
  matches: regex.optional(),
  equals: z.string().optional().meta({ description: 'Equal to this text.' }),
  ignoreCase: z.boolean().default(false),
  not: z.boolean().default(false).meta({ description: 'Holds when the test fails.' }),
};

function checkTest(
  c: { matches?: string | undefined; equals?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if ((c.matches === undefined) === (c.equals === undefined))
    ctx.addIssue({ code: 'custom', message: 'needs exactly one of matches or equals' });
}

const simpleCondition = z.strictObject(conditionFields).superRefine(checkTest);

export const conditionSchema = z
  .strictObject({
    ...conditionFields,
    on: conditionFields.on.optional(),
    anyOf: z.array(simpleCondition).min(2).optional().meta({
      description: 'Holds when one of these holds (RewriteCond … [OR]).',
    }),
  })
  .superRefine((c, ctx) => {
    if (c.anyOf !== undefined) {
      if (c.on !== undefined || c.matches !== undefined || c.equals !== undefined)
        ctx.addIssue({
          code: 'custom',
          message: 'anyOf stands alone: move on/matches/equals into it',
        });
      return;
    }
    if (c.on === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'needs on (host, path, scheme or header:NAME) or anyOf',
      });
      return;
    }
    checkTest(c, ctx);
  })
  .meta({
    description:
      'A condition on the request (Apache RewriteCond): `on` tested with `matches` (regular expression) or `equals`, or `anyOf` a list.',
  });

export const REDIRECT_STATUSES = [301, 302, 303, 307, 308] as const;

export const redirectSchema = z
  .strictObject({
    to: z
      .string()
      .min(
        1,
        'must say where to send the client: a path such as /new or a URL such as https://example.com/',
      )
      .meta({
        description:
          'Where to send the client: an absolute URL or a path. Without placeholders on a route with no pathRegex, the rest of the path after match.path is appended (Apache Redirect); otherwise it is used as written, placeholders filled in (RedirectMatch, RewriteRule [R]).',
      }),
    status: z
      .literal(REDIRECT_STATUSES, { error: 'must be 301, 302, 303, 307 or 308' })
      .default(302)
      .meta({ description: '301, 302, 303, 307 or 308.' }),
  })
  .meta({ description: 'Answer with a redirect instead of proxying.' });

export const RESPOND_PAGES = ['balancers'] as const;

export const respondSchema = z
  .strictObject({
    status: z
      .int('must be a whole number')
      .min(200, 'must be an HTTP status from 200 to 599')
      .max(599, 'must be an HTTP status from 200 to 599')
      .default(404),
    body: z
      .string()
      .max(65536, 'must be at most 64 KiB; serve bigger files from a backend')
      .optional(),
    contentType: z.string().default('text/plain; charset=utf-8'),
    page: z.enum(RESPOND_PAGES).optional().meta({
      description:
        "'balancers': a read-only view of every balancer and member (Apache's balancer-manager), pointing at the app for changes.",
    }),
  })
  .meta({
    description:
      'Switchyard answers itself, never a backend (Apache `ProxyPass /path !`, `SetHandler balancer-manager`).',
  });

export type ConditionConfig = z.output<typeof conditionSchema>;
export type SimpleConditionConfig = z.output<typeof simpleCondition>;
export type RedirectConfig = z.output<typeof redirectSchema>;
export type RespondConfig = z.output<typeof respondSchema>;
