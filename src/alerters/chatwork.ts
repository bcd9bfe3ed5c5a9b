/**
 * Chatwork room messages (ElastAlert 2's `chatwork`): POST /v2/rooms/<room_id>/messages with the
 * API token in X-ChatWorkToken and a form body (`body`, `self_unread=0`). Chatwork answers
 * `{"message_id": ...}`, or `{"errors": [...]}` with 401 (token), 403/404 (room); 429 when the
 * token made more than 300 requests in 5 minutes (x-ratelimit-reset: when it may go on).
 */
import { z } from 'zod';
import type { AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { cropChars, matchTextsBody } from './chat-text.ts';
import { readOptions } from './options.ts';
import { failed, firstOf, type Reply, replyMessage, sendRequest, statusHints } from './send-request.ts';
import { checkUrl, required, seconds, transport } from './transport.ts';
import { retryAfterMs } from './http.ts';
import { urlDigest } from './url-secrets.ts';

const schema = z.object({
  chatwork_apikey: required('the Chatwork API token'),
  chatwork_room_id: z.union([z.string().min(1, 'must not be empty'), z.number().int()], {
    error: 'is required: the room id (the number after "rid" in the room URL)',
  }),
  chatwork_api_url: z.string().default('https://api.chatwork.com/v2'),
  chatwork_proxy: z.string().optional(),
  chatwork_proxy_login: z.string().optional(),
  chatwork_proxy_pass: z.string().optional(),
  chatwork_timeout: seconds(10),
});

const CROP_NOTE = '\n *message was cropped according to chatwork embed description limits!*';

/** Milliseconds until x-ratelimit-reset (Unix seconds), when given. */
function resetIn(r: Reply, now = Date.now()): number | undefined {
  const v = r.headers['x-ratelimit-reset'];
  const at = Number(Array.isArray(v) ? v[0] : v);
  return Number.isFinite(at) && at > 0 ? Math.max(0, at * 1000 - now) : retryAfterMs(r.headers);
}

const readChatworkReply = firstOf(
  (r) =>
    r.status === 429 ? failed(true, `rate limited (HTTP 429: ${replyMessage(r)})`, resetIn(r)) : undefined,
  statusHints(
    {
      401: 'the API token is not valid: check chatwork_apikey',
      403: 'the token may not post to this room: check chatwork_room_id',
      404: 'no such room: check chatwork_room_id',
    },
    'Chatwork refused the message',
  ),
);

export const chatworkAlerter: AlerterDefinition = {
  name: 'chatwork',
  aliases: ['elastalert.alerters.chatwork.ChatworkAlerter'],
  summary: 'Chatwork room messages with an API token (ElastAlert 2 chatwork_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const room = String(o.chatwork_room_id);
    const base = checkUrl('chatwork_api_url', o.chatwork_api_url, 'https://api.chatwork.com/v2').replace(
      /\/+$/,
      '',
    );
    const target = `${base}/rooms/${encodeURIComponent(room)}/messages`;
    const t = transport(o, 'chatwork', deps);
    const spec = {
      service: 'Chatwork',
      http: {
        ...t.http,
        headers: {
          Accept: 'application/json',
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-ChatWorkToken': o.chatwork_apikey,
        },
      },
      read: readChatworkReply,
    };
    return channelAlerter({
      type: 'chatwork',
      service: 'Chatwork',
      channel: `chatwork:${urlDigest(target)}`,
      info: { type: 'chatwork', chatwork_room_id: o.chatwork_room_id },
      secrets: [o.chatwork_apikey, ...t.secrets],
      logger: deps.logger,
      // Chatwork takes 10 messages in 10 seconds per room
      ratePerMinute: 60,
      send: (content, signal) => {
        const body = cropChars(matchTextsBody(content), 2047, 1950, CROP_NOTE);
        const form = new URLSearchParams({ self_unread: '0', body });
        return sendRequest(target, form.toString(), spec, signal);
      },
    });
  },
};
