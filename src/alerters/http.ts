/** HTTP for alerters: undici with a timeout, an abort signal, optional proxy and TLS settings. */
import { readFileSync } from 'node:fs';
import { Agent, type Dispatcher, ProxyAgent, request } from 'undici';
import { errorMessage } from '../errors/esalert-error.ts';
import { redactUrl } from '../util/redact.ts';
import type { SendOutcome } from './alerter.ts';

export interface HttpOptions {
  method?: 'POST' | 'PUT' | 'GET' | 'PATCH';
  headers?: Record<string, string>;
  timeoutMs: number;
  /** CA file for the receiver's certificate, or false to skip verification. */
  caCerts?: string | boolean;
  ignoreSslErrors?: boolean;
  proxy?: string;
}

export interface HttpResult {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

const dispatchers = new Map<string, Dispatcher>();

function dispatcherFor(o: HttpOptions): Dispatcher | undefined {
  const ca = typeof o.caCerts === 'string' ? o.caCerts : undefined;
  const insecure = o.ignoreSslErrors === true || o.caCerts === false;
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

/** Sends a request; network failures and timeouts come back as thrown errors with the URL redacted. */
export async function httpSend(
  url: string,
  body: string | undefined,
  o: HttpOptions,
  signal: AbortSignal,
): Promise<HttpResult> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const combined = AbortSignal.any([signal, timeout]);
  const dispatcher = dispatcherFor(o);
  try {
    const res = await request(url, {
      method: o.method ?? 'POST',
      headers: o.headers ?? {},
      ...(body !== undefined ? { body } : {}),
      signal: combined,
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      ...(dispatcher ? { dispatcher } : {}),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text, headers: res.headers };
  } catch (err) {
    if (timeout.aborted && !signal.aborted)
      throw new HttpFailure(`${redactUrl(url)}: no answer within ${o.timeoutMs} ms`, true);
    if (signal.aborted) throw new HttpFailure(`${redactUrl(url)}: aborted`, true);
    throw new HttpFailure(`${redactUrl(url)}: ${errorMessage(err)}`, true);
  }
}

export class HttpFailure extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.retryable = retryable;
  }
}

/** Retry-After in milliseconds (seconds or an HTTP date), when present. */
export function retryAfterMs(headers: HttpResult['headers'], now = Date.now()): number | undefined {
  const v = headers['retry-after'];
  const text = Array.isArray(v) ? v[0] : v;
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
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
