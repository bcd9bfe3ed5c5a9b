/**
 * Rocket.Chat incoming webhooks (ElastAlert 2's `rocketchat`): one message with one attachment per
 * alert, to each webhook URL and channel override. Rocket.Chat answers `{"success": true}`, or
 * `{"success": false, "error": "..."}`.
 */
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import { type Doc, lookupField } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { discoverAttachments } from './chat-text.ts';
import { readOptions } from './options.ts';
import {
  detail,
  failed,
  firstOf,
  isRetryableStatus,
  postToChannels,
  type Reply,
  replyObject,
  statusHints,
} from './send-request.ts';
import { caCerts, checkUrl, seconds, transport } from './transport.ts';
import { urlDigest, urlSecrets } from './url-secrets.ts';

const field = z.looseObject({
  title: z.string().optional(),
  value: z.string(),
  short: z.boolean().optional(),
});

const schema = z.object({
  rocket_chat_webhook_url: stringList,
  rocket_chat_proxy: z.string().optional(),
  rocket_chat_username_override: z.string().default('elastalert2'),
  rocket_chat_channel_override: stringList.default(['']),
  rocket_chat_emoji_override: z.string().default(':ghost:'),
  rocket_chat_msg_color: z.string().default('danger'),
  rocket_chat_text_string: z.string().default(''),
  rocket_chat_alert_fields: z.array(field).default([]),
  rocket_chat_attach_kibana_discover_url: z.boolean().default(false),
  rocket_chat_kibana_discover_color: z.string().default('#ec4b98'),
  rocket_chat_kibana_discover_title: z.string().default('Discover in Kibana'),
  rocket_chat_attach_opensearch_discover_url: z.boolean().default(false),
  rocket_chat_opensearch_discover_color: z.string().default('#ec4b98'),
  rocket_chat_opensearch_discover_title: z.string().default('Discover in opensearch'),
  rocket_chat_ignore_ssl_errors: z.boolean().default(false),
  rocket_chat_timeout: seconds(10),
  rocket_chat_ca_certs: caCerts,
});
type RocketChatOptions = z.output<typeof schema>;

/** The message for an alert (without `channel`). */
export function rocketChatPayload(
  o: RocketChatOptions,
  content: Pick<AlertContent, 'title' | 'body' | 'matches'>,
): Doc {
  const first = content.matches[0] ?? {};
  return {
    username: o.rocket_chat_username_override,
    text: o.rocket_chat_text_string,
    attachments: [
      {
        color: o.rocket_chat_msg_color,
        title: content.title,
        text: content.body,
        fields: o.rocket_chat_alert_fields.map((f) => ({ ...f, value: lookupField(first, f.value) ?? null })),
      },
      ...discoverAttachments(content.matches, {
        kibana: {
          attach: o.rocket_chat_attach_kibana_discover_url,
          color: o.rocket_chat_kibana_discover_color,
          title: o.rocket_chat_kibana_discover_title,
        },
        opensearch: {
          attach: o.rocket_chat_attach_opensearch_discover_url,
          color: o.rocket_chat_opensearch_discover_color,
          title: o.rocket_chat_opensearch_discover_title,
        },
      }),
    ],
    ...(o.rocket_chat_emoji_override !== '' ? { emoji: o.rocket_chat_emoji_override } : {}),
  };
}

/** `{"success": false, "error": ...}`, whatever the HTTP status. */
function readRocketReply(r: Reply) {
  const j = replyObject(r);
  if (j?.success !== false) return undefined;
  const error = detail(j.error ?? j.message ?? r.body);
  return failed(
    isRetryableStatus(r.status),
    `HTTP ${r.status}, success false: ${error}${r.status === 404 || /integration/i.test(error) ? ' (check rocket_chat_webhook_url)' : ''}`,
  );
}

export const rocketChatAlerter: AlerterDefinition = {
  name: 'rocketchat',
  aliases: ['elastalert.alerters.rocketchat.RocketChatAlerter'],
  summary: 'Rocket.Chat incoming webhooks (ElastAlert 2 rocket_chat_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const urls = o.rocket_chat_webhook_url.map((u) =>
      checkUrl('rocket_chat_webhook_url', u, 'https://chat.example.com/hooks/xxx/yyy'),
    );
    const t = transport(o, 'rocket_chat', deps);
    const spec = {
      service: 'Rocket.Chat',
      http: t.http,
      read: firstOf(
        readRocketReply,
        statusHints({ 404: 'no such integration: check rocket_chat_webhook_url' }),
      ),
    };
    const channels = o.rocket_chat_channel_override;
    return channelAlerter({
      type: 'rocketchat',
      service: 'Rocket.Chat',
      channel: `rocketchat:${urlDigest([...urls, ...channels].join('\n'))}`,
      info: {
        type: 'rocketchat',
        rocket_chat_username_override: o.rocket_chat_username_override,
        rocket_chat_webhook_url: urls,
      },
      secrets: [...urls.flatMap(urlSecrets), ...t.secrets],
      logger: deps.logger,
      send: (content, signal) => postToChannels(urls, channels, rocketChatPayload(o, content), spec, signal),
    });
  },
};
