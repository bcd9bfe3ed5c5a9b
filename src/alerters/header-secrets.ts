/**
 * Credentials in the HTTP headers an alerter sends, for its secrets(): every value of a header
 * whose name says it is one (Authorization, X-Api-Key, Cookie, PRIVATE-TOKEN...) at any depth of
 * the option (nested maps and lists too), with its parts (the token of "Bearer <token>", the
 * "user:password" and password inside "Basic <base64>"); and any other value that looks like a
 * token (16 or more characters with letters and digits), except in headers that never carry one.
 */
import { isSecretHeader } from '../util/secret-names.ts';

const PLAIN_HEADERS = new Set([
  'content-type',
  'accept',
  'accept-encoding',
  'accept-language',
  'content-encoding',
  'cache-control',
  'user-agent',
]);

const tokenLike = (s: string) => s.length >= 16 && /[0-9]/.test(s) && /[A-Za-z]/.test(s) && !/\s/.test(s);

/** A credential and the parts of it that may show up on their own. */
function withParts(value: string): string[] {
  const out = [value, ...value.split(/\s+/).filter((p) => p.length >= 8)];
  const basic = /^basic\s+([A-Za-z0-9+/=_-]+)$/i.exec(value.trim());
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) out.push(decoded, decoded.slice(colon + 1));
  }
  return out;
}

export function headerSecrets(headers: unknown): string[] {
  const out = new Set<string>();
  const walk = (value: unknown, name: string | undefined, secret: boolean) => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v, name, secret);
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, k, secret || isSecretHeader(k));
    } else if (value !== undefined && value !== null) {
      const text = String(value);
      if (/\{\{|\{%/.test(text)) return; // a template: its rendered values are checked when sent
      if (secret) for (const part of withParts(text)) out.add(part);
      else if (tokenLike(text) && !PLAIN_HEADERS.has((name ?? '').toLowerCase())) out.add(text);
    }
  };
  walk(headers, undefined, false);
  return [...out].filter((s) => s.length >= 4);
}
