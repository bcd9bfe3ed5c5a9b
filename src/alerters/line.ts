/**
 * LINE Messaging API push messages (ElastAlert 2's `line`): POST /v2/bot/message/push with the
 * channel access token as a Bearer token, `{"to": <user or group id>, "messages": [{"type":
 * "text", "text": ...}]}`. LINE answers 200 `{}`; 400 `{"message", "details"}` for a bad request,
 * 401 for a bad token, and 429 both for sending too fast (retryable) and for a used-up monthly
 * message quota ("You have reached your monthly limit.", not retryable until next month).
 */
import { z } from 'zod';
import type { AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { cropChars, matchTextsBody } from './chat-text.ts';
import { readOptions } from './options.ts';
import { failed, firstOf, postJson, replyMessage, statusHints } from './send-request.ts';
import { checkUrl, required, seconds, transport } from './transport.ts';
import { urlDigest } from './url-secrets.ts';

const schema = z.object({
  line_channel_access_token: required("the channel's long-lived access token"),
  line_to: required('the user, group or room id to push to'),
  line_api_url: z.string().default('https://api.line.me'),
  line_proxy: z.string().optional(),
  line_timeout: seconds(10),
});

const CROP_NOTE = '\n\n(message cropped due to LINE limit)';

const readLineReply = firstOf(
  (r) =>
    r.status === 429 && /monthly limit/i.test(replyMessage(r))
      ? failed(false, `HTTP 429 (${replyMessage(r)}): the channel's monthly message quota is used up`)
      : undefined,
  statusHints(
    {
      400: 'LINE refused the message: check line_to (a user, group or room id the bot can reach)',
      401: 'the access token is not valid: check line_channel_access_token',
      403: 'the channel may not use the push API',
      429: 'sending too fast',
    },
    'LINE failed',
  ),
);

export const lineAlerter: AlerterDefinition = {
  name: 'line',
  aliases: ['elastalert.alerters.line.LineMessageAPIAlerter'],
  summary: 'LINE Messaging API push messages (ElastAlert 2 line_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const base = checkUrl('line_api_url', o.line_api_url, 'https://api.line.me').replace(/\/+$/, '');
    const target = `${base}/v2/bot/message/push`;
    const t = transport(o, 'line', deps);
    const spec = {
      service: 'LINE',
      http: { ...t.http, headers: { Authorization: `Bearer ${o.line_channel_access_token}` } },
      read: readLineReply,
    };
    return channelAlerter({
      type: 'line',
      service: 'LINE',
      channel: `line:${urlDigest(`${target}\n${o.line_to}`)}`,
      info: { type: 'line', line_to: o.line_to },
      secrets: [o.line_channel_access_token, ...t.secrets],
      logger: deps.logger,
      send: (content, signal) => {
        const text = cropChars(matchTextsBody(content), 4800, 4700, CROP_NOTE);
        return postJson(target, { to: o.line_to, messages: [{ type: 'text', text }] }, spec, signal);
      },
    });
  },
};
