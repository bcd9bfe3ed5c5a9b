/** HTTP for alerters: undici with a timeout, an abort signal, optional proxy and TLS settings. */
import { readFileSync } from 'node:fs';
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import { errorMessage } from '../errors/esalert-error.ts';
import { redactUrl } from '../util/redact.ts';
import type { SendOutcome } from './alerter.ts';

export interface HttpOptions {
  method?: 'POST' | 'PUT' | 'GET' | 'PATCH';
  headers?: Record<string, string>;
  timeoutMs: number;
  /**
   * `*_ca_certs`: a CA file to verify the receiver's certificate with; true or false mean "the
   * system's CAs" (ElastAlert 2: false is no custom CA, not "no verification").
   */
  caCerts?: string | boolean;
  /** `*_ignore_ssl_errors`: the only way to skip verification (when no CA file is given, as in ElastAlert 2). */
  ignoreSslErrors?: boolean;
  proxy?: string;
}

export interface HttpResult {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** undici, loaded by the first alert sent over HTTP: a process that sends none does not hold it (about 10 MB). */
let undici: Promise<typeof Undici> | undefined;
const loadUndici = () => (undici ??= import('undici'));

const dispatchers = new Map<string, Dispatcher>();

function dispatcherFor(o: HttpOptions, { Agent, ProxyAgent }: typeof Undici): Dispatcher | undefined {
  const ca = typeof o.caCerts === 'string' ? o.caCerts : undefined;
  const insecure = o.ignoreSslErrors === true && !ca;
  if (!ca && !insecure && !o.proxy) return undefined;
  const key = JSON.stringify([ca, insecure, o.proxy]);
  let d = dispatchers.get(key);
  if (!d) {
    const connect = {
      ...(ca ? { ca: readFileSync(ca) } : {}),
      ...(insecure ? { rejectUnauthorized: false } : {}),
    };
    d = o.proxy ? new ProxyAgent({ uri: o.proxy, requestTls: connect }) : new Agent({ connect });
    dispatchers.set(key, d);
  }
  return d;
}

/**
 * The most of a reply that is read: receivers answer with a status and a short JSON; a reply that
 * goes on (a misconfigured endpoint streaming a page, a hostile one streaming gigabytes) is cut.
 */
export const MAX_REPLY_BYTES = 64 * 1024;

/** The first `max` bytes of a body as text (with a marker when there was more); the rest is not read. */
async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  max: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  let cut = false;
  for await (const chunk of body) {
    const room = max - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      cut = true;
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  body.destroy();
  const text = Buffer.concat(chunks).toString('utf8');
  return cut ? `${text}…(reply cut at ${max} bytes)` : text;
}

/** Sends a request; network failures and timeouts come back as thrown errors with the URL redacted. */
export async function httpSend(
  url: string,
  body: string | undefined,
  o: HttpOptions,
  signal: AbortSignal,
): Promise<HttpResult> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const combined = AbortSignal.any([signal, timeout]);
  const lib = await loadUndici();
  const dispatcher = dispatcherFor(o, lib);
  try {
    const res = await lib.request(url, {
      method: o.method ?? 'POST',
      headers: o.headers ?? {},
      ...(body !== undefined ? { body } : {}),
      signal: combined,
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      ...(dispatcher ? { dispatcher } : {}),
    });
    const text = await readCapped(res.body, MAX_REPLY_BYTES);
    return { status: res.statusCode, body: text, headers: res.headers };
  } catch (err) {
    if (timeout.aborted && !signal.aborted)
      throw new HttpFailure(`${redactUrl(url)}: no answer within ${o.timeoutMs} ms`, true);
    if (signal.aborted) throw new HttpFailure(`${redactUrl(url)}: aborted`, true);
    const tls = certificateProblem(err);
    if (tls)
      throw new HttpFailure(
        `${redactUrl(url)}: its TLS certificate is not trusted (${tls}); give its CA in the alerter's *_ca_certs option`,
        false,
      );
    throw new HttpFailure(`${redactUrl(url)}: ${errorMessage(err)}`, true);
  }
}

const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The certificate error behind a failed request (the error or its cause), if that is what it was. */
function certificateProblem(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string' && CERTIFICATE_CODES.has(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

export class HttpFailure extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.retryable = retryable;
  }
}

/** The longest wait a receiver's Retry-After can ask for (longer asks wait this long). */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** Retry-After in milliseconds (seconds or an HTTP date), when present; at most an hour. */
export function retryAfterMs(headers: HttpResult['headers'], now = Date.now()): number | undefined {
  const v = headers['retry-after'];
  const text = Array.isArray(v) ? v[0] : v;
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : Math.min(Math.max(0, t - now), MAX_RETRY_AFTER_MS);
}

/** An HTTP status as an outcome: 2xx ok, 408/425/429/5xx retryable, other 4xx permanent. */
export function httpOutcome(url: string, r: HttpResult): SendOutcome {
  if (r.status >= 200 && r.status < 300) return { ok: true };
  const retryable = r.status === 408 || r.status === 425 || r.status === 429 || r.status >= 500;
  const after = retryAfterMs(r.headers);
  return {
    ok: false,
    retryable,
    ...(after !== undefined ? { retryAfterMs: after } : {}),
    reason: `${redactUrl(url)} answered HTTP ${r.status}${r.body ? `: ${r.body.slice(0, 300)}` : ''}`,
  };
}

/** Runs a send and turns thrown network errors into retryable outcomes. */
export async function guarded(fn: () => Promise<SendOutcome>): Promise<SendOutcome> {
  try {
    return await fn();
  } catch (err) {
    return failureOutcome(err);
  }
}

/**
 * A thrown error as an outcome: a network failure (HttpFailure, or a TcpFailure of the socket
 * alerters) is as retryable as it says; anything else is permanent.
 */
export function failureOutcome(err: unknown): SendOutcome {
  if (err instanceof HttpFailure) return { ok: false, retryable: err.retryable, reason: err.message };
  return { ok: false, retryable: false, reason: errorMessage(err) };
}
