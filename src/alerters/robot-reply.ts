/**
 * Replies of chat robots that report failures inside HTTP 200 with a code: DingTalk and WeCom
 * {"errcode": n, "errmsg": "..."}, Lark {"code": n, "msg": "..."}. Each known code is classified
 * as retryable or permanent and explained; unknown non-zero codes are permanent.
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
  /** Where the code is, first present wins (default errcode). */
  codeFields?: readonly string[];
  /** Where the message is (default errmsg). */
  messageFields?: readonly string[];
  /** The meaning of a code that depends on its message (Feishu's 9499 "frequency limited"). */
  classify?(code: number, message: string): ErrcodeMeaning | undefined;
}

const shorten = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}...` : text);

/** Classifies a robot's HTTP reply: transport status first, then the errcode in the JSON body. */
export function robotOutcome(url: string, result: HttpResult, o: RobotReplyOptions): SendOutcome {
  const codeFields = o.codeFields ?? ['errcode'];
  const messageFields = o.messageFields ?? ['errmsg'];
  let reply: unknown;
  try {
    reply = JSON.parse(result.body);
  } catch {
    reply = undefined;
  }
  const fields = reply && typeof reply === 'object' ? (reply as Record<string, unknown>) : {};
  const codeField = codeFields.find((f) => f in fields);
  const success = result.status >= 200 && result.status < 300;
  // a failed status counts, unless its body carries a code this robot explains (Lark's 429 code)
  if (!success && !(codeField && o.codes[Number(fields[codeField])])) {
    const outcome = httpOutcome(url, result);
    return outcome.ok ? outcome : { ...outcome, reason: `${o.service}: ${outcome.reason}` };
  }
  if (!codeField) {
    return {
      ok: false,
      retryable: false,
      reason: `${o.service}: ${redactUrl(url)} answered HTTP ${result.status} without an ${codeFields[0]} (${result.body ? `body: ${shorten(result.body, 120)}` : 'empty body'}); is this the robot's webhook URL?`,
    };
  }
  const raw = fields[codeField];
  const message = messageFields.map((f) => fields[f]).find((m) => typeof m === 'string' && m);
  const code = Number(raw);
  if (code === 0) return { ok: true };
  const meaning = o.classify?.(code, typeof message === 'string' ? message : '') ?? o.codes[code];
  const detail = typeof message === 'string' ? ` (${messageFields[0]}: ${shorten(message)})` : '';
  if (!meaning) {
    return {
      ok: false,
      retryable: false,
      reason: `${o.service} rejected the message with ${codeField} ${String(raw)}${detail}`,
    };
  }
  return {
    ok: false,
    retryable: meaning.retryable,
    ...(meaning.retryAfterMs !== undefined ? { retryAfterMs: meaning.retryAfterMs } : {}),
    reason: `${o.service} ${codeField} ${code}: ${meaning.explain}${detail}`,
  };
}

export interface RobotReply {
  code: number;
  /** The code as the reply wrote it. */
  raw: unknown;
  message: string;
  body: Record<string, unknown>;
}

/** The code and message of a JSON reply body (WeCom's gettoken and message/send), or undefined when it has no code. */
export function readRobotReply(
  text: string,
  codeFields: readonly string[] = ['errcode'],
  messageFields: readonly string[] = ['errmsg'],
): RobotReply | undefined {
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!reply || typeof reply !== 'object' || Array.isArray(reply)) return undefined;
  const body = reply as Record<string, unknown>;
  const codeField = codeFields.find((f) => f in body);
  if (codeField === undefined) return undefined;
  const message = messageFields.map((f) => body[f]).find((m) => typeof m === 'string' && m);
  return {
    code: Number(body[codeField]),
    raw: body[codeField],
    message: (message as string | undefined) ?? '',
    body,
  };
}
