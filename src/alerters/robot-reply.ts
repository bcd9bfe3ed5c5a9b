/**
 * Replies of chat robots that report failures inside HTTP 200 as {"errcode": n, "errmsg": "..."}
 * (DingTalk, WeCom) or {"code": n, "msg": "..."} (Feishu/Lark): each known code is classified as
 * retryable or permanent and explained; unknown non-zero codes are permanent.
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
  /** Reply fields holding the code and its message, first present wins (default errcode / errmsg). */
  fields?: { code: readonly string[]; message: readonly string[] };
  /** The meaning of a code that depends on its message (Feishu's 9499 "frequency limited"). */
  classify?(code: number, message: string): ErrcodeMeaning | undefined;
}

const DEFAULT_FIELDS = { code: ['errcode'], message: ['errmsg'] } as const;

export interface RobotReply {
  code: number;
  /** The code as the reply wrote it. */
  raw: unknown;
  message: string;
  body: Record<string, unknown>;
}

/** The code and message of a JSON reply body, or undefined when it carries no code. */
export function readRobotReply(
  text: string,
  fields: RobotReplyOptions['fields'] = DEFAULT_FIELDS,
): RobotReply | undefined {
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!reply || typeof reply !== 'object' || Array.isArray(reply)) return undefined;
  const body = reply as Record<string, unknown>;
  const codeKey = fields.code.find((k) => k in body);
  if (codeKey === undefined) return undefined;
  const messageKey = fields.message.find((k) => typeof body[k] === 'string');
  return {
    code: Number(body[codeKey]),
    raw: body[codeKey],
    message: messageKey ? (body[messageKey] as string) : '',
    body,
  };
}

const shorten = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}...` : text);

/** Classifies a robot's HTTP reply: transport status first, then the errcode in the JSON body. */
export function robotOutcome(url: string, result: HttpResult, o: RobotReplyOptions): SendOutcome {
  if (result.status < 200 || result.status >= 300) {
    const outcome = httpOutcome(url, result);
    return outcome.ok ? outcome : { ...outcome, reason: `${o.service}: ${outcome.reason}` };
  }
  const fields = o.fields ?? DEFAULT_FIELDS;
  const reply = readRobotReply(result.body, fields);
  if (!reply) {
    return {
      ok: false,
      retryable: false,
      reason: `${o.service}: ${redactUrl(url)} answered HTTP ${result.status} without an ${fields.code[0]} (${result.body ? `body: ${shorten(result.body, 120)}` : 'empty body'}); is this the robot's webhook URL?`,
    };
  }
  const { code, raw: errcode, message: errmsg } = reply;
  if (code === 0) return { ok: true };
  const meaning = o.classify?.(code, errmsg) ?? o.codes[code];
  const detail = errmsg ? ` (${fields.message[0]}: ${shorten(errmsg)})` : '';
  if (!meaning) {
    return {
      ok: false,
      retryable: false,
      reason: `${o.service} rejected the message with ${fields.code[0]} ${String(errcode)}${detail}`,
    };
  }
  return {
    ok: false,
    retryable: meaning.retryable,
    ...(meaning.retryAfterMs !== undefined ? { retryAfterMs: meaning.retryAfterMs } : {}),
    reason: `${o.service} ${fields.code[0]} ${code}: ${meaning.explain}${detail}`,
  };
}
