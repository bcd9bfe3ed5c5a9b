/**
 * Who is calling: the Authorization header checked against http_auth's bearer tokens and
 * basic-auth users. Comparisons take the same time whatever the value (digests compared with
 * timingSafeEqual), and the answer to a wrong credential never says which part was wrong.
 *
 * The server never asks the browser for basic credentials (no `WWW-Authenticate: Basic`), so a
 * browser never caches them and attaches them to requests another site makes: the console's
 * script sends the header itself, on each request.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** http_auth as config.yaml gives it (config/http-auth.ts). */
export interface HttpAuthSettings {
  anonymousRead: boolean;
  tokens: readonly { name: string; token: string; write: boolean }[];
  users: readonly { username: string; password: string; write: boolean }[];
}

export interface Principal {
  /** null: anonymous. */
  user: string | null;
  read: boolean;
  write: boolean;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: string };

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

function same(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(a, b);
}

export interface Authenticator {
  readonly configured: boolean;
  check(authorization: string | undefined): AuthResult;
}

export function createAuthenticator(settings: HttpAuthSettings | undefined): Authenticator {
  const tokens = (settings?.tokens ?? []).map((t) => ({ ...t, digest: digest(t.token) }));
  const users = (settings?.users ?? []).map((u) => ({
    ...u,
    nameDigest: digest(u.username),
    digest: digest(u.password),
  }));
  const anonymous: Principal = { user: null, read: settings?.anonymousRead ?? true, write: false };
  return {
    configured: settings !== undefined,
    check(authorization) {
      if (authorization === undefined || authorization.trim() === '')
        return { ok: true, principal: anonymous };
      const m = /^(\w+)\s+(\S+)\s*$/.exec(authorization);
      if (!m)
        return { ok: false, reason: 'the Authorization header is not "Bearer <token>" or "Basic <base64>"' };
      const scheme = m[1]!.toLowerCase();
      const value = m[2]!;
      if (scheme === 'bearer') {
        const d = digest(value);
        // every token is compared, so the time taken does not tell which one nearly matched
        let found: (typeof tokens)[number] | undefined;
        for (const t of tokens) if (same(d, t.digest)) found ??= t;
        return found
          ? { ok: true, principal: { user: found.name, read: true, write: found.write } }
          : { ok: false, reason: 'unknown token' };
      }
      if (scheme === 'basic') {
        const decoded = Buffer.from(value, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon < 0) return { ok: false, reason: 'basic credentials must be user:password in base64' };
        const name = digest(decoded.slice(0, colon));
        const pass = digest(decoded.slice(colon + 1));
        let found: (typeof users)[number] | undefined;
        for (const u of users) {
          const nameOk = same(name, u.nameDigest);
          const passOk = same(pass, u.digest);
          if (nameOk && passOk) found ??= u;
        }
        return found
          ? { ok: true, principal: { user: found.username, read: true, write: found.write } }
          : { ok: false, reason: 'unknown user or wrong password' };
      }
      return { ok: false, reason: `unsupported authorization scheme "${m[1]}": use Bearer or Basic` };
    },
  };
}
