/**
 * Keeping secrets out of logs, errors and writeback documents: webhook tokens travel in URLs
 * (DingTalk access_token, WeCom key), passwords and API keys in options.
 */

/** A URL without what may be secret: query values and credentials masked. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    for (const key of [...u.searchParams.keys()]) u.searchParams.set(key, '***');
    return u.toString().replace(/%2A%2A%2A/g, '***');
  } catch {
    return '<invalid URL>';
  }
}

/** Replaces every occurrence of the given secrets (and their URL-encoded forms) in a text. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    for (const form of new Set([s, encodeURIComponent(s)])) out = out.split(form).join('***');
  }
  return out;
}

/** A deep copy of a value with secrets replaced in every string. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return redactText(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, secrets)])) as T;
  }
  return value;
}
