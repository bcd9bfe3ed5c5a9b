/**
 * Feishu/Lark custom bot (飞书自定义机器人) with what the community FeishuAlert plugins offer:
 * a body template in Python format syntax over the match and the rule, a title, a daily quiet
 * window, cards, and the bot's signing secret. The wire format lives in feishu-bot.ts.
 */
import { z } from 'zod';
import { pythonFormat } from '../format/python-format.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import { localTimeZone, strftime } from '../util/time.ts';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { FEISHU_HOOK_API, feishuBotPayload, sendFeishuBot } from './feishu-bot.ts';
import { idOrUrl } from './id-or-url.ts';
import { readOptions } from './options.ts';
import { seconds, transport } from './transport.ts';
import { displayUrl, urlDigest, urlSecrets } from './url-secrets.ts';

const clock = z.string().regex(/^\d{2}:\d{2}:\d{2}$/, { error: 'must be a time of day written HH:MM:SS' });

const schema = z.object({
  feishu_webhook: z.string().min(1, { error: 'must not be empty' }).optional(),
  feishu_bot_id: z.string().min(1, { error: 'must not be empty' }).optional(),
  feishu_secret: z.string().min(1, { error: 'must not be empty' }).optional(),
  feishu_msgtype: z.enum(['text', 'post', 'interactive']).default('text'),
  feishu_title: z.string().optional(),
  feishu_body: z.string().optional(),
  feishu_card: z.looseObject({}).optional(),
  feishu_skip: z.object({ start: clock, end: clock }).optional(),
  feishu_proxy: z.string().optional(),
  feishu_timeout: seconds(10),
});
type FeishuOptions = z.output<typeof schema>;

function webhookUrl(o: FeishuOptions): string {
  const given = o.feishu_webhook ?? o.feishu_bot_id;
  if (given === undefined) {
    throw new OptionProblem(
      'feishu_webhook',
      `is required: the bot's webhook URL (${FEISHU_HOOK_API}<id>), or set feishu_bot_id to the id at its end`,
    );
  }
  const option = o.feishu_webhook !== undefined ? 'feishu_webhook' : 'feishu_bot_id';
  return idOrUrl(option, given, FEISHU_HOOK_API, "the bot's id");
}

/** Values a body template can name: the rule's options, then the match's fields (dotted names reach nested ones). */
function templateValues(content: AlertContent, now: number): Doc {
  const match = content.matches[0] ?? {};
  return {
    ...content.options,
    ...match,
    feishualert_time: strftime('%Y-%m-%d %H:%M:%S', now, localTimeZone()),
  };
}

/**
 * The body template formatted like Python's str.format. When a name is missing the plugins sent the
 * template with what they could fill in; so does this: known {names} are replaced, the rest stay.
 */
export function formatFeishuBody(template: string, values: Doc): string {
  try {
    return pythonFormat(template, [], values);
  } catch {
    return template.replace(/\{([^{}!:]+)\}/g, (whole, name: string) => {
      const v = lookupField(values, name.trim());
      return v === undefined ? whole : pythonStr(v);
    });
  }
}

/** Replaces {{ field }} in every string of a card with the match's field ("N/A" when missing). */
export function fillCard(card: unknown, match: Doc): unknown {
  if (typeof card === 'string') {
    return card.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (_, name: string) => {
      const v = lookupField(match, name);
      return v === undefined ? 'N/A' : pythonStr(v);
    });
  }
  if (Array.isArray(card)) return card.map((c) => fillCard(c, match));
  if (card && typeof card === 'object') {
    return Object.fromEntries(Object.entries(card).map(([k, v]) => [k, fillCard(v, match)]));
  }
  return card;
}

/** Whether `now` falls in the quiet window (start <= HH:MM:SS <= end, local time, as the plugins compare). */
export function inQuietWindow(skip: FeishuOptions['feishu_skip'], now: number): boolean {
  if (!skip) return false;
  const t = strftime('%H:%M:%S', now, localTimeZone());
  return skip.start <= t && t <= skip.end;
}

export const feishuAlerter: AlerterDefinition = {
  name: 'feishu',
  summary: 'Feishu/Lark custom bot: text, post or card, body templates, quiet window, signing.',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const url = webhookUrl(o);
    const t = transport(o, 'feishu', deps);
    const channel = `feishu:${urlDigest(url)}`;
    return channelAlerter({
      type: 'feishu',
      service: 'Feishu',
      channel,
      info: { type: 'feishu', feishu_webhook_url: displayUrl(url) },
      secrets: [o.feishu_bot_id, o.feishu_secret, ...urlSecrets(url), ...t.secrets],
      logger: deps.logger,
      ratePerMinute: 100,
      messageLimitBytes: 20 * 1024,
      send: (content, signal) => {
        const now = Date.now();
        if (inQuietWindow(o.feishu_skip, now)) {
          deps.logger.info({ channel, skip: o.feishu_skip }, 'not sent to Feishu: inside feishu_skip');
          return Promise.resolve({ ok: true });
        }
        const text =
          o.feishu_body !== undefined
            ? formatFeishuBody(o.feishu_body, templateValues(content, now))
            : content.body;
        const card = o.feishu_card ? (fillCard(o.feishu_card, content.matches[0] ?? {}) as Doc) : undefined;
        const message = {
          msgtype: o.feishu_msgtype,
          title: o.feishu_title ?? content.title,
          text,
          ...(card ? { card } : {}),
        };
        return sendFeishuBot(url, feishuBotPayload(message, o.feishu_secret, now), t.http, signal);
      },
    });
  },
};
