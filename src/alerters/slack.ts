/**
 * Slack: ElastAlert 2's `slack` alerter (an incoming webhook, one message with one attachment per
 * alert, to each webhook URL and channel override), and, with `slack_bot_token`, the same message
 * through the Web API's chat.postMessage with a bot token.
 *
 * Replies: an incoming webhook answers "ok", or an HTTP error whose body names the problem
 * (invalid_payload, channel_not_found, no_service...); chat.postMessage answers HTTP 200 with
 * `{"ok": false, "error": "..."}`. Both answer 429 with Retry-After when sending too fast; Slack
 * takes about one message a second per webhook or channel.
 */
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import type { Match } from '../model/match.ts';
import { type Doc, lookupField } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { discoverAttachments } from './chat-text.ts';
import { readOptions } from './options.ts';
import { detail, failed, isSuccess, postToChannels, type Reply, replyObject } from './send-request.ts';
import { caCerts, checkUrl, seconds, transport } from './transport.ts';
import { urlDigest, urlSecrets } from './url-secrets.ts';

const field = z.looseObject({
  title: z.string().optional(),
  value: z.string(),
  short: z.boolean().optional(),
});

const schema = z.object({
  slack_webhook_url: stringList.optional(),
  slack_bot_token: z.string().min(1, 'must not be empty').optional(),
  slack_api_url: z.string().default('https://slack.com/api/chat.postMessage'),
  slack_proxy: z.string().optional(),
  slack_username_override: z.string().default('elastalert'),
  slack_channel_override: stringList.default(['']),
  slack_title_link: z.string().default(''),
  slack_title: z.string().default(''),
  slack_emoji_override: z.string().default(':ghost:'),
  slack_icon_url_override: z.string().default(''),
  slack_msg_color: z.string().default('danger'),
  slack_parse_override: z.enum(['none', 'full']).default('none'),
  slack_text_string: z.string().default(''),
  slack_alert_fields: z.array(field).default([]),
  slack_ignore_ssl_errors: z.boolean().default(false),
  slack_timeout: seconds(10),
  slack_ca_certs: caCerts,
  slack_attach_kibana_discover_url: z.boolean().default(false),
  slack_kibana_discover_color: z.string().default('#ec4b98'),
  slack_kibana_discover_title: z.string().default('Discover in Kibana'),
  slack_attach_opensearch_discover_url: z.boolean().default(false),
  slack_opensearch_discover_color: z.string().default('#ec4b98'),
  slack_opensearch_discover_title: z.string().default('Discover in Opensearch'),
  slack_footer: z.string().default(''),
  slack_footer_icon: z.string().default(''),
  slack_image_url: z.string().default(''),
  slack_thumb_url: z.string().default(''),
  slack_author_name: z.string().default(''),
  slack_author_link: z.string().default(''),
  slack_author_icon: z.string().default(''),
  slack_msg_pretext: z.string().default(''),
  // accepted for compatibility; esalert alerters do not share a Jira ticket (docs/deviations.md)
  slack_attach_jira_ticket_url: z.boolean().default(false),
  slack_jira_ticket_color: z.string().default('#ec4b98'),
  slack_jira_ticket_title: z.string().default('Jira Ticket'),
});
type SlackOptions = z.output<typeof schema>;

/** The attachment's optional parts, each sent only when set (option suffix = Slack field). */
const OPTIONAL_PARTS = [
  ['title_link', 'slack_title_link'],
  ['footer', 'slack_footer'],
  ['footer_icon', 'slack_footer_icon'],
  ['image_url', 'slack_image_url'],
  ['thumb_url', 'slack_thumb_url'],
  ['author_name', 'slack_author_name'],
  ['author_link', 'slack_author_link'],
  ['author_icon', 'slack_author_icon'],
  ['pretext', 'slack_msg_pretext'],
] as const;

/** The message for an alert (without `channel`, which each post sets). */
export function slackPayload(
  o: SlackOptions,
  content: Pick<AlertContent, 'title' | 'body' | 'matches'>,
): Doc {
  const first: Match = content.matches[0] ?? {};
  const attachment: Doc = {
    color: o.slack_msg_color,
    title: o.slack_title !== '' ? o.slack_title : content.title,
    text: content.body,
    mrkdwn_in: ['text', 'pretext'],
    fields: o.slack_alert_fields.map((f) => ({ ...f, value: lookupField(first, f.value) ?? null })),
  };
  for (const [key, option] of OPTIONAL_PARTS) if (o[option] !== '') attachment[key] = o[option];
  return {
    username: o.slack_username_override,
    parse: o.slack_parse_override,
    text: o.slack_text_string,
    attachments: [
      attachment,
      ...discoverAttachments(content.matches, {
        kibana: {
          attach: o.slack_attach_kibana_discover_url,
          color: o.slack_kibana_discover_color,
          title: o.slack_kibana_discover_title,
        },
        opensearch: {
          attach: o.slack_attach_opensearch_discover_url,
          color: o.slack_opensearch_discover_color,
          title: o.slack_opensearch_discover_title,
        },
      }),
    ],
    ...(o.slack_icon_url_override !== ''
      ? { icon_url: o.slack_icon_url_override }
      : { icon_emoji: o.slack_emoji_override }),
  };
}

const WEBHOOK_ERRORS: Record<string, string> = {
  invalid_payload: 'Slack could not read the message',
  no_text: 'the message has no text',
  invalid_token: 'the webhook is no longer valid: create a new one and update slack_webhook_url',
  no_service: 'the webhook was removed or disabled: create a new one and update slack_webhook_url',
  no_service_id: 'the webhook URL is incomplete: check slack_webhook_url',
  no_team: 'the workspace of the webhook no longer exists: check slack_webhook_url',
  team_disabled: 'the workspace of the webhook is disabled',
  channel_not_found: 'the channel does not exist: check slack_channel_override',
  channel_is_archived: 'the channel is archived: unarchive it or change slack_channel_override',
  action_prohibited: 'a workspace admin restricted posting to this channel',
  posting_to_general_channel_denied: 'only admins may post to #general: pick another channel',
  user_not_found: 'the user in slack_channel_override does not exist',
};

/** An incoming webhook's reply: "ok", or an HTTP error with a short error code as text. */
function readWebhookReply(r: Reply): SendOutcome | undefined {
  if (isSuccess(r.status) || r.status === 429 || r.status >= 500) return undefined;
  const code = r.body.trim();
  const meaning = WEBHOOK_ERRORS[code];
  return meaning ? failed(false, `HTTP ${r.status} ${code}: ${meaning}`) : undefined;
}

const API_RETRYABLE = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);
const API_ERRORS: Record<string, string> = {
  not_authed: 'no token was sent: set slack_bot_token',
  invalid_auth: 'the token is not valid: check slack_bot_token (a bot token starts with xoxb-)',
  token_revoked: 'the token was revoked: install the app again and update slack_bot_token',
  account_inactive: 'the token belongs to a deactivated user or workspace',
  missing_scope: 'the app lacks the chat:write scope',
  not_in_channel:
    'the bot is not a member of the channel: invite it (/invite @bot) or use a channel it is in',
  channel_not_found: 'the channel does not exist or the bot cannot see it: check slack_channel_override',
  is_archived: 'the channel is archived',
  msg_too_long: 'the message is too long',
  no_text: 'the message has no text',
  restricted_action: 'a workspace setting forbids the bot to post there',
};

/** chat.postMessage's reply: {"ok": true} or {"ok": false, "error": "..."} inside HTTP 200. */
function readApiReply(r: Reply): SendOutcome | undefined {
  if (!isSuccess(r.status)) return undefined;
  const j = replyObject(r);
  if (!j || typeof j.ok !== 'boolean')
    return failed(
      false,
      `HTTP ${r.status} without {"ok": ...} (body: ${detail(r.body)}); is slack_api_url Slack's chat.postMessage?`,
    );
  if (j.ok) return { ok: true };
  const error = typeof j.error === 'string' ? j.error : 'unknown error';
  if (API_RETRYABLE.has(error)) return failed(true, `Slack is busy or rate limiting (${error})`);
  const meaning = API_ERRORS[error];
  return failed(false, `chat.postMessage failed: ${error}${meaning ? `: ${meaning}` : ''}`);
}

export const slackAlerter: AlerterDefinition = {
  name: 'slack',
  aliases: ['elastalert.alerters.slack.SlackAlerter'],
  summary: 'Slack incoming webhooks (ElastAlert 2 slack_*), or chat.postMessage with slack_bot_token.',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    if (o.slack_attach_jira_ticket_url)
      deps.logger.warn(
        'slack_attach_jira_ticket_url has no effect: esalert alerters do not pass a Jira ticket to each other',
      );
    const bot = o.slack_bot_token;
    let urls: string[];
    if (bot) {
      urls = [checkUrl('slack_api_url', o.slack_api_url, 'https://slack.com/api/chat.postMessage')];
      if (o.slack_channel_override.some((c) => c === ''))
        throw new OptionProblem(
          'slack_channel_override',
          'is required with slack_bot_token: the channel (#name or id) to post to',
        );
    } else {
      if (!o.slack_webhook_url?.length)
        throw new OptionProblem(
          'slack_webhook_url',
          'is required: the incoming webhook URL (https://hooks.slack.com/services/...), or set slack_bot_token',
        );
      urls = o.slack_webhook_url.map((u) =>
        checkUrl('slack_webhook_url', u, 'https://hooks.slack.com/services/T000/B000/XXXX'),
      );
    }
    const t = transport(o, 'slack', deps);
    const spec = {
      service: 'Slack',
      http: {
        ...t.http,
        headers: (bot
          ? { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${bot}` }
          : {}) as Record<string, string>,
      },
      read: bot ? readApiReply : readWebhookReply,
    };
    const channels = o.slack_channel_override;
    return channelAlerter({
      type: 'slack',
      service: 'Slack',
      channel: `slack:${urlDigest([...urls, ...channels].join('\n'))}`,
      info: { type: 'slack', slack_username_override: o.slack_username_override },
      secrets: [...urls.flatMap(urlSecrets), bot, ...t.secrets],
      logger: deps.logger,
      // about one message a second per webhook / channel; each alert posts once per channel override
      ratePerMinute: Math.max(1, Math.floor(60 / channels.length)),
      send: (content, signal) => postToChannels(urls, channels, slackPayload(o, content), spec, signal),
    });
  },
};
