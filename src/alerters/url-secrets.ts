/**
 * Secrets carried by webhook URLs: query values (DingTalk access_token, WeCom key), user info, and
 * token-like path segments (Slack /services/T../B../<token>, Feishu /hook/<uuid>).
 */
import { createHash } from 'node:crypto';
import { redactText, redactUrl } from '../util/redact.ts';

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

const tokenLike = (segment: string) =>
  segment.length >= 16 && /[0-9]/.test(segment) && /[A-Za-z]/.test(segment);

/** Values in a URL that must not be shown (each at least 4 characters long). */
export function urlSecrets(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  const out = [
    ...u.searchParams.values(),
    decode(u.password),
    ...u.pathname.split('/').filter(tokenLike).map(decode),
  ];
  return [...new Set(out.filter((s) => s.length >= 4))];
}

/** A URL fit for logs and writeback documents: query values, credentials and token-like path parts masked. */
export function displayUrl(url: string): string {
  return redactText(redactUrl(url), urlSecrets(url));
}

/** A short stable name for a destination URL that does not reveal it (channel ids). */
export function urlDigest(url: string): string {
  return createHash('sha1').update(url).digest('hex').slice(0, 12);
}

/** The last part of a URL's path (the token of webhooks like https://webhooks.gitter.im/e/<token>). */
export function lastPathPart(url: string): string | undefined {
  try {
    return new URL(url).pathname.split('/').filter(Boolean).at(-1);
  } catch {
    return undefined;
  }
}
