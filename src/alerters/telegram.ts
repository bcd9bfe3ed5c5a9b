/**
 * Telegram bots (ElastAlert 2's `telegram`): sendMessage to one chat, the bot token in the path
 * (https://api.telegram.org/bot<token>/sendMessage). The Bot API answers `{"ok": true, ...}` or
 * `{"ok": false, "error_code": n, "description": "..."}`, with `parameters.retry_after` seconds
 * when flood control applies (429) and `parameters.migrate_to_chat_id` when a group became a
 * supergroup. Telegram takes about one message a second per chat and 20 a minute per group.
 */
import { z } from 'zod';
import type { Doc } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { cropChars, matchTextsBody } from './chat-text.ts';
import { retryAfterMs } from './http.ts';
import { readOptions } from './options.ts';
import {
  detail,
  failed,
  isRetryableStatus,
  postJson,
  type Reply,
  replyObject,
  secondsToMs,
} from './send-request.ts';
import { required, seconds, transport } from './transport.ts';
import { urlDigest } from './url-secrets.ts';

const chatId = z.union([z.string().min(1, 'must not be empty'), z.number()], {
  error: 'is required: the chat id (-100...) or @channelname',
});

const schema = z.object({
  telegram_bot_token: required('the bot token from @BotFather (123456:ABC-DEF...)'),
  telegram_room_id: chatId,
  telegram_api_url: z.string().default('api.telegram.org'),
  telegram_proxy: z.string().optional(),
  telegram_proxy_login: z.string().optional(),
  telegram_proxy_pass: z.string().optional(),
  telegram_parse_mode: z.enum(['markdown', 'markdownV2', 'html']).default('markdown'),
  telegram_thread_id: z.number().int().positive().optional(),
  telegram_timeout: seconds(10),
});
type TelegramOptions = z.output<typeof schema>;

const CROP_NOTE = '\n⚠ *message was cropped according to telegram limits!* ⚠';

/** ElastAlert 2's message: the title between warning signs, then the match texts (in a code block unless html). */
export function telegramText(
  o: Pick<TelegramOptions, 'telegram_parse_mode'>,
  content: Pick<AlertContent, 'title' | 'matchTexts'>,
): string {
  const html = o.telegram_parse_mode === 'html';
  let text = html ? `⚠ ${content.title} ⚠ \n` : `⚠ *${content.title}* ⚠ \`\`\`\n`;
  text = cropChars(text + matchTextsBody(content), 4095, 4000, CROP_NOTE);
  return html ? text : `${text} \`\`\``;
}

export function telegramPayload(
  o: TelegramOptions,
  content: Pick<AlertContent, 'title' | 'matchTexts'>,
): Doc {
  return {
    chat_id: o.telegram_room_id,
    text: telegramText(o, content),
    parse_mode: o.telegram_parse_mode,
    disable_web_page_preview: true,
    message_thread_id: o.telegram_thread_id ?? null,
  };
}

/** The Bot API's reply: ok, or what went wrong and whether to wait. */
function readTelegramReply(r: Reply): SendOutcome | undefined {
  const j = replyObject(r);
  if (!j || typeof j.ok !== 'boolean') return undefined;
  if (j.ok) return { ok: true };
  const description = detail(j.description ?? 'no description');
  const params = (j.parameters ?? {}) as { retry_after?: unknown; migrate_to_chat_id?: unknown };
  const code = typeof j.error_code === 'number' ? j.error_code : r.status;
  const wait = secondsToMs(params.retry_after);
  if (wait !== undefined || code === 429)
    return failed(true, `flood control (${description})`, wait ?? retryAfterMs(r.headers));
  if (params.migrate_to_chat_id !== undefined)
    return failed(
      false,
      `${description}: the group is now a supergroup; set telegram_room_id to ${String(params.migrate_to_chat_id)}`,
    );
  const hint =
    code === 401 || code === 404
      ? 'the bot token is not valid: check telegram_bot_token'
      : code === 403
        ? 'the bot may not write to this chat (blocked, removed, or never started by the user)'
        : /chat not found/i.test(description)
          ? 'check telegram_room_id, and that the bot is a member of the chat'
          : /parse entities/i.test(description)
            ? 'the text does not parse in telegram_parse_mode; try html or escape the alert text'
            : 'Telegram refused the message';
  return failed(isRetryableStatus(code), `error ${code} (${description}): ${hint}`);
}

export const telegramAlerter: AlerterDefinition = {
  name: 'telegram',
  aliases: ['elastalert.alerters.telegram.TelegramAlerter'],
  summary: 'Telegram bot messages (sendMessage) to a chat or channel (ElastAlert 2 telegram_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    // ElastAlert 2 takes a host name; a base URL (with scheme) is accepted too
    const base = o.telegram_api_url.includes('://')
      ? o.telegram_api_url.replace(/\/+$/, '')
      : `https://${o.telegram_api_url}`;
    const target = `${base}/bot${o.telegram_bot_token}/sendMessage`;
    try {
      new URL(target);
    } catch {
      throw new OptionProblem('telegram_api_url', 'must be a host name such as api.telegram.org');
    }
    const t = transport(o, 'telegram', deps);
    const spec = { service: 'Telegram', http: t.http, read: readTelegramReply };
    const room = String(o.telegram_room_id);
    // groups and channels have negative ids (or @channelname): 20 messages a minute; private chats 1 a second
    const isGroup = room.startsWith('-') || room.startsWith('@');
    return channelAlerter({
      type: 'telegram',
      service: 'Telegram',
      channel: `telegram:${urlDigest(`${target}\n${room}`)}`,
      info: { type: 'telegram', telegram_room_id: o.telegram_room_id },
      secrets: [o.telegram_bot_token, `bot${o.telegram_bot_token}`, ...t.secrets],
      logger: deps.logger,
      ratePerMinute: isGroup ? 20 : 60,
      send: (content, signal) => postJson(target, telegramPayload(o, content), spec, signal),
    });
  },
};
