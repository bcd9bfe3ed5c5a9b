/**
 * Replies of chat robots (DingTalk, WeCom) that report failures inside HTTP 200 as
 * {"errcode": n, "errmsg": "..."}: each known code is classified as retryable or permanent and
 * explained; unknown non-zero codes are permanent.
 */
import { redactUrl } from '../util/redact.ts';
import type { SendOutcome } from './alerter.ts';
import { type HttpResult, httpOutcome } from './http.ts';

export interface ErrcodeMeaning {
  retryable: boolean;
  retryAfterMs?: number;
  /** What happened and, for permanent codes, what to fix. */
  explain: string;
}

export interface RobotReplyOptions {
  /** "DingTalk", "WeCom": starts every reason. */
  service: string;
  codes: Readonly<Record<number, ErrcodeMeaning>>;
}

const shorten = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}...` : text);

/** Classifies a robot's HTTP reply: transport status first, then the errcode in the JSON body. */
export function robotOutcome(url: string, result: HttpResult, o: RobotReplyOptions): SendOutcome {
  if (result.status < 200 || result.status >= 300) {
    const outcome = httpOutcome(url, result);
    return outcome.ok ? outcome : { ...outcome, reason: `${o.service}: ${outcome.reason}` };
  }
  let reply: unknown;
  try {
    reply = JSON.parse(result.body);
  } catch {
    reply = undefined;
  }
  if (!reply || typeof reply !== 'object' || !('errcode' in reply)) {
    return {
      ok: false,
      retryable: false,
      reason: `${o.service}: ${redactUrl(url)} answered HTTP ${result.status} without an errcode (${result.body ? `body: ${shorten(result.body, 120)}` : 'empty body'}); is this the robot's webhook URL?`,
    };
  }
  const { errcode, errmsg } = reply as { errcode: unknown; errmsg?: unknown };
  const code = Number(errcode);
  if (code === 0) return { ok: true };
  const meaning = o.codes[code];
  const detail = typeof errmsg === 'string' && errmsg ? ` (errmsg: ${shorten(errmsg)})` : '';
  if (!meaning) {
    return {
      ok: false,
      retryable: false,
      reason: `${o.service} rejected the message with errcode ${String(errcode)}${detail}`,
    };
  }
  return {
    ok: false,
    retryable: meaning.retryable,
    ...(meaning.retryAfterMs !== undefined ? { retryAfterMs: meaning.retryAfterMs } : {}),
    reason: `${o.service} errcode ${code}: ${meaning.explain}${detail}`,
  };
}
