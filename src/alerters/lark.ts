/**
 * Lark / Feishu custom bots (ElastAlert 2's `lark`): `{"msg_type": "text", "content": {"title",
 * "text"}}` to https://open.feishu.cn/open-apis/bot/v2/hook/<bot id>. The bot answers HTTP 200
 * with `{"code": 0}` when the message was posted and another code when not (older bots:
 * `StatusCode`); a bot takes 100 messages a minute and 5 a second, and a body of at most 20 KB.
 */
import { z } from 'zod';
import type { AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { type ErrcodeMeaning, robotOutcome } from './robot-reply.ts';
import { postJson } from './send-request.ts';
import { required, seconds, transport } from './transport.ts';
import { displayUrl, lastPathPart, urlDigest, urlSecrets } from './url-secrets.ts';
import { idOrUrl } from './id-or-url.ts';

const schema = z.object({
  lark_bot_id: required('the bot id (the last part of its webhook URL), or the whole URL'),
  lark_msgtype: z.literal('text').default('text'),
  lark_proxy: z.string().optional(),
  lark_timeout: seconds(10),
});

const CODES: Record<number, ErrcodeMeaning> = {
  11232: {
    retryable: true,
    retryAfterMs: 60_000,
    explain: 'sending too fast (100 messages a minute, 5 a second)',
  },
  99991400: { retryable: true, explain: 'sending too fast' },
  9499: { retryable: false, explain: 'Lark could not read the message (malformed, or larger than 20 KB)' },
  19001: { retryable: false, explain: 'the bot id is not valid: check lark_bot_id' },
  19021: {
    retryable: false,
    explain:
      'the bot checks signatures, which ElastAlert 2 and esalert do not send: turn signature verification off',
  },
  19022: { retryable: false, explain: "this host's IP address is not in the bot's allowlist" },
  19024: { retryable: false, explain: "the text contains none of the bot's keywords" },
};

export const larkAlerter: AlerterDefinition = {
  name: 'lark',
  summary: 'Lark / Feishu custom bots, text messages with code checks (ElastAlert 2 lark_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const target = idOrUrl('lark_bot_id', o.lark_bot_id, 'https://open.feishu.cn/open-apis/bot/v2/hook/');
    const t = transport({ timeoutS: o.lark_timeout, proxy: o.lark_proxy, proxyOption: 'lark_proxy' });
    const spec = {
      service: 'Lark',
      http: { ...t.http, headers: { Accept: 'application/json;charset=utf-8' } },
      read: (r: Parameters<typeof robotOutcome>[1]) =>
        robotOutcome(target, r, {
          service: 'Lark',
          codes: CODES,
          codeFields: ['code', 'StatusCode'],
          messageFields: ['msg', 'StatusMessage'],
        }),
    };
    return channelAlerter({
      type: 'lark',
      service: 'Lark',
      channel: `lark:${urlDigest(target)}`,
      info: { type: 'lark', lark_webhook_url: displayUrl(target) },
      secrets: [o.lark_bot_id, lastPathPart(target), ...urlSecrets(target), ...t.secrets],
      logger: deps.logger,
      ratePerMinute: 100,
      messageLimitBytes: 18_000,
      send: (content, signal) =>
        postJson(
          target,
          { msg_type: o.lark_msgtype, content: { title: content.title, text: content.body } },
          spec,
          signal,
        ),
    });
  },
};
