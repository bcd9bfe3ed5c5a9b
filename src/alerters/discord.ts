/**
 * Discord webhooks (ElastAlert 2's `discord`): the title between two emoji as the content, each
 * match's text in one embed. Discord answers 204 (or 200), 429 with `retry_after` seconds in the
 * body when a webhook sends too fast (about 30 messages a minute per channel), and JSON errors
 * with a numeric `code` (10015: the webhook was deleted).
 */
import { z } from 'zod';
import type { Doc } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition, SendOutcome } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { cropChars, matchTextsBody } from './chat-text.ts';
import { readOptions } from './options.ts';
import { detail, failed, postJson, type Reply, replyObject, secondsToMs } from './send-request.ts';
import { checkUrl, required, seconds, transport } from './transport.ts';
import { displayUrl, urlDigest, urlSecrets } from './url-secrets.ts';
import { retryAfterMs } from './http.ts';

const schema = z.object({
  discord_webhook_url: required('the webhook URL (https://discord.com/api/webhooks/<id>/<token>)'),
  discord_emoji_title: z.string().default(':warning:'),
  discord_proxy: z.string().optional(),
  discord_proxy_login: z.string().optional(),
  discord_proxy_password: z.string().optional(),
  discord_embed_color: z
    .union([
      z.number().int(),
      z
        .string()
        .regex(/^(0x[0-9a-f]+|\d+)$/i)
        .transform(Number),
    ])
    .default(0xffffff),
  discord_embed_footer: z.string().optional(),
  discord_embed_icon_url: z.string().optional(),
  discord_timeout: seconds(10),
});
type DiscordOptions = z.output<typeof schema>;

/** Discord's embed description holds 4096 characters; ElastAlert 2 crops at 2047. */
const CROP_NOTE = '\n *message was cropped according to discord embed description limits!*';

export function discordPayload(o: DiscordOptions, content: Pick<AlertContent, 'title' | 'matchTexts'>): Doc {
  const embed: Doc = {
    description: cropChars(matchTextsBody(content), 2047, 1950, CROP_NOTE),
    color: o.discord_embed_color,
  };
  if (o.discord_embed_footer)
    embed.footer = { text: o.discord_embed_footer, icon_url: o.discord_embed_icon_url || null };
  return {
    content: `${o.discord_emoji_title} ${content.title} ${o.discord_emoji_title}`,
    embeds: [embed],
  };
}

const CODES: Record<number, string> = {
  10015: 'the webhook was deleted: create a new one and update discord_webhook_url',
  50027: 'the webhook token is wrong: check discord_webhook_url',
  50006: 'the message is empty',
  50035: 'Discord refused a field of the message (too long?)',
  40005: 'the message is too large',
};

/** Discord's JSON replies: 429 with retry_after (seconds), errors with a numeric code. */
function readDiscordReply(r: Reply): SendOutcome | undefined {
  const j = replyObject(r);
  if (r.status === 429) {
    const wait = secondsToMs(j?.retry_after) ?? retryAfterMs(r.headers);
    return failed(true, `rate limited (HTTP 429${j?.global ? ', global' : ''})`, wait);
  }
  if (r.status < 400 || r.status >= 500 || !j) return undefined;
  const code = typeof j.code === 'number' ? j.code : undefined;
  const meaning = code !== undefined ? CODES[code] : undefined;
  const hint =
    meaning ??
    (r.status === 401 || r.status === 404 ? 'check discord_webhook_url' : 'Discord refused the message');
  return failed(false, `HTTP ${r.status}, code ${code ?? '-'} (${detail(j.message ?? r.body)}): ${hint}`);
}

export const discordAlerter: AlerterDefinition = {
  name: 'discord',
  aliases: ['elastalert.alerters.discord.DiscordAlerter'],
  summary: 'Discord webhooks: the title as content, the match texts in an embed (ElastAlert 2 discord_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const target = checkUrl(
      'discord_webhook_url',
      o.discord_webhook_url,
      'https://discord.com/api/webhooks/<id>/<token>',
    );
    const t = transport(o, 'discord', deps, { proxy_pass: 'discord_proxy_password' });
    const spec = { service: 'Discord', http: t.http, read: readDiscordReply };
    return channelAlerter({
      type: 'discord',
      service: 'Discord',
      channel: `discord:${urlDigest(target)}`,
      info: { type: 'discord', discord_webhook_url: displayUrl(target) },
      secrets: [...urlSecrets(target), ...t.secrets],
      logger: deps.logger,
      // Discord allows about 30 messages a minute per channel through webhooks
      ratePerMinute: 30,
      send: (content, signal) => postJson(target, discordPayload(o, content), spec, signal),
    });
  },
};
