/**
 * The wire format of Feishu/Lark custom bots (飞书自定义机器人): message bodies (text, post,
 * interactive cards), the optional signature (timestamp + sign in the body), the 20 KB request
 * limit, and the {"code", "msg"} replies. Alerters that post to a bot webhook (`feishu`, and
 * ElastAlert 2's `lark`) build their body with feishuBotPayload and send it with sendFeishuBot.
 */
import { createHmac } from 'node:crypto';
import type { Doc } from '../model/lookup.ts';
import type { SendOutcome } from './alerter.ts';
import type { HttpOptions, HttpResult } from './http.ts';
import { type ErrcodeMeaning, robotReply } from './robot-reply.ts';
import { postJson, readReply, type ReplyReader } from './send-request.ts';
import { truncateUtf8, utf8Bytes } from './text-limits.ts';

export const FEISHU_HOOK_API = 'https://open.feishu.cn/open-apis/bot/v2/hook/';

/** Feishu refuses request bodies over 20 KB. */
export const FEISHU_MAX_BYTES = 20 * 1024;

export type FeishuMsgtype = 'text' | 'post' | 'interactive';

export interface FeishuMessage {
  msgtype: FeishuMsgtype;
  title: string;
  text: string;
  /** The card of an interactive message; without it a card with the title and the text is built. */
  card?: Doc;
}

/**
 * Feishu's signature: base64(HMAC-SHA256(key = "<timestamp>\n<secret>", message = "")), with the
 * timestamp in seconds. Unlike DingTalk, the string to sign is the key and the message is empty.
 */
export function feishuSign(secret: string, timestampSeconds: number | string): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

function body(m: FeishuMessage, text: string): Doc {
  switch (m.msgtype) {
    case 'text':
      // the title travels along as ElastAlert 2's lark alerter and the plugins send it; Feishu shows the text
      return { msg_type: 'text', content: { title: m.title, text } };
    case 'post':
      return {
        msg_type: 'post',
        content: { post: { zh_cn: { title: m.title, content: [[{ tag: 'text', text }]] } } },
      };
    case 'interactive':
      return {
        msg_type: 'interactive',
        card: m.card ?? {
          config: { wide_screen_mode: true },
          header: { title: { tag: 'plain_text', content: m.title } },
          elements: [{ tag: 'div', text: { tag: 'plain_text', content: text } }],
        },
      };
  }
}

/**
 * The request body for a message, signed when a secret is given. The text is cut (at a character
 * boundary, marked as truncated) so that the whole body stays within FEISHU_MAX_BYTES.
 */
export function feishuBotPayload(m: FeishuMessage, secret?: string, nowMs = Date.now()): Doc {
  const signature = (): Doc => {
    if (!secret) return {};
    const timestamp = String(Math.floor(nowMs / 1000));
    return { timestamp, sign: feishuSign(secret, timestamp) };
  };
  let text = m.text;
  for (let i = 0; i < 3; i++) {
    const payload = { ...signature(), ...body(m, text) };
    const over = utf8Bytes(JSON.stringify(payload)) - FEISHU_MAX_BYTES;
    if (over <= 0) return payload;
    text = truncateUtf8(text, Math.max(0, utf8Bytes(text) - over - 16));
  }
  return { ...signature(), ...body(m, text) };
}

/** Who posts to a bot, for reasons and hints: the service, its URL option, its signing-secret option. */
export interface FeishuBotSender {
  service: string;
  /** The option that names the bot ("feishu_webhook", "lark_bot_id"). */
  option: string;
  /** The option holding the signing secret; absent when the alerter cannot sign (ElastAlert 2's lark). */
  secretOption?: string;
}

const FEISHU: FeishuBotSender = {
  service: 'Feishu',
  option: 'feishu_webhook',
  secretOption: 'feishu_secret',
};

const TOO_FAST: ErrcodeMeaning = {
  retryable: true,
  retryAfterMs: 60_000,
  explain: 'sending too fast (frequency limited): a bot takes at most 100 messages a minute and 5 a second',
};

function codes(s: FeishuBotSender): Record<number, ErrcodeMeaning> {
  return {
    11232: TOO_FAST,
    99991400: { retryable: true, explain: 'sending too fast (request trigger frequency limit)' },
    19001: {
      retryable: false,
      explain: `the webhook token is invalid: check ${s.option} (was the bot removed?)`,
    },
    19021: {
      retryable: false,
      explain: s.secretOption
        ? `signature check failed: ${s.secretOption} must be the bot's signing secret, and this host's clock must be right (the timestamp may be at most an hour off)`
        : `the bot verifies signatures and ${s.option} comes with no signing secret: turn the bot's signature verification off, or send through the feishu alerter with feishu_secret`,
    },
    19022: { retryable: false, explain: "this host's IP is not in the bot's IP allowlist" },
    19024: {
      retryable: false,
      explain: "the message contains none of the bot's custom keywords: put one in the title or the text",
    },
    9499: {
      retryable: false,
      explain:
        'bad request: the bot could not read the message (msg_type and content, or a card, are malformed, or the body is over 20 KB)',
    },
  };
}

/** Reads a bot's replies: HTTP status first, then `code` (or the older `StatusCode`). */
export function feishuReply(sender: FeishuBotSender = FEISHU): ReplyReader {
  return robotReply({
    service: sender.service,
    codes: codes(sender),
    codeFields: ['code', 'StatusCode'],
    messageFields: ['msg', 'StatusMessage'],
    // 9499 also comes back for rate limiting, with "frequency limited" in msg
    classify: (_code, message) => (/frequency limit/i.test(message) ? TOO_FAST : undefined),
  });
}

/** Classifies a bot's reply already received. */
export function feishuOutcome(url: string, result: HttpResult, sender?: FeishuBotSender): SendOutcome {
  return readReply(url, result, feishuReply(sender));
}

/** Posts a body built by feishuBotPayload to a bot webhook and classifies the reply. */
export function sendFeishuBot(
  url: string,
  payload: Doc,
  http: HttpOptions,
  signal: AbortSignal,
  sender: FeishuBotSender = FEISHU,
): Promise<SendOutcome> {
  return postJson(url, payload, { service: sender.service, http, read: feishuReply(sender) }, signal);
}
