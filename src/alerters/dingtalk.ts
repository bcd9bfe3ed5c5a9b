/**
 * DingTalk custom robot (钉钉自定义机器人): ElastAlert 2's `dingtalk` alerter, also serving the
 * DingTalk plugins (plugin-aliases.ts; full URL in dingtalk_webhook), plus @mentions, keyword checks, signing computed afresh for every request,
 * a UTF-8 size cap, and the errcode DingTalk returns inside HTTP 200 replies.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { Doc } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { idOrUrl } from './id-or-url.ts';
import { readOptions } from './options.ts';
import { type ErrcodeMeaning, robotReply } from './robot-reply.ts';
import { postJson } from './send-request.ts';
import { truncateUtf8 } from './text-limits.ts';
import { seconds, transport } from './transport.ts';
import { displayUrl, urlDigest, urlSecrets } from './url-secrets.ts';

/** DingTalk documents no size for custom robots; its newer robot API caps messages at 15000 bytes. */
export const DINGTALK_MAX_BYTES = 15_000;
const API = 'https://oapi.dingtalk.com/robot/send?access_token=';

/** Phone numbers and user ids: YAML may give them as numbers, one value or a list. */
const idList = z
  .union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))])
  .transform((v) => (Array.isArray(v) ? v : [v]).map(String));

const schema = z.object({
  dingtalk_access_token: z.string().min(1, { error: 'must not be empty' }).optional(),
  dingtalk_webhook: z.string().min(1, { error: 'must not be empty' }).optional(),
  dingtalk_msgtype: z.enum(['text', 'markdown', 'single_action_card', 'action_card']).default('text'),
  dingtalk_single_title: z.string().default('elastalert'),
  dingtalk_single_url: z.string().default(''),
  dingtalk_btn_orientation: z.union([z.string(), z.number()]).transform(String).default(''),
  dingtalk_btns: z.array(z.looseObject({ title: z.string(), actionURL: z.string() })).default([]),
  dingtalk_proxy: z.string().optional(),
  dingtalk_proxy_login: z.string().optional(),
  dingtalk_proxy_pass: z.string().optional(),
  dingtalk_sign: z.string().min(1, { error: 'must not be empty' }).optional(),
  dingtalk_at_mobiles: idList.default([]),
  dingtalk_at_user_ids: idList.default([]),
  dingtalk_at_all: z.boolean().default(false),
  dingtalk_keywords: idList.default([]),
  dingtalk_timeout: seconds(10),
});
type DingTalkOptions = z.output<typeof schema>;

const ERRCODES: Record<number, ErrcodeMeaning> = {
  130101: {
    retryable: true,
    retryAfterMs: 60_000,
    explain: 'sending too fast: a robot takes at most 20 messages a minute',
  },
  [-1]: { retryable: true, explain: 'DingTalk is busy; try again later' },
  310000: {
    retryable: false,
    explain:
      "the robot's security check failed: the text must contain one of its custom keywords (list them in dingtalk_keywords), dingtalk_sign must be its signing secret (SEC...), and this host's IP must be in its allowlist",
  },
  300001: {
    retryable: false,
    explain:
      'the access token does not exist: check dingtalk_access_token or dingtalk_webhook (was the robot removed?)',
  },
  400402: {
    retryable: false,
    explain:
      'a required message field is missing (markdown and action cards need a title: set alert_subject; a single action card needs dingtalk_single_url)',
  },
};

/** DingTalk's signature: base64(HMAC-SHA256(key = secret, text = "<timestamp>\n<secret>")), URL-encoded. */
export function dingtalkSign(secret: string, timestamp: number | string): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
  return encodeURIComponent(digest);
}

/** The URL for one request: the robot's URL with a fresh timestamp and signature when signing. */
export function signedUrl(base: string, secret: string | undefined, now = Date.now()): string {
  if (!secret) return base;
  return `${base}${base.includes('?') ? '&' : '?'}timestamp=${now}&sign=${dingtalkSign(secret, now)}`;
}

function webhookUrl(o: DingTalkOptions): string {
  const given = o.dingtalk_webhook ?? o.dingtalk_access_token;
  if (given === undefined) {
    throw new OptionProblem(
      'dingtalk_access_token',
      "is required: the robot's access token (or set dingtalk_webhook to its full URL)",
    );
  }
  // A full URL is accepted in either option, a bare token too.
  const option = o.dingtalk_webhook !== undefined ? 'dingtalk_webhook' : 'dingtalk_access_token';
  return idOrUrl(option, given, API, "the robot's access token");
}

/** The DingTalk request body for an alert. */
export function dingtalkPayload(o: DingTalkOptions, content: Pick<AlertContent, 'title' | 'body'>): Doc {
  const at = {
    ...(o.dingtalk_at_mobiles.length ? { atMobiles: o.dingtalk_at_mobiles } : {}),
    ...(o.dingtalk_at_user_ids.length ? { atUserIds: o.dingtalk_at_user_ids } : {}),
    isAtAll: o.dingtalk_at_all,
  };
  const text = (withMentions: boolean) => {
    // DingTalk highlights a mentioned phone number only when "@<number>" is in the text.
    const missing = withMentions ? o.dingtalk_at_mobiles.filter((m) => !content.body.includes(`@${m}`)) : [];
    const suffix = missing.length ? `\n${missing.map((m) => `@${m}`).join(' ')}` : '';
    return truncateUtf8(content.body, DINGTALK_MAX_BYTES - Buffer.byteLength(suffix)) + suffix;
  };
  switch (o.dingtalk_msgtype) {
    case 'text':
      return { msgtype: 'text', text: { content: text(true) }, at };
    case 'markdown':
      return { msgtype: 'markdown', markdown: { title: content.title, text: text(true) }, at };
    case 'single_action_card':
      return {
        msgtype: 'actionCard',
        actionCard: {
          title: content.title,
          text: text(false),
          singleTitle: o.dingtalk_single_title,
          singleURL: o.dingtalk_single_url,
        },
      };
    case 'action_card':
      return {
        msgtype: 'actionCard',
        actionCard: {
          title: content.title,
          text: text(false),
          ...(o.dingtalk_btn_orientation !== '' ? { btnOrientation: o.dingtalk_btn_orientation } : {}),
          ...(o.dingtalk_btns.length ? { btns: o.dingtalk_btns } : {}),
        },
      };
  }
}

/** The text DingTalk checks for keywords: the title and text of the message's section. */
function sentText(payload: Doc): string {
  const section = payload[String(payload.msgtype)] as Doc | undefined;
  return [section?.title, section?.content, section?.text].filter((v) => typeof v === 'string').join('\n');
}

export const dingtalkAlerter: AlerterDefinition = {
  name: 'dingtalk',
  summary: 'DingTalk custom robot: text, markdown and action cards, @mentions, signing, errcode checks.',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const base = webhookUrl(o);
    const t = transport(o, 'dingtalk', deps);
    const channel = `dingtalk:${urlDigest(base)}`;
    const spec = {
      service: 'DingTalk',
      http: { ...t.http, headers: { Accept: 'application/json;charset=utf-8' } },
      read: robotReply({ service: 'DingTalk', codes: ERRCODES }),
    };
    return channelAlerter({
      type: 'dingtalk',
      service: 'DingTalk',
      channel,
      info: { type: 'dingtalk', dingtalk_webhook_url: displayUrl(base) },
      secrets: [o.dingtalk_access_token, o.dingtalk_sign, ...urlSecrets(base), ...t.secrets],
      logger: deps.logger,
      ratePerMinute: 20,
      send: (content, signal) => {
        const payload = dingtalkPayload(o, content);
        if (o.dingtalk_keywords.length) {
          const text = sentText(payload);
          if (!o.dingtalk_keywords.some((k) => text.includes(k))) {
            deps.logger.warn(
              { channel, keywords: o.dingtalk_keywords },
              'the DingTalk message contains none of dingtalk_keywords; a robot with keyword security rejects it (errcode 310000)',
            );
          }
        }
        return postJson(signedUrl(base, o.dingtalk_sign), payload, spec, signal);
      },
    });
  },
};
