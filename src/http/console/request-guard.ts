/**
 * What every answer carries and what every change must prove.
 *
 * Security headers: a Content-Security-Policy that allows only this server's own scripts and
 * styles (no inline script, no eval, no framing), nosniff, no referrer, and isolation from other
 * sites' windows and resources.
 *
 * Writes (anything but GET/HEAD) must come from the console's own pages or a deliberate API
 * client, never from a form or script of another site riding on a user's credentials:
 *   - they carry the header `X-Esalert-Request: 1`, which a cross-site page cannot send without
 *     a CORS preflight, and this server answers no preflight;
 *   - when the browser says where the request comes from (Origin, Sec-Fetch-Site), it must be
 *     this server's own origin;
 *   - a body must be JSON (`content-type: application/json`), which an HTML form cannot send.
 */
import type { IncomingMessage } from 'node:http';

export const CSRF_HEADER = 'x-esalert-request';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

export const isSafeMethod = (method: string | undefined) => method === 'GET' || method === 'HEAD';

/** Why a request that changes something is refused, or undefined when it may go on. */
export function csrfProblem(req: IncomingMessage, hasBody: boolean): string | undefined {
  if (req.headers[CSRF_HEADER] !== '1')
    return `requests that change something need the header "X-Esalert-Request: 1"`;
  const host = req.headers.host;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = undefined;
    }
    if (!host || originHost !== host) return `cross-origin request from ${origin} refused`;
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return `cross-site request (${String(site)}) refused`;
  if (hasBody) {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') return 'the body must be JSON (content-type: application/json)';
  }
  return undefined;
}
