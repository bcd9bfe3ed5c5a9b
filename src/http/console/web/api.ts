/**
 * The console's calls to its API. Credentials (a bearer token, or a user and password) are kept
 * for this tab only (sessionStorage) and sent by this code on each request; the browser is never
 * asked to remember them, so no other site's page can make it send them. Requests that change
 * something carry the X-Esalert-Request header the server requires of them (CSRF).
 */
import type { ApiError, SessionInfo } from './api-types.ts';
import { t } from './i18n.ts';

export type Credentials =
  { kind: 'bearer'; token: string } | { kind: 'basic'; user: string; password: string };

const KEY = 'esalert.credentials';

export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** What went wrong, in words for the page. */
export function errorText(err: unknown): string {
  if (err instanceof ApiFailure) {
    if (err.status === 401) return `${t('auth.needSignIn')} (${err.message})`;
    if (err.status === 403) return `${t('auth.forbidden')} (${err.message})`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

export function credentials(): Credentials | undefined {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Credentials;
  } catch {
    return undefined;
  }
}

export function setCredentials(c: Credentials | undefined): void {
  if (c) sessionStorage.setItem(KEY, JSON.stringify(c));
  else sessionStorage.removeItem(KEY);
}

function authorization(c: Credentials | undefined): string | undefined {
  if (!c) return undefined;
  if (c.kind === 'bearer') return `Bearer ${c.token}`;
  const bytes = new TextEncoder().encode(`${c.user}:${c.password}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

/** Requests started before the page that reads them has loaded (its module and the session load meanwhile). */
const early = new Map<string, { at: number; answer: Promise<unknown> }>();
/** An early answer not taken within this long is stale. */
const EARLY_MS = 10_000;

/** Starts a GET now; the next api(path) of the page takes its answer. */
export function prefetch(path: string): void {
  const answer = request(path, {});
  answer.catch(() => {}); // the page sees the error when it asks
  early.set(path, { at: Date.now(), answer });
}

export function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal; as?: Credentials | null } = {},
): Promise<T> {
  const started = init.method === undefined && init.as === undefined ? early.get(path) : undefined;
  early.delete(path);
  if (started && Date.now() - started.at < EARLY_MS) return started.answer as Promise<T>;
  return request<T>(path, init);
}

async function request<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal; as?: Credentials | null },
): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  const auth = authorization(init.as === null ? undefined : (init.as ?? credentials()));
  if (auth) headers.authorization = auth;
  if (method !== 'GET') headers['x-esalert-request'] = '1';
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'omit',
    cache: 'no-store',
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await res.text();
  let value: unknown;
  try {
    value = text ? JSON.parse(text) : undefined;
  } catch {
    value = undefined;
  }
  if (!res.ok) {
    const e = value as Partial<ApiError> | undefined;
    throw new ApiFailure(res.status, e?.code ?? 'HTTP', e?.error ?? `${res.status} ${res.statusText}`);
  }
  return value as T;
}

export const getSession = (as?: Credentials | null) =>
  api<SessionInfo>('/api/session', as === undefined ? {} : { as });

/** A query string from the set values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
