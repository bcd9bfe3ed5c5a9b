/**
 * One request to a vendor's API and what its reply means. Each vendor says "it failed" in its own
 * way (Slack `ok:false`, Telegram `ok:false` with `parameters.retry_after`, Discord 429 with
 * `retry_after` in the body, Lark `code != 0`, Teams "HTTP error 429" inside a 200): an alerter
 * passes a reader for its replies; without one, or when the reader has nothing to say, the HTTP
 * status decides (2xx sent; 408/425/429/5xx retryable; other statuses permanent).
 */
import type { SendOutcome } from './alerter.ts';
import { type HttpOptions, type HttpResult, httpOutcome, httpSend, retryAfterMs } from './http.ts';

export interface Reply extends HttpResult {
  /** Where the request went (for reasons: show it through redactUrl). */
  url: string;
  /** The body parsed as JSON, or undefined. */
  json: unknown;
}

/** Reads a reply; undefined leaves the verdict to the HTTP status. */
export type ReplyReader = (reply: Reply) => SendOutcome | undefined;

export interface RequestSpec {
  /** The service's name; starts every reason ("Slack: ..."). */
  service: string;
  http: HttpOptions;
  read?: ReplyReader;
}

const MAX_DETAIL = 300;

/** Text from a reply for a reason, cut to a readable length. */
export function detail(text: unknown, max = MAX_DETAIL): string {
  const s = typeof text === 'string' ? text : JSON.stringify(text);
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

export function parseJson(body: string): unknown {
  if (!body) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** A JSON object reply as a record, else undefined. */
export function replyObject(reply: Reply): Record<string, unknown> | undefined {
  const j = reply.json;
  return j && typeof j === 'object' && !Array.isArray(j) ? (j as Record<string, unknown>) : undefined;
}

export const failed = (retryable: boolean, reason: string, retryAfterMs?: number): SendOutcome => ({
  ok: false,
  retryable,
  ...(retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0
    ? { retryAfterMs: Math.ceil(retryAfterMs) }
    : {}),
  reason,
});

/** Seconds as a vendor writes them in a body (number or numeric text), in milliseconds. */
export function secondsToMs(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n * 1000 : undefined;
}

export const isSuccess = (status: number) => status >= 200 && status < 300;

/** Statuses worth trying again later. */
export const isRetryableStatus = (status: number) =>
  status === 408 || status === 425 || status === 429 || status >= 500;

/** The first reader that has something to say. */
export function firstOf(...readers: ReplyReader[]): ReplyReader {
  return (r) => {
    for (const read of readers) {
      const outcome = read(r);
      if (outcome) return outcome;
    }
    return undefined;
  };
}

/**
 * What a failed reply says, in the forms vendors use: `{"message"}`, `{"errors": [...]}`,
 * `{"error": "..."}`, `{"error": {"code"|"status", "message"}}` (Google, Azure), or the body.
 */
export function replyMessage(r: Reply): string {
  const j = replyObject(r);
  const e = j?.error as { message?: unknown; status?: unknown; code?: unknown } | string | undefined;
  let text: unknown = r.body;
  if (typeof j?.message === 'string') text = j.message;
  else if (Array.isArray(j?.errors)) text = j.errors.join('; ');
  else if (typeof e === 'string') text = e;
  else if (e && typeof e === 'object')
    text = [e.status ?? e.code, e.message].filter((x) => x !== undefined && x !== '').join(' ');
  return detail(text);
}

/**
 * Failed statuses and what to fix for each (401: "check the key option"); `fallback` for the
 * others, or leave them to the HTTP status. The reason shows the status and the vendor's message.
 */
export function statusHints(hints: Readonly<Record<number, string>>, fallback?: string): ReplyReader {
  return (r) => {
    const hint = isSuccess(r.status) ? undefined : (hints[r.status] ?? fallback);
    if (!hint) return undefined;
    const message = replyMessage(r);
    return failed(
      isRetryableStatus(r.status),
      `HTTP ${r.status}${message ? ` (${message})` : ''}: ${hint}`,
      retryAfterMs(r.headers),
    );
  };
}

/** What a reply means: the reader's verdict, else the HTTP status's. */
export function readReply(url: string, result: HttpResult, read?: ReplyReader): SendOutcome {
  return read?.({ ...result, url, json: parseJson(result.body) }) ?? httpOutcome(url, result);
}

/** Sends one request; what its reply means (reasons start with the service), and the reply. */
export async function exchange(
  url: string,
  body: string | undefined,
  spec: RequestSpec,
  signal: AbortSignal,
): Promise<{ outcome: SendOutcome; reply: Reply }> {
  const result = await httpSend(url, body, spec.http, signal);
  const reply: Reply = { ...result, url, json: parseJson(result.body) };
  const outcome = spec.read?.(reply) ?? httpOutcome(url, result);
  if (outcome.ok || outcome.reason.startsWith(spec.service)) return { outcome, reply };
  return { outcome: { ...outcome, reason: `${spec.service}: ${outcome.reason}` }, reply };
}

/** Sends one request and classifies the reply. Network failures throw (see guarded()). */
export async function sendRequest(
  url: string,
  body: string | undefined,
  spec: RequestSpec,
  signal: AbortSignal,
): Promise<SendOutcome> {
  return (await exchange(url, body, spec, signal)).outcome;
}

/** Request options for a JSON body (Content-Type unless the spec sets one). */
export const jsonSpec = (spec: RequestSpec): RequestSpec => ({
  ...spec,
  http: { ...spec.http, headers: { 'Content-Type': 'application/json', ...spec.http.headers } },
});

/** Sends a JSON body. */
export function postJson(
  url: string,
  payload: unknown,
  spec: RequestSpec,
  signal: AbortSignal,
): Promise<SendOutcome> {
  return sendRequest(url, JSON.stringify(payload), jsonSpec(spec), signal);
}

/** Sends an HTML form (application/x-www-form-urlencoded). */
export function postForm(
  url: string,
  form: Record<string, string>,
  spec: RequestSpec,
  signal: AbortSignal,
): Promise<SendOutcome> {
  const http = {
    ...spec.http,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...spec.http.headers },
  };
  return sendRequest(url, new URLSearchParams(form).toString(), { ...spec, http }, signal);
}

/** Runs `send` for each target in order; stops at the first failure (later targets are not tried). */
export async function sendEach<T>(
  targets: readonly T[],
  send: (target: T) => Promise<SendOutcome>,
): Promise<SendOutcome> {
  for (const t of targets) {
    const outcome = await send(t);
    if (!outcome.ok) return outcome;
  }
  return { ok: true };
}

/** ElastAlert 2's chat webhooks: one post to each URL for each channel override, `channel` set in the payload. */
export function postToChannels(
  urls: readonly string[],
  channels: readonly string[],
  payload: Record<string, unknown>,
  spec: RequestSpec,
  signal: AbortSignal,
): Promise<SendOutcome> {
  const posts = urls.flatMap((url) => channels.map((channel) => ({ url, channel })));
  return sendEach(posts, ({ url, channel }) => postJson(url, { ...payload, channel }, spec, signal));
}
