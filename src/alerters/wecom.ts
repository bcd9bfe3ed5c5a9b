/**
 * WeCom (企业微信) group robot: ElastAlert 2's `workwechat` alerter (work_wechat_bot_id,
 * work_wechat_msgtype) and our `wecom_*` options: text with @mentions, markdown, markdown_v2,
 * UTF-8 byte limits, and the errcode WeCom returns inside HTTP 200 replies.
 */
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

const API = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=';

export type WecomMsgtype = 'text' | 'markdown' | 'markdown_v2';

/** Content limits in UTF-8 bytes (WeCom robot documentation). */
export const WECOM_MAX_BYTES: Record<WecomMsgtype, number> = {
  text: 2048,
  markdown: 4096,
  markdown_v2: 4096,
};

const idList = z
  .union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))])
  .transform((v) => (Array.isArray(v) ? v : [v]).map(String));

const msgtype = z.enum(['text', 'markdown', 'markdown_v2']);
const schema = z.object({
  wecom_key: z.string().min(1, { error: 'must not be empty' }).optional(),
  wecom_webhook: z.string().min(1, { error: 'must not be empty' }).optional(),
  work_wechat_bot_id: z.string().min(1, { error: 'must not be empty' }).optional(),
  wecom_msgtype: msgtype.optional(),
  work_wechat_msgtype: msgtype.optional(),
  wecom_mentioned_list: idList.default([]),
  wecom_mentioned_mobile_list: idList.default([]),
  wecom_proxy: z.string().optional(),
  wecom_timeout: seconds(10),
});
type WecomOptions = z.output<typeof schema>;

const ERRCODES: Record<number, ErrcodeMeaning> = {
  45009: {
    retryable: true,
    retryAfterMs: 60_000,
    explain: 'api freq out of limit: a robot takes at most 20 messages a minute',
  },
  [-1]: { retryable: true, explain: 'WeCom is busy; try again later' },
  93000: {
    retryable: false,
    explain:
      'invalid webhook url: check the key (wecom_key / work_wechat_bot_id take only the key=... value, wecom_webhook the full URL); the robot may have been removed',
  },
};

function webhookUrl(o: WecomOptions): string {
  const given = o.wecom_webhook ?? o.wecom_key ?? o.work_wechat_bot_id;
  if (given === undefined) {
    throw new OptionProblem(
      'wecom_key',
      "is required (or ElastAlert 2's work_wechat_bot_id): the robot's key, or set wecom_webhook to its full URL",
    );
  }
  const option =
    o.wecom_webhook !== undefined
      ? 'wecom_webhook'
      : o.wecom_key !== undefined
        ? 'wecom_key'
        : 'work_wechat_bot_id';
  // Key and full URL are told apart by their form, whichever option holds them.
  const url = idOrUrl(option, given, API, "the robot's key");
  const u = new URL(url);
  if (u.hostname === 'qyapi.weixin.qq.com' && !u.searchParams.get('key')) {
    throw new OptionProblem(option, `has no key=... in it (expected ${API}<key>)`);
  }
  return url;
}

/** The WeCom request body for an alert (mentions exist only for text messages). */
export function wecomPayload(
  type: WecomMsgtype,
  o: Pick<WecomOptions, 'wecom_mentioned_list' | 'wecom_mentioned_mobile_list'>,
  content: Pick<AlertContent, 'body'>,
): Doc {
  const text = truncateUtf8(content.body, WECOM_MAX_BYTES[type]);
  switch (type) {
    case 'text':
      return {
        msgtype: 'text',
        text: {
          content: text,
          ...(o.wecom_mentioned_list.length ? { mentioned_list: o.wecom_mentioned_list } : {}),
          ...(o.wecom_mentioned_mobile_list.length
            ? { mentioned_mobile_list: o.wecom_mentioned_mobile_list }
            : {}),
        },
      };
    case 'markdown':
      return { msgtype: 'markdown', markdown: { content: text } };
    case 'markdown_v2':
      return { msgtype: 'markdown_v2', markdown_v2: { content: text } };
  }
}

export const wecomAlerter: AlerterDefinition = {
  name: 'wecom',
  aliases: ['workwechat'],
  summary: 'WeCom group robot: text with @mentions, markdown, markdown_v2, errcode checks.',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const url = webhookUrl(o);
    const type: WecomMsgtype = o.wecom_msgtype ?? o.work_wechat_msgtype ?? 'text';
    const mentions = o.wecom_mentioned_list.length + o.wecom_mentioned_mobile_list.length;
    if (type !== 'text' && mentions > 0) {
      deps.logger.warn(
        `wecom_mentioned_list / wecom_mentioned_mobile_list only work with text messages; ${type} messages mention nobody (markdown can write <@userid> in the text)`,
      );
    }
    const t = transport(o, 'wecom', deps);
    const spec = {
      service: 'WeCom',
      http: { ...t.http, headers: { Accept: 'application/json;charset=utf-8' } },
      read: robotReply({ service: 'WeCom', codes: ERRCODES }),
    };
    return channelAlerter({
      type: 'wecom',
      service: 'WeCom',
      channel: `wecom:${urlDigest(url)}`,
      info: { type: 'wecom', wecom_webhook_url: displayUrl(url) },
      secrets: [o.wecom_key, o.work_wechat_bot_id, ...urlSecrets(url), ...t.secrets],
      logger: deps.logger,
      ratePerMinute: 20,
      send: (content, signal) => postJson(url, wecomPayload(type, o, content), spec, signal),
    });
  },
};
