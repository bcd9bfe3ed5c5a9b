/**
 * Lark / Feishu custom bots (ElastAlert 2's `lark`): `{"msg_type": "text", "content": {"title",
 * "text"}}` to https://open.feishu.cn/open-apis/bot/v2/hook/<bot id>, unsigned, as ElastAlert 2
 * sends it. The wire format and the bot's replies are feishu-bot.ts's (the `feishu` alerter speaks
 * the same one, with signing and templates); a bot takes 100 messages a minute and 5 a second.
 */
import { z } from 'zod';
import type { AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { FEISHU_HOOK_API, feishuBotPayload, sendFeishuBot } from './feishu-bot.ts';
import { idOrUrl } from './id-or-url.ts';
import { readOptions } from './options.ts';
import { required, seconds, transport } from './transport.ts';
import { displayUrl, lastPathPart, urlDigest, urlSecrets } from './url-secrets.ts';

const schema = z.object({
  lark_bot_id: required('the bot id (the last part of its webhook URL), or the whole URL'),
  lark_msgtype: z.literal('text').default('text'),
  lark_proxy: z.string().optional(),
  lark_timeout: seconds(10),
});

const LARK = { service: 'Lark', option: 'lark_bot_id' };

export const larkAlerter: AlerterDefinition = {
  name: 'lark',
  summary: 'Lark / Feishu custom bots, text messages with code checks (ElastAlert 2 lark_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const target = idOrUrl('lark_bot_id', o.lark_bot_id, FEISHU_HOOK_API);
    const t = transport(o, 'lark', deps);
    const http = { ...t.http, headers: { Accept: 'application/json;charset=utf-8' } };
    return channelAlerter({
      type: 'lark',
      service: 'Lark',
      channel: `lark:${urlDigest(target)}`,
      info: { type: 'lark', lark_webhook_url: displayUrl(target) },
      secrets: [o.lark_bot_id, lastPathPart(target), ...urlSecrets(target), ...t.secrets],
      logger: deps.logger,
      ratePerMinute: 100,
      messageLimitBytes: 18_000,
      send: (content, signal) => {
        const payload = feishuBotPayload({
          msgtype: o.lark_msgtype,
          title: content.title,
          text: content.body,
        });
        return sendFeishuBot(target, payload, http, signal, LARK);
      },
    });
  },
};
