/**
 * `http_auth` and `console` in config.yaml: who may use the console's HTTP API, and how the
 * console shows things. Without `http_auth` the console is read-only for everyone; with it,
 * bearer tokens and basic-auth users may silence (write access), and reading may be closed to
 * anonymous visitors. Values come from the environment or mounted files through the usual
 * interpolation (`${CONSOLE_TOKEN}`, `${file:/run/secrets/token}`).
 *
 * ```yaml
 * http_auth:
 *   anonymous_read: true        # default: anyone who reaches the port may read
 *   tokens:
 *     - name: oncall            # recorded as the author of what it does
 *       token: ${ESALERT_CONSOLE_TOKEN}
 *   users:
 *     - username: alice
 *       password: ${file:/run/secrets/alice}
 *       write: false            # default true; false: read only (with anonymous_read: false)
 * console:
 *   timezone: Asia/Shanghai     # default: the browser's
 *   k8s_index: eventrouter-*
 * ```
 */
import { z } from 'zod';
import { isValidTimeZone } from '../util/time.ts';

/** Shortest bearer token and password accepted: anything shorter is guessable. */
export const MIN_TOKEN_LENGTH = 16;
export const MIN_PASSWORD_LENGTH = 8;

/** A value interpolation could not fill: the variable is unset, so the literal `${X}` would become the secret. */
const UNFILLED = /\$\{[^}]*\}|^\$[A-Za-z_][A-Za-z0-9_]*$/;

const secret = (what: string, min: number) =>
  z
    .string({
      error: `must be the ${what} (a string; use \${VAR} or \${file:/path} to keep it out of the file)`,
    })
    .refine((v) => !UNFILLED.test(v), {
      error: (iss) =>
        `refers to ${String(iss.input).match(UNFILLED)?.[0]}, which is not set: set the environment variable or mount the file`,
    })
    .refine((v) => v.length >= min, { error: `must be at least ${min} characters long` });

const principalName = z
  .string({ error: 'must be a name (recorded as the author of silences)' })
  .regex(/^[\w.@+-]{1,64}$/, { error: 'must be 1 to 64 letters, digits or . _ @ + -' });

const httpAuthSchema = z
  .strictObject({
    anonymous_read: z.boolean().default(true),
    tokens: z
      .array(
        z.strictObject({
          name: principalName,
          token: secret('bearer token', MIN_TOKEN_LENGTH),
          write: z.boolean().default(true),
        }),
      )
      .default([]),
    users: z
      .array(
        z.strictObject({
          username: principalName,
          password: secret('password', MIN_PASSWORD_LENGTH),
          write: z.boolean().default(true),
        }),
      )
      .default([]),
  })
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    const names = [
      ...v.tokens.map((t, i) => ({ name: t.name, path: ['tokens', i, 'name'] })),
      ...v.users.map((u, i) => ({ name: u.username, path: ['users', i, 'username'] })),
    ];
    for (const n of names) {
      if (seen.has(n.name))
        ctx.addIssue({
          code: 'custom',
          path: n.path,
          message: `"${n.name}" is used twice: give each its own name`,
        });
      seen.add(n.name);
    }
    const tokens = v.tokens.map((t) => t.token);
    tokens.forEach((t, i) => {
      if (tokens.indexOf(t) !== i)
        ctx.addIssue({
          code: 'custom',
          path: ['tokens', i, 'token'],
          message: 'is the same as another token',
        });
    });
  });

export const consoleSchema = z
  .strictObject({
    timezone: z
      .string()
      .refine(isValidTimeZone, { error: 'must be an IANA time zone name such as UTC or Asia/Shanghai' })
      .optional(),
    k8s_index: z.string().min(1).default('eventrouter-*'),
    k8s_timestamp_field: z.string().min(1).default('@timestamp'),
    k8s_keyword_suffix: z
      .string()
      .refine((s) => s === '' || /^\.[A-Za-z0-9_]+$/.test(s), {
        error: 'must be the keyword sub-field suffix, such as .keyword, or "" when the fields are keywords',
      })
      .default('.keyword'),
  })
  .default({ k8s_index: 'eventrouter-*', k8s_timestamp_field: '@timestamp', k8s_keyword_suffix: '.keyword' });

export const httpAuthOption = httpAuthSchema.optional();

export interface HttpAuthConfig {
  anonymousRead: boolean;
  tokens: { name: string; token: string; write: boolean }[];
  users: { username: string; password: string; write: boolean }[];
}

export interface ConsoleConfig {
  /** The console's default time zone; undefined: the browser's. */
  timezone: string | undefined;
  k8sIndex: string;
  k8sTimestampField: string;
  k8sKeywordSuffix: string;
}

/** The parsed `http_auth` (undefined when absent: read-only, anonymous reads). */
export function httpAuthConfig(v: z.output<typeof httpAuthOption>): HttpAuthConfig | undefined {
  if (!v) return undefined;
  return { anonymousRead: v.anonymous_read, tokens: v.tokens, users: v.users };
}

export function consoleConfig(v: z.output<typeof consoleSchema>): ConsoleConfig {
  return {
    timezone: v.timezone,
    k8sIndex: v.k8s_index,
    k8sTimestampField: v.k8s_timestamp_field,
    k8sKeywordSuffix: v.k8s_keyword_suffix,
  };
}

/** Every secret value in `http_auth`, to keep out of logs and API output. */
export function httpAuthSecrets(auth: HttpAuthConfig | undefined): string[] {
  if (!auth) return [];
  return [...auth.tokens.map((t) => t.token), ...auth.users.map((u) => u.password)];
}
