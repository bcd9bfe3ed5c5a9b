/**
 * Replies of chat robots that report failures inside HTTP 200 with a code: DingTalk and WeCom
 * {"errcode": n, "errmsg": "..."}, Feishu/Lark {"code": n, "msg": "..."}. Each known code is
 * classified as retryable or permanent and explained; unknown non-zero codes are permanent.
 */
import { redactUrl } from '../util/redact.ts';
import type { SendOutcome } from './alerter.ts';
import { type HttpResult, httpOutcome } from './http.ts';
import { detail, isSuccess, parseJson, readReply, type ReplyReader } from './send-request.ts';

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
  /** What was refused, for unknown codes (default "the message"). */
  what?: string;
  /** What to check when a 2xx reply has no code (default: the robot's webhook URL). */
  noCodeHint?: string;
}

export interface RobotReply {
  code: number;
  /** The code as the reply wrote it. */
  raw: unknown;
  /** The field the code was in. */
  field: string;
  message: string;
  body: Record<string, unknown>;
}

/** The code and message of a parsed JSON reply, or undefined when it is no object with a code. */
function robotFields(
  json: unknown,
  codeFields: readonly string[] = ['errcode'],
  messageFields: readonly string[] = ['errmsg'],
): RobotReply | undefined {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const body = json as Record<string, unknown>;
  const field = codeFields.find((f) => f in body);
  if (field === undefined) return undefined;
  const message = messageFields.map((f) => body[f]).find((m) => typeof m === 'string' && m);
  return { code: Number(body[field]), raw: body[field], field, message: (message as string) ?? '', body };
}

/** The code and message of a JSON reply body (WeCom's gettoken and message/send), or undefined when it has no code. */
export function readRobotReply(
  text: string,
  codeFields?: readonly string[],
  messageFields?: readonly string[],
): RobotReply | undefined {
  return robotFields(parseJson(text), codeFields, messageFields);
}

/** A reader for a robot's replies: transport status first, then the code in the JSON body. */
export function robotReply(o: RobotReplyOptions): ReplyReader {
  const codeFields = o.codeFields ?? ['errcode'];
  const messageFields = o.messageFields ?? ['errmsg'];
  return (r) => {
    const reply = robotFields(r.json, codeFields, messageFields);
    // a failed status counts, unless its body carries a code this robot explains (Lark's 429 code)
    if (!isSuccess(r.status) && !(reply && o.codes[reply.code])) {
      const outcome = httpOutcome(r.url, r);
      return outcome.ok ? outcome : { ...outcome, reason: `${o.service}: ${outcome.reason}` };
    }
    if (!reply) {
      return {
        ok: false,
        retryable: false,
        reason: `${o.service}: ${redactUrl(r.url)} answered HTTP ${r.status} without an ${codeFields[0]} (${r.body ? `body: ${detail(r.body, 120)}` : 'empty body'}); ${o.noCodeHint ?? "is this the robot's webhook URL?"}`,
      };
    }
    if (reply.code === 0) return { ok: true };
    const meaning = o.classify?.(reply.code, reply.message) ?? o.codes[reply.code];
    const said = reply.message ? ` (${messageFields[0]}: ${detail(reply.message)})` : '';
    if (!meaning) {
      return {
        ok: false,
        retryable: false,
        reason: `${o.service} rejected ${o.what ?? 'the message'} with ${reply.field} ${String(reply.raw)}${said}`,
      };
    }
    return {
      ok: false,
      retryable: meaning.retryable,
      ...(meaning.retryAfterMs !== undefined ? { retryAfterMs: meaning.retryAfterMs } : {}),
      reason: `${o.service} ${reply.field} ${reply.code}: ${meaning.explain}${said}`,
    };
  };
}

/** Classifies a robot's HTTP reply (robotReply for a result already received). */
export function robotOutcome(url: string, result: HttpResult, o: RobotReplyOptions): SendOutcome {
  return readReply(url, result, robotReply(o));
}
