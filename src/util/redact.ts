/**
 * Keeping secrets out of logs, errors and writeback documents: webhook tokens travel in URLs
 * (DingTalk access_token, WeCom key), passwords and API keys in options and headers. A secret is
 * also found in the forms a receiver or a serializer may give it back in: URL-encoded,
 * JSON-escaped, and base64 (alone, or inside a longer base64 text such as a Basic credential).
 */
import { isSecretName } from './secret-names.ts';
import { capText } from './text-caps.ts';

const MASK = '***';

/** A URL without what may be secret: query values and credentials masked. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    for (const key of [...u.searchParams.keys()]) u.searchParams.set(key, MASK);
    return u.toString().replace(/%2A%2A%2A/g, MASK);
  } catch {
    return '<invalid URL>';
  }
}

/** Shortest base64 run that still identifies a secret inside a longer base64 text. */
const MIN_BASE64_CORE = 8;

/**
 * The parts of base64 texts that any base64 encoding containing `secret` contains: for each of the
 * three alignments, the characters that depend on the secret's bytes only.
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const out = [bytes.toString('base64'), bytes.toString('base64').replace(/=+$/, '')];
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
    const core = enc.slice(k > 0 ? 4 : 0, (k + bytes.length) % 3 === 0 ? enc.length : -4);
    if (core.length >= MIN_BASE64_CORE) out.push(core);
  }
  return out.flatMap((f) => [f, f.replace(/\+/g, '-').replace(/\//g, '_')]);
}

const formCache = new Map<string, string[]>();

/** Every form of a secret to look for, longest first (so a longer form is masked whole). */
function formsOf(secret: string): string[] {
  let forms = formCache.get(secret);
  if (!forms) {
    forms = [
      ...new Set([
        secret,
        encodeURIComponent(secret),
        JSON.stringify(secret).slice(1, -1),
        ...base64Forms(secret),
      ]),
    ].sort((a, b) => b.length - a.length);
    if (formCache.size >= 1000) formCache.clear();
    formCache.set(secret, forms);
  }
  return forms;
}

/** Replaces every occurrence of the given secrets (and their encoded forms) in a text. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    for (const form of formsOf(s)) if (out.includes(form)) out = out.split(form).join(MASK);
  }
  return out;
}

/** A deep copy of a value with secrets replaced in every string (cycles and errors kept readable). */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  return scrub(value, secrets, false, new WeakMap()) as T;
}

/**
 * What a logger writes: secrets replaced in every string, and the values of fields named like
 * credentials (authorization, password, token, x-api-key...) masked at any depth. Errors keep
 * their message, stack and code; a cycle is written as "[Circular]"; strings longer than
 * MAX_LOG_CHARS are cut with a marker.
 */
export function scrubForLog<T>(value: T, secrets: readonly string[]): T {
  return scrub(value, secrets, true, new WeakMap()) as T;
}

/** A log field to mask by its name ("key" alone names silence keys, not credentials). */
const isSecretField = (name: string) => isSecretName(name) && name.toLowerCase() !== 'key';

/** The longest string a log line carries in one field (event text can be any size). */
export const MAX_LOG_CHARS = 16_384;

function scrub(
  value: unknown,
  secrets: readonly string[],
  byName: boolean,
  seen: WeakMap<object, unknown>,
): unknown {
  if (typeof value === 'string') return redactText(byName ? capText(value, MAX_LOG_CHARS) : value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value) ?? '[Circular]';
  seen.set(value, undefined);
  let out: unknown;
  if (value instanceof Error) {
    const copy = new Error(redactText(value.message, secrets));
    copy.name = value.name;
    copy.stack = value.stack === undefined ? undefined : redactText(value.stack, secrets);
    for (const [k, v] of Object.entries(value))
      (copy as unknown as Record<string, unknown>)[k] =
        byName && isSecretField(k) ? MASK : scrub(v, secrets, byName, seen);
    if (value.cause !== undefined) copy.cause = scrub(value.cause, secrets, byName, seen);
    out = copy;
  } else if (Array.isArray(value)) {
    out = value.map((v) => scrub(v, secrets, byName, seen));
  } else if (Buffer.isBuffer(value) || value instanceof Date || value instanceof RegExp) {
    out = value;
  } else {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      copy[k] =
        byName && isSecretField(k) && v !== undefined && v !== null ? MASK : scrub(v, secrets, byName, seen);
    out = copy;
  }
  seen.set(value, out);
  return out;
}
